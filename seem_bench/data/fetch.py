"""``seem-bench data fetch NAME``: download a dataset's official archives into the `data list` layout.

For each archive: download to ``<data-root>/.fetch/<file>.part``, resuming a partial download with
an HTTP ``Range`` request (a server that ignores it sends the whole file, which restarts it); then
the sha256 is checked against the pinned one (or ``--sha256``); the archive is unpacked into a
temporary folder beside the target and moved into place in one rename, so a dataset folder is
either absent or complete. A dataset whose folder already holds the completion stamp
(``.seem-bench-fetch-<name>.json``, written last) is never downloaded or overwritten again.

The URLs are those the datasets' own pages (and RITM's README for the click sets) link to. None of
these archives publishes a checksum: where none is pinned here, the computed sha256 is printed and
stamped, and ``--sha256 HEX`` makes the check strict. Licences are the datasets' own: fetching is
the user's acceptance of their terms.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from seem_bench.errors import DataError, UsageError

STAMP = ".seem-bench-fetch-{name}.json"  # one per dataset: COCO's and REFER's folders hold several
_CHUNK = 1 << 20
_RITM = "https://github.com/saic-vul/fbrs_interactive_segmentation/releases/download/v1.0/"


@dataclass(frozen=True)
class Archive:
    url: str
    sha256: str | None = None  # None: not published; printed and stamped after the download
    strip: str | None = None  # folder inside the archive that becomes the dataset folder


@dataclass(frozen=True)
class Source:
    folder: str  # the dataset's folder under --data-root (`data list`)
    archives: tuple[Archive, ...]
    page: str


SOURCES: dict[str, Source] = {
    "grabcut": Source("GrabCut", (Archive(_RITM + "GrabCut.zip", strip="GrabCut"),),
                      "https://github.com/SamsungLabs/ritm_interactive_segmentation#datasets"),
    "berkeley": Source("Berkeley", (Archive(_RITM + "Berkeley.zip", strip="Berkeley"),),
                       "https://github.com/SamsungLabs/ritm_interactive_segmentation#datasets"),
    "davis345": Source("DAVIS345", (Archive(_RITM + "DAVIS.zip", strip="DAVIS"),),
                       "https://github.com/SamsungLabs/ritm_interactive_segmentation#datasets"),
    "coco_mval": Source("COCO_MVal", (Archive(_RITM + "COCO_MVal.zip", strip="COCO_MVal"),),
                        "https://github.com/SamsungLabs/ritm_interactive_segmentation#datasets"),
    "sbd": Source("SBD", (Archive("http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz",
                                  strip="benchmark_RELEASE/dataset"),),
                  "http://home.bharathh.info/pubs/codes/SBD/download.html"),
    "pascalvoc": Source("PascalVOC", (Archive("http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
                                              strip="VOCdevkit/VOC2012"),),
                        "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/"),
    "coco_panoptic": Source("coco", (
        Archive("http://images.cocodataset.org/zips/val2017.zip"),
        Archive("http://images.cocodataset.org/annotations/annotations_trainval2017.zip"),
        Archive("http://images.cocodataset.org/annotations/panoptic_annotations_trainval2017.zip")),
        "https://cocodataset.org/#download"),
    "refcocog": Source("refer", (Archive("https://bvisionweb1.cs.unc.edu/licheng/referit/data/refcocog.zip"),),
                       "https://github.com/lichengunc/refer"),
    "refcoco": Source("refer", (Archive("https://bvisionweb1.cs.unc.edu/licheng/referit/data/refcoco.zip"),),
                      "https://github.com/lichengunc/refer"),
    "refcoco+": Source("refer", (Archive("https://bvisionweb1.cs.unc.edu/licheng/referit/data/refcoco+.zip"),),
                       "https://github.com/lichengunc/refer"),
    "davis2017": Source("DAVIS", (Archive("https://data.vision.ee.ethz.ch/csergi/share/davis/DAVIS-2017-trainval-480p.zip",
                                          strip="DAVIS"),),
                        "https://davischallenge.org/davis2017/code.html"),
}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, part: Path, log=print) -> None:
    """Download ``url`` into ``part``, continuing from its current size with an HTTP Range request."""
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        resp = urllib.request.urlopen(req, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # asked past the end: the part is already whole
            return
        raise DataError(url, f"download failed: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise DataError(url, f"download failed: {getattr(e, 'reason', e)}") from None
    with resp:
        resumed = have and resp.status == 206
        if have and not resumed:
            log(f"seem-bench: {url}: the server does not resume; downloading again from the start")
        elif resumed:
            log(f"seem-bench: {url}: resuming at byte {have}")
        with part.open("ab" if resumed else "wb") as f:
            shutil.copyfileobj(resp, f, _CHUNK)


def _unpack(archive: Path, into: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for m in z.namelist():  # no member may leave the target folder
                if m.startswith("/") or ".." in Path(m).parts:
                    raise DataError(archive, f"unsafe member path {m!r}")
            z.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    else:
        raise DataError(archive, "neither a zip nor a tar archive")


def fetch(name: str, data_root: Path, url: str | None = None, sha256: str | None = None,
          log=print) -> Path:
    """Fetch dataset ``name`` into ``data_root/<folder>``; returns that folder.

    ``url`` replaces the (single) official archive URL, e.g. a mirror; ``sha256`` is the digest
    the archive must have (overrides the pinned one).
    """
    src = SOURCES.get(name)
    if src is None:
        raise UsageError(f"data fetch: no download source for {name!r} (known: {', '.join(sorted(SOURCES))})")
    if url is not None and len(src.archives) != 1:
        raise UsageError(f"data fetch {name}: --url replaces a single archive; {name} has {len(src.archives)}")
    target = Path(data_root) / src.folder
    stamp_path = target / STAMP.format(name=name)
    if stamp_path.is_file():
        log(f"seem-bench: {name} is already complete in {target}; not downloading or overwriting it")
        return target
    if target.exists() and any(target.iterdir()) and src.folder not in ("coco", "refer"):
        raise DataError(target, "exists but was not fetched completely by seem-bench; move it away "
                                "(or check it with `seem-bench data check`) instead of fetching over it")
    work = Path(data_root) / ".fetch"
    work.mkdir(parents=True, exist_ok=True)
    stamped = []
    for arch in src.archives:
        u = url or arch.url
        part = work / (Path(u.split("?")[0]).name + ".part")
        log(f"seem-bench: {name}: downloading {u}")
        download(u, part, log)
        digest = sha256_of(part)
        want = sha256 or arch.sha256
        if want is not None and digest != want.lower():
            part.unlink()
            raise DataError(u, f"sha256 {digest} differs from the expected {want}; the download was removed")
        if want is None:
            log(f"seem-bench: {u}: sha256 {digest} (no published checksum to compare with; pass --sha256 to check)")
        tmp = Path(tempfile.mkdtemp(prefix=f".{src.folder}.", dir=data_root))
        try:
            _unpack(part, tmp)
            inner = tmp / arch.strip if arch.strip else tmp
            if not inner.is_dir():
                raise DataError(part, f"archive has no {arch.strip}/ folder")
            target.mkdir(parents=True, exist_ok=True)
            if not any(target.iterdir()):
                target.rmdir()
                inner.rename(target)  # one rename: the folder is absent or whole
            else:  # several archives share one folder (COCO, refer)
                for child in inner.iterdir():
                    dest = target / child.name
                    if not dest.exists():
                        child.rename(dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        part.unlink()
        stamped.append({"url": u, "sha256": digest, "checked": want is not None})
    stamp_path.write_text(json.dumps({"dataset": name, "archives": stamped}, indent=2) + "\n")
    if not any(work.iterdir()):
        work.rmdir()
    log(f"seem-bench: {name} ready in {target}; check it with `seem-bench data check {name} --data-root {data_root}`")
    return target

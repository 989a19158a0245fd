"""`data fetch` offline: a local HTTP server on 127.0.0.1 serves a zip of a copy of the real GrabCut
(built in tmp, laid out as RITM's GrabCut.zip); the download resumes a partial file with a Range
request, checks the sha256, unpacks into the `data list` layout and never fetches over a complete set."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from seem_bench.cli import main as cli_main


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """http.server's file handler plus ``Range: bytes=N-`` (206), logging each request's range."""

    seen: list[str | None] = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        type(self).seen.append(self.headers.get("Range"))
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        rng = self.headers.get("Range")
        start = int(rng.split("=")[1].rstrip("-")) if rng else 0
        if start >= len(data):
            self.send_error(416)
            return
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture(scope="module")
def served_grabcut(interactive_data, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    archive = site / "GrabCut.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for p in sorted((interactive_data / "GrabCut").rglob("*")):
            if p.is_file():
                z.write(p, "GrabCut/" + p.relative_to(interactive_data / "GrabCut").as_posix())

    def handler(*a, **k):
        return _RangeHandler(*a, directory=str(site), **k)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/GrabCut.zip", archive
    server.shutdown()
    server.server_close()


def test_fetch_resumes_verifies_unpacks_and_never_overwrites(served_grabcut, tmp_path, capsys):
    url, archive = served_grabcut
    data = archive.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    root = tmp_path / "data"
    (root / ".fetch").mkdir(parents=True)
    (root / ".fetch" / "GrabCut.zip.part").write_bytes(data[: len(data) // 3])  # an interrupted download
    _RangeHandler.seen.clear()
    assert cli_main(["data", "fetch", "grabcut", "--data-root", str(root), "--url", url, "--sha256", digest]) == 0
    assert _RangeHandler.seen == [f"bytes={len(data) // 3}-"]  # resumed, not restarted
    assert "resuming at byte" in capsys.readouterr().err
    assert not (root / ".fetch").exists()
    assert (root / "GrabCut" / ".seem-bench-fetch-grabcut.json").is_file()
    assert cli_main(["data", "stats", "grabcut", "--data-root", str(root), "--json"]) == 0
    assert capsys.readouterr().out.strip() == '{"images": 50, "instances": 50}'
    with zipfile.ZipFile(archive) as z:  # the unpacked files are the archive's bytes
        for m in z.namelist():
            assert (root / m).read_bytes() == z.read(m)
    # a complete set is never fetched again
    before = {p: p.stat().st_mtime_ns for p in (root / "GrabCut").rglob("*")}
    _RangeHandler.seen.clear()
    assert cli_main(["data", "fetch", "grabcut", "--data-root", str(root), "--url", url]) == 0
    assert _RangeHandler.seen == [] and "already complete" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in (root / "GrabCut").rglob("*")} == before


def test_fetch_refuses_a_wrong_sha256_and_leaves_nothing(served_grabcut, tmp_path, capsys):
    url, _ = served_grabcut
    root = tmp_path / "data"
    assert cli_main(["data", "fetch", "grabcut", "--data-root", str(root), "--url", url, "--sha256", "0" * 64]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "differs from the expected" in err[-1]
    assert not (root / "GrabCut").exists() and not list((root / ".fetch").iterdir())


def test_fetch_does_not_write_over_an_unfetched_folder(served_grabcut, tmp_path, capsys):
    url, _ = served_grabcut
    root = tmp_path / "data"
    (root / "GrabCut").mkdir(parents=True)
    (root / "GrabCut" / "mine.txt").write_text("user data")
    assert cli_main(["data", "fetch", "grabcut", "--data-root", str(root), "--url", url]) == 1
    assert "move it away" in capsys.readouterr().err
    assert [p.name for p in (root / "GrabCut").iterdir()] == ["mine.txt"]


def test_every_interactive_set_has_an_official_source():
    from seem_bench.data.fetch import SOURCES
    from seem_bench.data.registry import DEFAULT_SUBDIR

    for name in ("grabcut", "berkeley", "davis345", "coco_mval", "sbd", "pascalvoc", "coco_panoptic",
                 "refcoco", "refcoco+", "refcocog", "davis2017"):
        assert SOURCES[name].folder == DEFAULT_SUBDIR[name], name
        assert all(a.url.startswith(("http://", "https://")) for a in SOURCES[name].archives)

"""SA-Co (SAM 3's Segment Anything with Concepts benchmark): image / noun-phrase pairs.

Layout (``scripts/eval/gold/README.md`` of facebookresearch/sam3; the files of the HF dataset
``facebook/SACo-Gold``): COCO-style JSON where every ``images`` entry is one (image, noun phrase)
pair: ``id`` (the pair id), ``file_name`` (the image, relative to the image root),
``text_input`` (the phrase), ``height``, ``width``, ``is_instance_exhaustive``; ``annotations``
reference the pair by ``image_id`` (``segmentation`` RLE or polygons, ``iscrowd``); a pair with
no annotation is a negative; ``categories`` holds a single category. SA-Co/Gold has three
annotators' versions of each subset, ``gold_<subset>_merged_{a,b,c}_release_test.json`` (the
``_release`` infix is optional, as in sam3's own ``eval_sam3.py``); SA-Co/Silver one version,
``silver_<subset>_merged_test.json``. Files are looked for in ``root``, ``root/annotations`` and
``root/gt-annotations``; images in ``root/images`` then ``root``.

The HF ``datasets`` parquet layout is read too: ``root/<subset>/test/*.parquet`` (or
``root/<subset>/*.parquet``), one row per annotator file with the JSON's top-level keys as
columns (``images``, ``annotations``, ``categories``), rows in file order (a, b, c) — what the
Hub's JSON-to-parquet conversion writes for a single-object JSON file.

One `Sample` per image file (so the image is encoded once for all its phrases), with
``meta["pairs"]``: ``[{"id", "text"}]`` of the pairs evaluated, i.e. those exhaustively annotated
in every version (the reference drops the others), and ``meta["versions"]``. Its instances are
the annotations of every version, ``instance_id`` ``<version>:<annotation id>``, ``meta``
``{"pair_id", "version"}``, in annotation order (the matching's GT order).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from seem_bench.data.coco import ann_to_mask
from seem_bench.data.fields import annotation_problem, image_entry, is_int, kind_of
from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import read_json, read_rgb
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

_DIRS = (".", "annotations", "gt-annotations")


def _gold_files(root: Path, subset: str) -> list[Path]:
    pat = re.compile(rf"gold_{re.escape(subset)}_merged_([a-z])(_release)?_test\.json$")
    found: dict[str, Path] = {}
    for d in _DIRS:
        for p in sorted((root / d).glob("gold_*_test.json")):
            m = pat.match(p.name)
            if m:
                found.setdefault(m.group(1), p)
    return [found[k] for k in sorted(found)]


def _silver_files(root: Path, subset: str) -> list[Path]:
    for d in _DIRS:
        for name in (f"silver_{subset}_merged_test.json", f"silver_{subset}_merged_release_test.json"):
            if (root / d / name).is_file():
                return [root / d / name]
    return []


def _parquet_versions(root: Path, subset: str) -> tuple[list[dict], list[Path]]:
    files = sorted((root / subset / "test").glob("*.parquet")) or sorted((root / subset).glob("*.parquet"))
    versions: list[dict] = []
    if not files:
        return versions, files
    import pyarrow.parquet as pq

    for f in files:
        try:
            table = pq.read_table(f)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise DataError(f, f"not a readable parquet file ({type(e).__name__}: {e})") from None
        for row in table.to_pylist():
            versions.append(row)
    return versions, files


def _index(data: Any, where: Path | str) -> tuple[dict[int, dict], dict[int, list[dict]]]:
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise DataError(where, "expected a COCO-style object with 'images' and 'annotations' (SA-Co layout)")
    for k in ("images", "annotations"):  # e.g. "images": null
        if not isinstance(data[k], list):
            raise DataError(where, f"'{k}' must be a list, got {kind_of(data[k])}")
    pairs: dict[int, dict] = {}
    for im in data["images"]:
        entry, why = image_entry(im)  # typed id/height/width, a file_name inside the dataset folder
        if entry is None:
            raise DataError(where, str(why))
        try:
            pid = int(im["id"])
            pairs[pid] = {"id": pid, "file_name": str(im["file_name"]), "text": str(im["text_input"]),
                          "height": int(im["height"]), "width": int(im["width"]),
                          "exhaustive": bool(im.get("is_instance_exhaustive", True))}
        except (KeyError, TypeError, ValueError):
            raise DataError(where, f"image-phrase entry lacks id/file_name/text_input/height/width: {im!r:.80}") from None
    anns: dict[int, list[dict]] = {pid: [] for pid in pairs}
    for a in data["annotations"]:
        if not isinstance(a, dict) or not (is_int(a.get("image_id")) and is_int(a.get("id"))) \
                or "segmentation" not in a:
            raise DataError(where, f"annotation lacks an integer id/image_id or a segmentation: {a!r:.80}")
        pid, aid, seg = int(a["image_id"]), int(a["id"]), a["segmentation"]
        if pid not in pairs:
            raise DataError(where, f"annotation {aid} refers to unknown pair id {pid}")
        p = pairs[pid]
        why = annotation_problem(a, p["height"], p["width"])
        if why:
            raise DataError(where, f"annotation {aid}: {why}")
        anns[pid].append({"id": aid, "segmentation": seg, "iscrowd": bool(a.get("iscrowd", 0))})
    return pairs, anns


def evaluated_pair_ids(versions: list[dict[int, dict]]) -> list[int]:
    """Pair ids scored: exhaustive in the first version and in every other version listing them
    (``CGF1Evaluator.eval_img_ids``), in the first version's order."""
    excluded = {pid for v in versions[1:] for pid, p in v.items() if not p["exhaustive"]}
    return [pid for pid, p in versions[0].items() if p["exhaustive"] and pid not in excluded]


def build_saco(root: Path, split: str | None, family: str) -> Dataset:
    """``family``: ``gold`` (versions a, b, c) or ``silver`` (one version)."""
    root = Path(root)
    if not split:
        raise DataError(root, f"saco_{family} needs --split <subset> (e.g. metaclip, sa1b, crowded, demo)")
    files = _gold_files(root, split) if family == "gold" else _silver_files(root, split)
    if files:
        raw = [read_json(f) for f in files]
        where: list[Path | str] = list(files)
    else:
        raw, files = _parquet_versions(root, split)
        where = [f"{files[0]} row {i}" for i in range(len(raw))] if files else []
    if not raw:
        pattern = (f"gold_{split}_merged_{{a,b,c}}[_release]_test.json" if family == "gold"
                   else f"silver_{split}_merged_test.json")
        raise DataError(root, f"no SA-Co {family} annotations for subset {split!r}: expected {pattern} in "
                              f"{', '.join(_DIRS)} or {split}/test/*.parquet")
    indexed = [_index(d, w) for d, w in zip(raw, where, strict=True)]
    versions = [p for p, _ in indexed]
    pair_ids = evaluated_pair_ids(versions)
    image_root = root / "images" if (root / "images").is_dir() else root
    by_file: dict[str, list[int]] = {}
    for pid in pair_ids:
        by_file.setdefault(versions[0][pid]["file_name"], []).append(pid)
    samples = []
    for name in sorted(by_file):
        pids = by_file[name]
        first = versions[0][pids[0]]
        h, w = first["height"], first["width"]
        insts = []
        for k, (pairs, anns) in enumerate(indexed):
            for pid in pids:
                if pid not in pairs:
                    continue
                for a in anns[pid]:
                    insts.append(Instance(instance_id=f"{k}:{a['id']}", category_id=1, iscrowd=a["iscrowd"],
                                          mask_loader=partial(ann_to_mask, a["segmentation"], h, w),
                                          meta={"pair_id": pid, "version": k}))
        path = image_root / name
        samples.append(Sample(sample_id=name, dataset=f"saco_{family}", image_loader=partial(read_rgb, path),
                              height=h, width=w, instances=tuple(insts), image_path=str(path),
                              meta={"pairs": [{"id": pid, "text": versions[0][pid]["text"]} for pid in pids],
                                    "versions": len(versions)}))
    n_all = len(versions[0])
    fp = {"files": fingerprint_files(root, files),
          "pairs": {"listed": n_all, "evaluated": len(pair_ids), "not_exhaustive": n_all - len(pair_ids)}}
    return Dataset(name=f"saco_{family}", root=root, split=split, samples=samples, fingerprint=fp)


def load_saco_gold(root: str | Path, split: str | None = None) -> Dataset:
    """``saco_gold``: SA-Co/Gold subset ``split`` with its three annotators' versions."""
    return build_saco(Path(root), split, "gold")


def load_saco_silver(root: str | Path, split: str | None = None) -> Dataset:
    """``saco_silver``: SA-Co/Silver subset ``split`` (one version)."""
    return build_saco(Path(root), split, "silver")

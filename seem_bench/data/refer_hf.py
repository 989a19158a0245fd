"""RefCOCO/+/g from local Parquet or Arrow tables (Hugging Face ``datasets`` layouts).

Point ``--root`` at a folder holding one dataset's ``*.parquet`` files (e.g. a download of
``jxu124/refcoco``: ``data/validation-00000-of-00001-....parquet``) or the ``*.arrow`` files that
``datasets.Dataset.save_to_disk`` writes. One row = one REFER ref. Column mapping:

=================  =====================================================================
column             meaning
=================  =====================================================================
``ref_id``         REFER ref id (required)
``ann_id``         COCO annotation id of the referred object (required)
``image_id``       COCO image id (required)
``split``          REFER split string (``val``, ``testA``, ``testAB``...); when absent,
                   the file name's split prefix (``validation``->``val``, ``test``, ``testA``...)
``sentences``      list of ``{raw, sent, sent_id, tokens}`` (required)
``sent_ids``       optional; must equal the sentences' ``sent_id``
``category_id``    optional (else taken from the annotation)
``raw_anns``       JSON text of the COCO annotation (``segmentation``, ``bbox``, ``area``,
                   ``iscrowd``) — or plain columns ``segmentation`` (JSON text or value),
                   ``bbox``, ``area``, ``iscrowd``
``raw_image_info`` JSON text of the COCO image entry (``file_name``, ``height``, ``width``)
                   — or plain columns ``height``, ``width``
``image``          optional Hugging Face ``Image`` value ``{bytes, path}``; without it images
                   are read from the COCO train2014 folder (see `refer.IMAGE_DIR_CANDIDATES`,
                   searched from the folder above ``--root``) by ``raw_image_info.file_name``,
                   else ``COCO_train2014_<image_id:012d>.jpg``
=================  =====================================================================

The tables are read with ``datasets`` (``Dataset.from_parquet`` / ``Dataset.from_file``) without
the ``image`` column; image bytes are read on demand, one row at a time, with pyarrow.
"""

from __future__ import annotations

import json
import re
import tempfile
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from seem_bench.data.io import read_rgb
from seem_bench.data.problems import Problems
from seem_bench.data.refer import ReferIndex, find_image_dir
from seem_bench.errors import DataError, MissingDependencyError

REQUIRED = ("ref_id", "ann_id", "image_id", "sentences")
_SPLIT_PREFIX = re.compile(r"^(train|validation|val|testA|testB|testC|test)(?=[-_.]|$)")


def _datasets():
    try:
        import datasets
    except ImportError:
        raise MissingDependencyError(
            "reading RefCOCO from Parquet/Arrow needs the Hugging Face `datasets` package: "
            "pip install 'seem-bench[hf]'") from None
    datasets.disable_progress_bars()
    return datasets


def _schema_names(path: Path) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.suffix == ".parquet":
            return list(pq.read_schema(path).names)
        with pa.memory_map(str(path)) as src:
            return list(pa.ipc.open_stream(src).schema.names)
    except Exception as e:
        raise DataError(path, f"cannot read table schema ({type(e).__name__}: {e})") from None


def _read_rows(path: Path, columns: list[str]) -> list[dict]:
    ds_mod = _datasets()
    try:
        if path.suffix == ".parquet":
            # A throw-away cache: reading a local table must not leave copies in ~/.cache.
            with tempfile.TemporaryDirectory(prefix="seem-bench-hf-") as tmp:
                table = ds_mod.Dataset.from_parquet(str(path), columns=columns, keep_in_memory=True,
                                                    cache_dir=tmp)
                return table.to_list()
        return ds_mod.Dataset.from_file(str(path)).select_columns(columns).to_list()
    except Exception as e:
        raise DataError(path, f"cannot read table ({type(e).__name__}: {e})") from None


@lru_cache(maxsize=2)
def _parquet_group(path: str, group: int):
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).read_row_group(group, columns=["image"]).column("image")


@lru_cache(maxsize=2)
def _arrow_table(path: str):
    import pyarrow as pa

    return pa.ipc.open_stream(pa.memory_map(path)).read_all()


def read_table_image(path: Path, row: int) -> np.ndarray:
    """Decode the ``image`` cell of ``row`` in a Parquet/Arrow file to ``uint8`` (H, W, 3) RGB."""
    import pyarrow.parquet as pq

    try:
        if path.suffix == ".parquet":
            meta = pq.ParquetFile(str(path)).metadata
            g, start = 0, 0
            while start + meta.row_group(g).num_rows <= row:
                start += meta.row_group(g).num_rows
                g += 1
            cell = _parquet_group(str(path), g)[row - start].as_py()
        else:
            cell = _arrow_table(str(path)).column("image")[row].as_py()
    except Exception as e:
        raise DataError(path, f"row {row}: cannot read the image cell ({type(e).__name__}: {e})") from None
    if isinstance(cell, dict) and cell.get("bytes"):
        img = cv2.imdecode(np.frombuffer(cell["bytes"], np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise DataError(path, f"row {row}: image bytes do not decode")
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    if isinstance(cell, dict) and cell.get("path"):
        return read_rgb(path.parent / cell["path"])
    raise DataError(path, f"row {row}: empty image cell")


def _json_value(v: Any) -> Any:
    if isinstance(v, (str, bytes)):
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v
    return v


def _split_of_file(path: Path) -> str | None:
    m = _SPLIT_PREFIX.match(path.name) or _SPLIT_PREFIX.match(path.parent.name)
    if not m:
        return None
    return "val" if m.group(1) == "validation" else m.group(1)


def hf_index(ds_dir: Path, problems: Problems) -> ReferIndex:
    """Read every Parquet (else Arrow) table under ``ds_dir`` into a `ReferIndex`."""
    files = sorted(ds_dir.rglob("*.parquet")) or sorted(ds_dir.rglob("*.arrow"))
    refs: list[dict] = []
    anns: dict[int, dict] = {}
    images: dict[int, dict] = {}
    cats: dict[int, dict] = {}
    cell_of: dict[int, tuple[Path, int]] = {}
    img_dir = find_image_dir(ds_dir.parent)
    for f in files:
        names = _schema_names(f)
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise DataError(f, f"missing column(s) {', '.join(missing)} (see the column mapping in docs/data.md)")
        has_ann = "raw_anns" in names or "segmentation" in names
        has_info = "raw_image_info" in names or ("height" in names and "width" in names)
        if not has_ann:
            raise DataError(f, "needs a raw_anns or segmentation column")
        if not has_info:
            raise DataError(f, "needs a raw_image_info column or height and width columns")
        cols = [c for c in names if c != "image"]
        file_split = _split_of_file(f)
        for row, r in enumerate(_read_rows(f, cols)):
            ann = _json_value(r["raw_anns"]) if "raw_anns" in r else {
                "segmentation": _json_value(r.get("segmentation")), "bbox": r.get("bbox"),
                "area": r.get("area"), "iscrowd": r.get("iscrowd", 0)}
            if not isinstance(ann, dict):
                problems.add(f, f"row {row}: raw_anns is not a JSON object")
                continue
            info = _json_value(r["raw_image_info"]) if "raw_image_info" in r else {
                "height": r["height"], "width": r["width"]}
            try:
                iid, aid = int(r["image_id"]), int(r["ann_id"])
                h, w = int(info["height"]), int(info["width"])
            except (KeyError, TypeError, ValueError):
                problems.add(f, f"row {row}: image_id/ann_id/height/width are not integers")
                continue
            split = r.get("split") or file_split
            if split is None:
                problems.add(f, f"row {row}: no split column and the file name names no split")
                continue
            file_name = info.get("file_name") or f"COCO_train2014_{iid:012d}.jpg"
            images.setdefault(iid, {"file_name": file_name, "height": h, "width": w})
            anns[aid] = {**ann, "image_id": ann.get("image_id", iid)}
            cid = r.get("category_id", ann.get("category_id"))
            if cid is not None:
                cats.setdefault(int(cid), {"name": None, "supercategory": None})  # names are not in the tables
            if "image" in names:
                cell_of.setdefault(iid, (f, row))
            refs.append({"ref_id": r["ref_id"], "ann_id": aid, "image_id": iid, "split": split,
                         "category_id": cid if cid is not None else -1, "sentences": r["sentences"],
                         **({"sent_ids": r["sent_ids"]} if r.get("sent_ids") is not None else {})})
    if not files:
        raise DataError(ds_dir, "no *.parquet or *.arrow files")

    def loader(iid: int):
        if iid in cell_of:
            return partial(read_table_image, *cell_of[iid])
        return partial(read_rgb, img_dir / images[iid]["file_name"])

    def image_path(iid: int) -> str:
        if iid in cell_of:
            f, row = cell_of[iid]
            return f"{f}#row={row}"
        return str(img_dir / images[iid]["file_name"])

    return ReferIndex(refs=refs, anns=anns, images=images, categories=cats, image_loader=loader,
                      image_path=image_path, source=files[0], files=list(files))

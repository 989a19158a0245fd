"""Writers for the published dataset formats (used by the demo generator and the test fixtures).

Each writer produces the bytes the official release has — COCO panoptic RGB PNGs + JSON, COCO
instances JSON with polygons and (un)compressed RLE, REFER pickles as Python 2 wrote them
(protocol 2 with byte-string ``str``), DAVIS / VOC palette PNGs and list files, GrabCut /
Berkeley masks, SBD GTinst ``.mat`` — deterministically: same inputs, same bytes. Nothing here
imports the loaders; the tests check the bytes against independent decoders (pycocotools,
panopticapi, ``pickletools``, PIL, scipy).

>>> write_palette_png("00000.png", labels)     # doctest: +SKIP
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

# --------------------------------------------------------------------------- images / palettes


def voc_colormap(n: int = 256) -> np.ndarray:
    """The PASCAL VOC / DAVIS palette, ``uint8`` (n, 3): index bits spread over R, G, B high bits.

    >>> voc_colormap()[[0, 1, 2, 255]].tolist()
    [[0, 0, 0], [128, 0, 0], [0, 128, 0], [224, 224, 192]]
    """
    idx = np.arange(n)
    cmap = np.zeros((n, 3), np.int64)
    for bit in range(8):
        for ch in range(3):
            cmap[:, ch] |= ((idx >> (3 * bit + ch)) & 1) << (7 - bit)
    return cmap.astype(np.uint8)


def write_jpeg(path: str | Path, rgb: np.ndarray, quality: int = 95) -> None:
    """Write an RGB ``uint8`` (H, W, 3) image as JPEG (OpenCV, deterministic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]):
        raise OSError(f"cannot write {path}")


def write_palette_png(path: str | Path, labels: np.ndarray, palette: np.ndarray | None = None) -> None:
    """Write ``uint8`` (H, W) indices as a mode-``P`` PNG with the VOC/DAVIS palette."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(np.asarray(labels, np.uint8), mode="P")
    pal = voc_colormap() if palette is None else np.asarray(palette, np.uint8)
    im.putpalette(pal.reshape(-1).tolist())
    im.save(path, format="PNG")


def write_grey_png(path: str | Path, values: np.ndarray) -> None:
    """Write ``uint8`` (H, W) as a mode-``L`` PNG."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, np.uint8), mode="L").save(path, format="PNG")


# --------------------------------------------------------------------------- COCO


def id2rgb(ids: np.ndarray) -> np.ndarray:
    """Panoptic ids (H, W) -> ``uint8`` (H, W, 3) with ``id = R + 256*G + 256**2*B``."""
    ids = np.asarray(ids, np.int64)
    return np.stack([ids % 256, ids // 256 % 256, ids // 65536 % 256], axis=-1).astype(np.uint8)


def write_panoptic_png(path: str | Path, ids: np.ndarray) -> None:
    """Write a panoptic id map (H, W) as an RGB PNG."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(id2rgb(ids), mode="RGB").save(path, format="PNG")


def rle_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts: run lengths over the column-major (Fortran) pixel order,
    alternating background/foreground and starting with background (possibly a 0 run)."""
    flat = np.asarray(mask, bool).ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    return [int(r) for r in runs]


def rle_string(counts: Sequence[int]) -> str:
    """COCO's compressed RLE string: each count (minus the count two places back, from the
    fourth on) as little-endian 5-bit groups, 0x20 = more groups follow, 0x10 of the last group
    = sign, each group offset by 48 into printable ASCII."""
    out = []
    for i, c in enumerate(counts):
        x = int(c) - (int(counts[i - 2]) if i > 2 else 0)
        while True:
            group = x & 0x1F
            x >>= 5  # arithmetic shift: negative deltas end at -1
            more = (x != -1) if group & 0x10 else (x != 0)
            out.append(chr(48 + (group | (0x20 if more else 0))))
            if not more:
                break
    return "".join(out)


def mask_to_rle(mask: np.ndarray, compressed: bool) -> dict[str, Any]:
    """``{"size": [h, w], "counts": ...}``: counts as a list (uncompressed) or a string."""
    h, w = mask.shape
    counts = rle_counts(mask)
    return {"size": [int(h), int(w)], "counts": rle_string(counts) if compressed else counts}


def mask_to_polygons(mask: np.ndarray, min_points: int = 3) -> list[list[float]]:
    """Outer contours of ``mask`` as COCO polygons ``[[x0, y0, x1, y1, ...], ...]`` (holes dropped,
    as COCO's polygon annotations cannot hold them)."""
    contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        pts = c.reshape(-1, 2)
        if len(pts) >= min_points:
            polys.append([float(v) for v in pts.reshape(-1)])
    return polys


def bbox_of(mask: np.ndarray) -> list[float]:
    """Tight ``[x, y, w, h]`` of a mask (zeros for an empty mask)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


def write_json(path: str | Path, obj: Any) -> None:
    """Compact, key-order-preserving JSON (deterministic for the same object)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, separators=(",", ":")), encoding="utf-8")


def write_coco_panoptic(root: str | Path, split: str, images: Sequence[Mapping], id_maps: Mapping[int, np.ndarray],
                        segments: Mapping[int, Sequence[Mapping]], categories: Sequence[Mapping]) -> Path:
    """Write ``annotations/panoptic_<split>.json`` and ``panoptic_<split>/<stem>.png``.

    ``images``: ``{id, file_name, height, width}``; ``id_maps[image_id]``: segment ids (H, W);
    ``segments[image_id]``: ``{id, category_id, iscrowd}`` — ``area`` and ``bbox`` are computed
    from the id map unless given. Returns the JSON path.
    """
    root = Path(root)
    anns = []
    for im in images:
        iid = int(im["id"])
        ids = np.asarray(id_maps[iid])
        png_name = Path(im["file_name"]).stem + ".png"
        write_panoptic_png(root / f"panoptic_{split}" / png_name, ids)
        infos = []
        for s in segments[iid]:
            m = ids == int(s["id"])
            infos.append({"id": int(s["id"]), "category_id": int(s["category_id"]),
                          "iscrowd": int(s.get("iscrowd", 0)),
                          "bbox": s.get("bbox", bbox_of(m)), "area": s.get("area", int(m.sum()))})
        anns.append({"segments_info": infos, "file_name": png_name, "image_id": iid})
    path = root / "annotations" / f"panoptic_{split}.json"
    write_json(path, {"info": {"description": "seem-bench"}, "licenses": [], "images": [dict(i) for i in images],
                      "annotations": anns, "categories": [dict(c) for c in categories]})
    return path


def write_coco_instances(path: str | Path, images: Sequence[Mapping], annotations: Sequence[Mapping],
                         categories: Sequence[Mapping]) -> Path:
    """Write a COCO instances JSON (annotations already carry ``segmentation``)."""
    path = Path(path)
    write_json(path, {"info": {"description": "seem-bench"}, "licenses": [], "images": [dict(i) for i in images],
                      "annotations": [dict(a) for a in annotations],
                      "categories": [{k: v for k, v in c.items() if k in ("id", "name", "supercategory")}
                                     for c in categories]})
    return path


# --------------------------------------------------------------------------- Python 2 pickles


class _Py2Pickler:
    """Emit protocol-2 pickles the way Python 2's cPickle laid out plain data.

    Text becomes a Python 2 ``str`` (``SHORT_BINSTRING``/``BINSTRING`` of its UTF-8 bytes), which
    Python 3 can only read back with the right ``encoding`` — the situation of REFER's files.
    Supports dict, list, tuple, str, bytes, int, float, bool and None.
    """

    def __init__(self) -> None:
        self.out = io.BytesIO()

    def dump(self, obj: Any) -> bytes:
        self.out.write(b"\x80\x02")  # PROTO 2
        self._save(obj)
        self.out.write(b".")  # STOP
        return self.out.getvalue()

    def _save(self, obj: Any) -> None:
        w = self.out.write
        if obj is None:
            w(b"N")
        elif obj is True:
            w(b"\x88")
        elif obj is False:
            w(b"\x89")
        elif isinstance(obj, int):
            if 0 <= obj < 256:
                w(b"K" + struct.pack("<B", obj))
            elif 0 <= obj < 65536:
                w(b"M" + struct.pack("<H", obj))
            elif -(2**31) <= obj < 2**31:
                w(b"J" + struct.pack("<i", obj))
            else:
                n = (obj.bit_length() + 8) // 8
                w(b"\x8a" + struct.pack("<B", n) + obj.to_bytes(n, "little", signed=True))
        elif isinstance(obj, float):
            w(b"G" + struct.pack(">d", obj))
        elif isinstance(obj, (str, bytes)):
            data = obj.encode("utf-8") if isinstance(obj, str) else obj
            if len(data) < 256:
                w(b"U" + struct.pack("<B", len(data)) + data)
            else:
                w(b"T" + struct.pack("<I", len(data)) + data)
        elif isinstance(obj, dict):
            w(b"}")
            if obj:
                w(b"(")
                for k, v in obj.items():
                    self._save(k)
                    self._save(v)
                w(b"u")
        elif isinstance(obj, list):
            w(b"]")
            if obj:
                w(b"(")
                for v in obj:
                    self._save(v)
                w(b"e")
        elif isinstance(obj, tuple):
            w(b"(")
            for v in obj:
                self._save(v)
            w(b"t")
        else:
            raise TypeError(f"cannot write {type(obj).__name__} as a Python 2 pickle")


def py2_pickle_bytes(obj: Any) -> bytes:
    """Bytes of ``obj`` as Python 2 ``cPickle.dump(obj, f, 2)`` would write plain data."""
    return _Py2Pickler().dump(obj)


def write_refer(root: str | Path, name: str, split_by: str, refs: Sequence[Mapping], images: Sequence[Mapping],
                annotations: Sequence[Mapping], categories: Sequence[Mapping]) -> tuple[Path, Path]:
    """Write ``root/<name>/refs(<split_by>).p`` (Python 2 pickle) and ``root/<name>/instances.json``."""
    d = Path(root) / name
    d.mkdir(parents=True, exist_ok=True)
    ref_path = d / f"refs({split_by}).p"
    ref_path.write_bytes(py2_pickle_bytes([dict(r) for r in refs]))
    inst_path = write_coco_instances(d / "instances.json", images, annotations, categories)
    return ref_path, inst_path


# --------------------------------------------------------------------------- DAVIS


def write_davis(root: str | Path, sequences: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
                splits: Mapping[str, Iterable[str]], year: str = "2017") -> None:
    """Write DAVIS ``JPEGImages/480p``, ``Annotations/480p`` (palette PNGs) and ``ImageSets/<year>``.

    ``sequences[seq]``: frames as (RGB image, ``uint8`` labels with 0 bg, k objects, 255 void);
    ``splits``: ``{"val": [seq, ...], ...}``.
    """
    root = Path(root)
    for seq, frames in sequences.items():
        for t, (rgb, labels) in enumerate(frames):
            write_jpeg(root / "JPEGImages" / "480p" / seq / f"{t:05d}.jpg", rgb)
            write_palette_png(root / "Annotations" / "480p" / seq / f"{t:05d}.png", labels)
    for split, names in splits.items():
        p = root / "ImageSets" / year / f"{split}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(f"{n}\n" for n in names))


# --------------------------------------------------------------------------- click sets


def write_grabcut_item(img_dir: str | Path, gt_dir: str | Path, name: str, rgb: np.ndarray, gt: np.ndarray,
                       img_ext: str = ".jpg", mask_ext: str = ".bmp") -> None:
    """One GrabCut/Berkeley pair: image and a grey mask (0 bg, 128 ignore, 255 object)."""
    img_dir, gt_dir = Path(img_dir), Path(gt_dir)
    img_dir.mkdir(parents=True, exist_ok=True)
    gt_dir.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(img_dir / f"{name}{img_ext}"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(str(gt_dir / f"{name}{mask_ext}"), np.asarray(gt, np.uint8))


def write_img_gt_item(root: str | Path, name: str, rgb: np.ndarray, mask: np.ndarray,
                      colour: tuple[int, int, int] = (255, 255, 255)) -> None:
    """One DAVIS-345 / COCO-MVal pair: ``img/<name>.jpg`` and ``gt/<name>.png`` (object in ``colour``)."""
    root = Path(root)
    write_jpeg(root / "img" / f"{name}.jpg", rgb)
    gt = np.zeros((*mask.shape, 3), np.uint8)
    gt[np.asarray(mask, bool)] = colour
    (root / "gt").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(root / "gt" / f"{name}.png"), gt[:, :, ::-1])


_MAT_HEADER = b"MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2011"


def write_sbd_mat(path: str | Path, segmentation: np.ndarray, categories: Sequence[int]) -> None:
    """A GTinst ``.mat`` (MATLAB v5): ``Segmentation`` uint8, ``Boundaries`` sparse cell, ``Categories``.

    The header's creation date is fixed so the bytes are reproducible.
    """
    import scipy.io
    import scipy.sparse

    seg = np.asarray(segmentation, np.uint8)
    n = len(categories)
    bounds = np.empty((n, 1), object)
    for k in range(1, n + 1):
        m = (seg == k).astype(np.uint8)
        edge = m - cv2.erode(m, np.ones((3, 3), np.uint8)) if m.any() else m
        bounds[k - 1, 0] = scipy.sparse.csc_matrix(edge.astype(bool))
    cats = np.asarray(list(categories), np.uint8).reshape(n, 1)
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"GTinst": {"Segmentation": seg, "Boundaries": bounds, "Categories": cats}})
    data = bytearray(buf.getvalue())
    data[:116] = _MAT_HEADER.ljust(116, b" ")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))


def write_sbd(root: str | Path, split: str, items: Mapping[str, tuple[np.ndarray, np.ndarray, Sequence[int]]]) -> None:
    """SBD layout: ``img/<name>.jpg``, ``inst/<name>.mat``, ``<split>.txt``.

    ``items[name]`` = (RGB image, Segmentation labels, category of each instance 1..n).
    """
    root = Path(root)
    for name, (rgb, seg, cats) in items.items():
        write_jpeg(root / "img" / f"{name}.jpg", rgb)
        write_sbd_mat(root / "inst" / f"{name}.mat", seg, cats)
    (root / f"{split}.txt").write_text("".join(f"{n}\n" for n in items))


def write_voc(root: str | Path, split: str, items: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """VOC 2012 layout: ``JPEGImages/``, ``SegmentationObject/`` palette PNGs (255 = void), split list."""
    root = Path(root)
    for name, (rgb, labels) in items.items():
        write_jpeg(root / "JPEGImages" / f"{name}.jpg", rgb)
        write_palette_png(root / "SegmentationObject" / f"{name}.png", labels)
    p = root / "ImageSets" / "Segmentation" / f"{split}.txt"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("".join(f"{n}\n" for n in items))

"""DAVIS 2017 and DAVIS 2016 video object segmentation, read as davis2017-evaluation reads them.

Layout (``root`` = the ``DAVIS`` folder)::

    root/ImageSets/2017/val.txt                 one sequence name per line (2016: ImageSets/2016/)
    root/JPEGImages/480p/<seq>/00000.jpg ...
    root/Annotations/480p/<seq>/00000.png ...   palette PNG: pixel = object index, 0 = background,
                                                255 = void
    root/Scribbles/<seq>/001.json ...           (interactive track only; listed in ``meta``)

One `Sample` per sequence (``sample_id`` = the sequence name), in list-file order; its ``frames``
hold one `Sample` per frame (``sample_id`` = ``"<seq>/<frame>"``, frames in sorted file order,
images and masks paired by sorted position like the reference toolkit). Objects are numbered
1..N where N is the largest object index in the *first* frame's annotation (void excluded):
davis2017-evaluation's rule, so an object that first appears later is not evaluated. Each frame
carries the same N instance ids; ``mask`` = (pixel == k), ``ignore`` = (pixel == 255). The
reference toolkit sets void to background before scoring (nothing ignored): a metric that wants
its numbers must not use ``ignore``. Frames without an annotation file (test sets) have no
instances and ``meta["annotated"] = False``.

``davis2016`` reads the sequences of ``ImageSets/2016/<split>.txt`` (or the DAVIS 2016 release's
``ImageSets/480p/<split>.txt`` of image/annotation path pairs) with all objects merged into one
instance ``"1"``: palette masks give (1 <= pixel <= 254), and the 2016 release's greyscale
masks (0 / 255, no void) give (pixel > 0), as its MATLAB reader ``db_read_annot`` does.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import image_size, png_mode, read_label_png, read_lines, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

VOID = 255
RESOLUTION = "480p"


def object_mask(png: Path, k: int) -> np.ndarray:
    """Object ``k`` of a DAVIS annotation: ``bool`` (H, W)."""
    return read_label_png(png) == k


def void_mask(png: Path) -> np.ndarray:
    """Void pixels (index 255) of a DAVIS annotation: ``bool`` (H, W)."""
    return read_label_png(png) == VOID


def merged_mask(png: Path) -> np.ndarray:
    """All objects of an annotation as one mask (DAVIS 2016 convention), ``bool`` (H, W)."""
    lab = read_label_png(png)
    if png_mode(png) == "P":
        return (lab > 0) & (lab != VOID)
    return lab > 0  # DAVIS 2016 release: greyscale 0/255 masks, no void


def void_mask_2016(png: Path) -> np.ndarray:
    if png_mode(png) == "P":
        return read_label_png(png) == VOID
    return np.zeros(read_label_png(png).shape, bool)


def _sequences(root: Path, year: str, split: str, problems: Problems) -> tuple[list[str], Path]:
    list_file = root / "ImageSets" / year / f"{split}.txt"
    if year == "2016" and not list_file.is_file() and (root / "ImageSets" / RESOLUTION / f"{split}.txt").is_file():
        # The DAVIS 2016 release lists "/JPEGImages/480p/<seq>/00000.jpg /Annotations/..." pairs.
        list_file = root / "ImageSets" / RESOLUTION / f"{split}.txt"
        seqs: list[str] = []
        for line in read_lines(list_file):
            parts = line.split()[0].strip("/").split("/")
            if len(parts) < 3:
                problems.add(list_file, f"cannot parse line {line!r}")
                continue
            if parts[-2] not in seqs:
                seqs.append(parts[-2])
        return seqs, list_file
    names = read_lines(list_file)
    if len(set(names)) != len(names):
        problems.add(list_file, "a sequence is listed twice")
        names = list(dict.fromkeys(names))
    return names, list_file


def build_davis(root: Path, split: str | None, year: str = "2017", problems: Problems = STRICT,
                name: str | None = None) -> Dataset:
    """Index DAVIS ``year`` (``"2017"`` or ``"2016"``) sequences of ``split`` (default ``val``)."""
    name = name or f"davis{year}"
    split = split or "val"
    seqs, list_file = _sequences(root, year, split, problems)
    if not seqs:
        problems.add(list_file, f"split {split} lists no sequences")
    img_root, ann_root = root / "JPEGImages" / RESOLUTION, root / "Annotations" / RESOLUTION
    samples = []
    for seq in seqs:
        images = sorted((img_root / seq).glob("*.jpg"))
        masks = sorted((ann_root / seq).glob("*.png"))
        if not images:
            problems.add(img_root / seq, "no frames (*.jpg) for this sequence")
            continue
        if not masks:
            problems.add(ann_root / seq, "no annotations (*.png) for this sequence")
            continue
        if len(masks) > len(images):
            problems.add(ann_root / seq, f"{len(masks)} annotations for {len(images)} frames")
            continue
        bad = [m.name for m, im in zip(masks, images, strict=False) if m.stem != im.stem]
        if bad:
            problems.add(ann_root / seq, f"annotation {bad[0]} does not pair with frame of the same name")
            continue
        try:
            h, w = image_size(images[0])
            first = read_label_png(masks[0])
        except DataError as e:
            problems.add_error(e)
            continue
        if year == "2016":
            ids = [1]
        else:
            valid = first[first != VOID]
            n_obj = int(valid.max()) if valid.size else 0
            ids = list(range(1, n_obj + 1))
            if not ids:
                problems.add(masks[0], "first-frame annotation has no object")
                continue
        frames = []
        for i, img in enumerate(images):
            png = masks[i] if i < len(masks) else None
            if png is None:
                insts: tuple[Instance, ...] = ()
            elif year == "2016":
                insts = (Instance("1", partial(merged_mask, png), partial(void_mask_2016, png)),)
            else:
                insts = tuple(Instance(str(k), partial(object_mask, png, k), partial(void_mask, png))
                              for k in ids)
            frames.append(Sample(sample_id=f"{seq}/{img.stem}", dataset=name, image_loader=partial(read_rgb, img),
                                 height=h, width=w, instances=insts, image_path=str(img),
                                 meta={"sequence": seq, "frame": i, "annotated": png is not None,
                                       "annotation_path": None if png is None else str(png)}))
        scribbles = sorted((root / "Scribbles" / seq).glob("*.json"))
        samples.append(Sample(sample_id=seq, dataset=name, image_loader=None, height=h, width=w,
                              instances=frames[0].instances, frames=tuple(frames),
                              meta={"sequence": seq, "n_objects": len(ids), "first_frame": images[0].stem,
                                    "scribbles": tuple(str(s) for s in scribbles)}))
    return Dataset(name=name, root=root, split=split, samples=samples,
                   fingerprint={"files": fingerprint_files(root, [list_file]),
                                "listing_frames": sum(len(s.frames) for s in samples)})


def load_davis2017(root: str | Path, split: str | None = None) -> Dataset:
    """``davis2017``: multi-object, splits ``train`` / ``val`` (default) / ``test-dev``."""
    return build_davis(Path(root), split, "2017")


def load_davis2016(root: str | Path, split: str | None = None) -> Dataset:
    """``davis2016``: single object (all objects merged), splits ``train`` / ``val`` (default)."""
    return build_davis(Path(root), split, "2016")


def build_davis2017(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return build_davis(root, split, "2017", problems)


def build_davis2016(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    return build_davis(root, split, "2016", problems)


def read_scribbles(path: str | Path, n_frames: int, n_objects: int) -> dict:
    """A DAVIS interactive scribble file, validated against its sequence; the parsed JSON.

    Shape (davis-interactive's ``Scribbles/<seq>/NNN.json``): ``{"scribbles": [per frame: [{"path":
    [[x/W, y/H], ...], "object_id": k}, ...]], "sequence": ..., "annotated_frame": ...}`` with one
    list per frame of the sequence, coordinates in [0, 1], ``object_id`` in 0..N (0 = background,
as the davis-interactive robot writes it) and at least one
    stroke. Anything else is a `DataError` naming the file (`data check` lists it; a run stops).
    """
    from seem_bench.data.io import read_json

    p = Path(path)
    data = read_json(p)
    per_frame = data.get("scribbles") if isinstance(data, dict) else None
    if not isinstance(per_frame, list) or not all(isinstance(f, list) for f in per_frame):
        raise DataError(p, "not a DAVIS scribble file (needs a 'scribbles' list of per-frame lists)")
    if len(per_frame) != n_frames:
        raise DataError(p, f"holds {len(per_frame)} frames but the sequence has {n_frames}")
    for t, strokes in enumerate(per_frame):
        for j, s in enumerate(strokes):
            where = f"frame {t} stroke {j}"
            if not isinstance(s, dict) or "path" not in s or "object_id" not in s:
                raise DataError(p, f"{where} needs 'path' and 'object_id'")
            oid = s["object_id"]
            if isinstance(oid, bool) or not isinstance(oid, int) or not 0 <= oid <= n_objects:
                raise DataError(p, f"{where} has object_id {oid!r}; the sequence has objects 1..{n_objects} "
                                   "(0 = background)")
            try:
                pts = np.asarray(s["path"], np.float64)
            except (TypeError, ValueError):
                pts = np.zeros((0, 0))
            if pts.ndim != 2 or pts.shape[1:] != (2,) or not len(pts):
                raise DataError(p, f"{where}: 'path' must be a non-empty list of [x, y] points")
            if not np.isfinite(pts).all() or pts.min() < 0 or pts.max() > 1:
                raise DataError(p, f"{where}: 'path' coordinates must be fractions of the frame size in [0, 1]")
    if not any(per_frame):
        raise DataError(p, "holds no scribble")
    f = data.get("annotated_frame")
    if f is not None and (isinstance(f, bool) or not isinstance(f, int) or not 0 <= f < n_frames
                          or not per_frame[f]):
        raise DataError(p, f"annotated_frame {f!r} is not a frame holding strokes")
    return data


def read_scribble_file(path: str | Path, shape: tuple[int, int], n_frames: int, n_objects: int
                       ) -> tuple[int, list[Any]]:
    """A DAVIS scribble JSON -> (annotated frame, strokes in pixels), validated against the
    sequence by `read_scribbles` (frame count, JSON shape, object ids, coordinates).

    Format: ``{"scribbles": [[{"path": [[x/W, y/H], ...], "object_id": k}, ...] per frame], ...}``.
    Strokes are `seem_bench.prompts.davis_robot.RobotScribble`, the type the robot also makes.
    """
    from seem_bench.prompts.davis_robot import RobotScribble

    data = read_scribbles(path, n_frames, n_objects)
    per_frame = data["scribbles"]
    h, w = shape
    frames = [i for i, strokes in enumerate(per_frame) if strokes]
    f = int(data.get("annotated_frame", frames[0]))
    strokes = [RobotScribble(int(s["object_id"]), np.asarray(s["path"], float) * [w, h])
               for s in per_frame[f]]
    return f, strokes

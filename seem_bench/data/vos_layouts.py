"""Video object segmentation sets beyond DAVIS: MOSE, SA-V and LVOS, read in their published layouts.

Every loader yields one `Sample` per video (``sample_id`` = the video name) whose ``frames``
hold one `Sample` per JPEG frame, in sorted file order, like `seem_bench.data.davis`. A frame
is *annotated* (``meta["annotated"]``) when its annotation exists; it then carries one
`Instance` per object of the video (an empty mask where the object is absent), ``ignore`` =
void pixels (255) for palette layouts. Unannotated frames have no instances (the
``video-interactive`` kind neither clicks nor scores them).

MOSE (Ding et al., ICCV 2023; ``root`` = the ``MOSE`` folder)::

    root/<split>/JPEGImages/<video>/00000.jpg ...     split: train, valid
    root/<split>/Annotations/<video>/00000.png ...    palette PNG, pixel = object id, 0 background

  Videos = the sorted folders of ``JPEGImages``. Objects = the ids in the video's first
  annotation (MOSE ``valid`` releases only that one: its other frames are unannotated here).

SA-V (Ravi et al. 2024; ``root`` = the folder holding ``sav_val`` / ``sav_test``)::

    root/sav_<split>/sav_<split>.txt                           video ids, one per line
    root/sav_<split>/JPEGImages_24fps/<video>/00000.jpg ...
    root/sav_<split>/Annotations_6fps/<video>/<obj>/00000.png  one binary PNG per object and
                                                              annotated frame (every 4th: 6 fps)

  Objects = the ``<obj>`` folders (ids kept as named, e.g. ``000``); mask = pixel > 0, no void.
  Without the list file the ``JPEGImages_24fps`` folders are the videos.

LVOS (Hong et al., ICCV 2023; v1 and v2 share it; ``root`` = the ``LVOS`` folder)::

    root/<split>/JPEGImages/<video>/00000001.jpg ...   split: train, valid, test
    root/<split>/Annotations/<video>/00000001.png ...  palette PNG as DAVIS (255 = void)
    root/<split>/<split>_meta.json                     {"videos": {<video>: {"objects":
                                                       {<id>: {"frame_range": {"start": ...}}}}}}

  Objects = the meta file's ids for the video (objects appear later in long videos), else
  the ids of the first annotation. Frames and annotations pair by file stem.

Malformed layouts (a video without frames, an annotation without a frame of the same name, a
meta file that is not the shape above) are `DataError`s naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

from seem_bench.data.fingerprint import fingerprint_files
from seem_bench.data.io import image_size, read_json, read_label_png, read_lines, read_rgb
from seem_bench.data.problems import STRICT, Problems
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError

VOID = 255


def _label_mask(png: Path, k: int) -> np.ndarray:
    return read_label_png(png) == k


def _void(png: Path) -> np.ndarray:
    return read_label_png(png) == VOID


def _binary(png: Path, shape: tuple[int, int]) -> np.ndarray:
    if not png.is_file():
        return np.zeros(shape, bool)
    return read_label_png(png) > 0


def _first_ids(png: Path) -> list[str]:
    lab = read_label_png(png)
    return [str(int(v)) for v in np.unique(lab) if v not in (0, VOID)]


def _video(name: str, video: str, images: list[Path], ids: list[str],
           annotation_of: Callable[[Path], Callable[[str], Instance] | None]) -> Sample:
    h, w = image_size(images[0])
    frames = []
    for i, img in enumerate(images):
        make = annotation_of(img)
        insts = tuple(make(k) for k in ids) if make is not None else ()
        frames.append(Sample(sample_id=f"{video}/{img.stem}", dataset=name, image_loader=partial(read_rgb, img),
                             height=h, width=w, instances=insts, image_path=str(img),
                             meta={"sequence": video, "frame": i, "annotated": make is not None}))
    first = next((f.instances for f in frames if f.instances), ())
    return Sample(sample_id=video, dataset=name, image_loader=None, height=h, width=w, instances=first,
                  frames=tuple(frames), meta={"sequence": video, "n_objects": len(ids)})


def _palette_video(name: str, video: str, img_dir: Path, ann_dir: Path, ids: list[str] | None,
                   problems: Problems) -> Sample | None:
    images = sorted(img_dir.glob("*.jpg"))
    if not images:
        problems.add(img_dir, "no frames (*.jpg) for this video")
        return None
    pngs = {p.stem: p for p in sorted(ann_dir.glob("*.png"))}
    stems = {p.stem for p in images}
    orphan = sorted(set(pngs) - stems)
    if orphan:
        problems.add(ann_dir / f"{orphan[0]}.png", "annotation without a frame of the same name")
        return None
    if not pngs:
        problems.add(ann_dir, "no annotations (*.png) for this video")
        return None
    if ids is None:
        ids = _first_ids(pngs[min(pngs)])
    if not ids:
        problems.add(pngs[min(pngs)], "first annotation has no object")
        return None

    def annotation_of(img: Path) -> Callable[[str], Instance] | None:
        png = pngs.get(img.stem)
        if png is None:
            return None
        return lambda k: Instance(k, partial(_label_mask, png, int(k)), partial(_void, png))

    return _video(name, video, images, ids, annotation_of)


def _dataset(name: str, root: Path, split: str, samples: list[Sample], listed: list[Path]) -> Dataset:
    return Dataset(name=name, root=root, split=split, samples=samples,
                   fingerprint={"files": fingerprint_files(root, listed),
                                "listing_frames": sum(len(s.frames) for s in samples)})


def _folders(path: Path) -> list[str]:
    if not path.is_dir():
        raise DataError(path, "folder not found")
    return sorted(p.name for p in path.iterdir() if p.is_dir())


def build_mose(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    split = split or "valid"
    base = root / split
    samples = []
    for video in _folders(base / "JPEGImages"):
        s = _palette_video("mose", video, base / "JPEGImages" / video, base / "Annotations" / video, None, problems)
        if s is not None:
            samples.append(s)
    return _dataset("mose", root, split, samples, [])


def _lvos_ids(meta_path: Path) -> dict[str, list[str]] | None:
    if not meta_path.is_file():
        return None
    data = read_json(meta_path)
    videos = data.get("videos") if isinstance(data, dict) else None
    if not isinstance(videos, dict):
        raise DataError(meta_path, "LVOS meta needs a 'videos' mapping")
    out = {}
    for vid, v in videos.items():
        objs = v.get("objects") if isinstance(v, dict) else None
        if not isinstance(objs, dict) or not objs:
            raise DataError(meta_path, f"video {vid!r} needs a non-empty 'objects' mapping")
        bad = [k for k in objs if not str(k).isdigit() or not 0 < int(k) < VOID]
        if bad:
            raise DataError(meta_path, f"video {vid!r}: object id {bad[0]!r} is not a palette index 1..254")
        out[vid] = sorted(objs, key=int)
    return out


def build_lvos(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    split = split or "valid"
    base = root / split
    meta_path = base / f"{split}_meta.json"
    ids = _lvos_ids(meta_path)
    samples = []
    for video in _folders(base / "JPEGImages"):
        vid_ids = None if ids is None else ids.get(video)
        if ids is not None and vid_ids is None:
            problems.add(meta_path, f"video {video} is not in the meta file")
            continue
        s = _palette_video("lvos", video, base / "JPEGImages" / video, base / "Annotations" / video, vid_ids,
                           problems)
        if s is not None:
            samples.append(s)
    return _dataset("lvos", root, split, samples, [meta_path] if meta_path.is_file() else [])


def build_sav(root: Path, split: str | None, problems: Problems = STRICT) -> Dataset:
    split = split or "val"
    base = root / f"sav_{split}"
    if not base.is_dir() and (root / "JPEGImages_24fps").is_dir():
        base = root  # root is the sav_<split> folder itself
    list_file = base / f"sav_{split}.txt"
    img_root, ann_root = base / "JPEGImages_24fps", base / "Annotations_6fps"
    videos = read_lines(list_file) if list_file.is_file() else _folders(img_root)
    samples = []
    for video in videos:
        images = sorted((img_root / video).glob("*.jpg"))
        if not images:
            problems.add(img_root / video, "no frames (*.jpg) for this video")
            continue
        obj_dirs = _folders(ann_root / video) if (ann_root / video).is_dir() else []
        if not obj_dirs:
            problems.add(ann_root / video, "no object annotation folders for this video")
            continue
        stems = {p.stem for d in obj_dirs for p in (ann_root / video / d).glob("*.png")}
        orphan = sorted(stems - {p.stem for p in images})
        if orphan:
            problems.add(ann_root / video, f"annotation {orphan[0]}.png has no frame of the same name")
            continue
        shape = image_size(images[0])

        def annotation_of(img: Path, video: str = video, stems: set = stems,
                          shape: tuple[int, int] = shape) -> Callable[[str], Instance] | None:
            if img.stem not in stems:
                return None
            return lambda k: Instance(k, partial(_binary, ann_root / video / k / f"{img.stem}.png", shape), None)

        samples.append(_video("sav", video, images, obj_dirs, annotation_of))
    return _dataset("sav", root, split, samples, [list_file] if list_file.is_file() else [])


def load_mose(root: str | Path, split: str | None = None) -> Dataset:
    """``mose``: splits ``train`` / ``valid`` (default)."""
    return build_mose(Path(root), split)


def load_sav(root: str | Path, split: str | None = None) -> Dataset:
    """``sav``: splits ``val`` (default) / ``test``."""
    return build_sav(Path(root), split)


def load_lvos(root: str | Path, split: str | None = None) -> Dataset:
    """``lvos``: splits ``train`` / ``valid`` (default) / ``test``."""
    return build_lvos(Path(root), split)

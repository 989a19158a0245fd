"""The embedded demo data: small, seeded, in the official on-disk formats.

``seem-bench data demo --out DIR`` writes (each folder is what `resolve_root` finds for the
dataset names in `registry.DEFAULT_SUBDIR`)::

    DIR/GrabCut/data_GT/*.jpg, boundary_GT/*.bmp          grabcut (0 bg, 128 ignore band, 255 object)
    DIR/coco/annotations/panoptic_val2017.json            coco_panoptic, coco_semantic
    DIR/coco/panoptic_val2017/*.png
    DIR/coco/annotations/instances_val2017.json           coco_instances (polygons; crowd as RLE)
    DIR/coco/val2017/*.jpg
    DIR/refer/refcoco/refs(unc).p, instances.json         refcoco (splits train/val/testA/testB)
    DIR/refer/images/mscoco/images/train2014/*.jpg
    DIR/DAVIS/JPEGImages/480p/<seq>/*.jpg                 davis2017, davis2016
    DIR/DAVIS/Annotations/480p/<seq>/*.png
    DIR/DAVIS/ImageSets/2017/val.txt, ImageSets/2016/val.txt
    DIR/refer/refcocog, PascalVOC, SBD, Berkeley, DAVIS345, COCO_MVal   (v3: `demo_sets`)
    DIR/SA-Co/images/*.jpg, gt-annotations/gold_demo_merged_{a,b,c}_release_test.json
                                                          saco_gold subset demo (concept task)

The data is a pure function of ``DEMO_VERSION`` and the seed, so every machine gets the same
bytes. Scenes come from `seem_bench.data.scenes`: textured objects on textured backgrounds,
occlusion, holes and thin parts, several instances per image.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from seem_bench.data import demo_sets, writers
from seem_bench.data.scenes import CATEGORIES, STUFF_GROUND, STUFF_SKY, make_scene, make_video

# v2: adds COCO, RefCOCO and DAVIS (the GrabCut bytes are those of v1).
# v3: adds RefCOCOg, PascalVOC, SBD, Berkeley, DAVIS-345, COCO-MVal (`demo_sets`; v2's bytes kept).
# v4: adds SA-Co/Gold subset "demo" (concept task, `demo_saco`; v3's bytes kept).
DEMO_VERSION = "4"
DEMO_SEED = 20231201
N_GRABCUT = 12
N_COCO = 8
N_REFER = 8
DAVIS_SEQUENCES = ("shapes-drift", "shapes-cross", "shapes-pass")
DAVIS_FRAMES = 8

#: What the demo holds, for tests and ``data demo``'s summary: dataset -> (split, counts).
DEMO_CONTENTS = {
    "grabcut": (None, {"images": N_GRABCUT, "instances": N_GRABCUT}),
    "coco_panoptic": ("val2017", {"images": N_COCO}),
    "coco_instances": ("val2017", {"images": N_COCO}),
    "coco_semantic": ("val2017", {"images": N_COCO}),
    "coco_interactive": ("val2017", {"images": N_COCO}),
    "refcoco": (None, {"images": N_REFER}),
    "davis2017": ("val", {"sequences": len(DAVIS_SEQUENCES), "frames": len(DAVIS_SEQUENCES) * DAVIS_FRAMES}),
    "davis2016": ("val", {"sequences": len(DAVIS_SEQUENCES), "frames": len(DAVIS_SEQUENCES) * DAVIS_FRAMES}),
    "refcocog": ("umd/val", {"images": 3}),
    "pascalvoc": ("val", {"images": demo_sets.N_VOC}),
    "sbd": ("val", {"images": demo_sets.N_SBD}),
    "berkeley": (None, {"images": demo_sets.N_CLICKSET, "instances": demo_sets.N_CLICKSET}),
    "davis345": (None, {"images": demo_sets.N_CLICKSET, "instances": demo_sets.N_CLICKSET}),
    "coco_mval": (None, {"images": demo_sets.N_CLICKSET, "instances": demo_sets.N_CLICKSET}),
}
DEMO_CONTENTS["saco_gold"] = ("demo", {"images": 6})  # seem_bench.data.demo_saco.N_SACO


def default_cache_dir() -> Path:
    """``$SEEM_BENCH_CACHE/demo-v<N>``, else ``~/.cache/seem-bench/demo-v<N>``."""
    from seem_bench.data.fingerprint import cache_base

    return cache_base() / f"demo-v{DEMO_VERSION}"


def write_grabcut_set(root: Path, rng: np.random.Generator, n: int, height: int = 240, width: int = 320,
                      prefix: str = "demo") -> None:
    """``n`` seeded scenes as a GrabCut-layout set under ``root/GrabCut``.

    Each image's object is its largest visible scene object (GrabCut images have one salient
    object); a 2-px band around its boundary is the ignore label 128, as in ``boundary_GT``.
    """
    img_dir, gt_dir = root / "GrabCut" / "data_GT", root / "GrabCut" / "boundary_GT"
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    digits = max(3, len(str(n - 1)))
    i = 0
    while i < n:
        scene = make_scene(rng, height, width)
        if not scene.objects:
            continue
        obj = max(scene.objects, key=lambda o: int(o.mask.sum()))
        m = obj.mask.astype(np.uint8)
        band = cv2.dilate(m, kernel).astype(bool) & ~cv2.erode(m, kernel).astype(bool)
        gt = np.where(obj.mask, 255, 0).astype(np.uint8)
        gt[band] = 128
        writers.write_grabcut_item(img_dir, gt_dir, f"{prefix}_{i:0{digits}d}", scene.image, gt)
        i += 1


def _write_grabcut(out: Path, rng: np.random.Generator) -> None:
    write_grabcut_set(out, rng, N_GRABCUT)


def _scenes(rng: np.random.Generator, n: int) -> list:
    out = []
    while len(out) < n:
        s = make_scene(rng, 240, 320)
        if len(s.objects) >= 2:
            out.append(s)
    return out


_THINGS = [c for c in CATEGORIES if c["isthing"]]


def _write_coco(out: Path, rng: np.random.Generator) -> None:
    root = out / "coco"
    scenes = _scenes(rng, N_COCO)
    image_ids = sorted(int(v) for v in rng.choice(np.arange(1, 600000), N_COCO, replace=False))
    images, id_maps, segments, instances = [], {}, {}, []
    used: set[int] = set()

    def new_id() -> int:  # panoptic ids look random in COCO (they are colours)
        while True:
            v = int(rng.integers(1, 2**24))
            if v not in used:
                used.add(v)
                return v

    for n, (iid, scene) in enumerate(zip(image_ids, scenes, strict=True)):
        h, w = scene.image.shape[:2]
        name = f"{iid:012d}.jpg"
        images.append({"id": iid, "file_name": name, "height": h, "width": w})
        writers.write_jpeg(root / "val2017" / name, scene.image)
        ids = np.zeros((h, w), np.int32)
        segs = []
        for cat in (STUFF_SKY, STUFF_GROUND):
            if scene.stuff[cat].any():
                sid = new_id()
                ids[scene.stuff[cat]] = sid
                segs.append({"id": sid, "category_id": cat, "iscrowd": 0})
        for k, obj in enumerate(scene.objects):
            sid = new_id()
            ids[obj.mask] = sid
            # Every third image has a crowd region (its last object), as COCO "people in a crowd".
            crowd = int(n % 3 == 2 and k == len(scene.objects) - 1)
            segs.append({"id": sid, "category_id": obj.category_id, "iscrowd": crowd})
            seg = (writers.mask_to_rle(obj.mask, compressed=False) if crowd
                   else writers.mask_to_polygons(obj.mask))
            instances.append({"id": iid * 100 + k + 1, "image_id": iid, "category_id": obj.category_id,
                              "segmentation": seg, "area": float(obj.mask.sum()),
                              "bbox": writers.bbox_of(obj.mask), "iscrowd": crowd})
        # A 2-px unlabelled frame: VOID (id 0) as around COCO's unannotated borders.
        ids[:2, :], ids[-2:, :], ids[:, :2], ids[:, -2:] = 0, 0, 0, 0
        id_maps[iid], segments[iid] = ids, segs
    writers.write_coco_panoptic(root, "val2017", images, id_maps, segments, CATEGORIES)
    writers.write_coco_instances(root / "annotations" / "instances_val2017.json", images, instances, _THINGS)


def _position(mask: np.ndarray, w: int) -> str:
    xs = np.nonzero(mask)[1]
    cx = xs.mean() / w
    return "left" if cx < 0.4 else "right" if cx > 0.6 else "middle"


def _write_refer(out: Path, rng: np.random.Generator) -> None:
    root = out / "refer"
    scenes = _scenes(rng, N_REFER)
    image_ids = sorted(int(v) for v in rng.choice(np.arange(1, 580000), N_REFER, replace=False))
    splits = ["train", "train", "val", "val", "testA", "testA", "testB", "testB"]
    names = {c["id"]: c["name"] for c in CATEGORIES}
    images, anns, refs = [], [], []
    ref_id, sent_id = 0, 0
    for iid, scene, split in zip(image_ids, scenes, splits, strict=True):
        h, w = scene.image.shape[:2]
        fname = f"COCO_train2014_{iid:012d}.jpg"
        images.append({"id": iid, "file_name": fname, "height": h, "width": w})
        writers.write_jpeg(root / "images" / "mscoco" / "images" / "train2014" / fname, scene.image)
        for k, obj in enumerate(scene.objects):
            aid = iid * 100 + k + 1
            anns.append({"id": aid, "image_id": iid, "category_id": obj.category_id,
                         "segmentation": writers.mask_to_polygons(obj.mask), "area": float(obj.mask.sum()),
                         "bbox": writers.bbox_of(obj.mask), "iscrowd": 0})
            cat, colour, pos = names[obj.category_id], obj.color_word, _position(obj.mask, w)
            options = [f"The {colour} {cat}.", f"{cat} on the {pos}", f"{pos} {colour} {cat}"]
            n_sent = int(rng.integers(1, 4))
            sentences = []
            for raw in options[:n_sent]:
                sent = raw.lower().rstrip(".")
                sentences.append({"tokens": sent.split(), "raw": raw, "sent_id": sent_id, "sent": sent})
                sent_id += 1
            refs.append({"sent_ids": [s["sent_id"] for s in sentences], "file_name": f"COCO_train2014_{iid:012d}_{aid}.jpg",
                         "ann_id": aid, "ref_id": ref_id, "image_id": iid, "split": split,
                         "sentences": sentences, "category_id": obj.category_id})
            ref_id += 1
    writers.write_refer(root, "refcoco", "unc", refs, images, anns, _THINGS)


def _write_davis(out: Path, rng: np.random.Generator) -> None:
    root = out / "DAVIS"
    ring = np.ones((3, 3), np.uint8)
    sequences = {}
    for seq in DAVIS_SEQUENCES:
        clip = make_video(rng, DAVIS_FRAMES, 240, 320)
        frames = []
        for scene in clip:
            labels = np.zeros(scene.image.shape[:2], np.uint8)
            for k, obj in enumerate(scene.objects, start=1):
                labels[obj.mask] = k
            if scene.objects:  # a 1-px void ring outside object 1, as DAVIS marks ambiguous edges
                m = scene.objects[0].mask.astype(np.uint8)
                labels[(cv2.dilate(m, ring) > 0) & ~scene.objects[0].mask & (labels == 0)] = 255
            frames.append((scene.image, labels))
        sequences[seq] = frames
    writers.write_davis(root, sequences, {"val": DAVIS_SEQUENCES})
    writers.write_davis(root, {}, {"val": DAVIS_SEQUENCES}, year="2016")


def generate_demo(out: str | Path, seed: int = DEMO_SEED, overwrite: bool = False) -> Path:
    """Write the demo datasets into ``out`` atomically (a temp dir renamed into place)."""
    out = Path(out)
    if out.exists():
        if not overwrite and (out / ".complete").exists():
            return out
        if overwrite or not (out / ".complete").exists():
            shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        rng = np.random.default_rng(seed)
        # One child generator per dataset, drawn in a fixed order: adding a dataset at the end
        # never changes the bytes of those before it (GrabCut is still v1's).
        _write_grabcut(tmp, np.random.default_rng(rng.integers(2**63)))
        _write_coco(tmp, np.random.default_rng(rng.integers(2**63)))
        _write_refer(tmp, np.random.default_rng(rng.integers(2**63)))
        _write_davis(tmp, np.random.default_rng(rng.integers(2**63)))
        for write in (demo_sets.write_refcocog, demo_sets.write_pascalvoc, demo_sets.write_sbd,
                      demo_sets.write_clicksets):  # v3
            write(tmp, np.random.default_rng(rng.integers(2**63)))
        from seem_bench.data.demo_saco import write_saco_demo  # SA-Co/Gold layout (concept task)

        write_saco_demo(tmp, np.random.default_rng(rng.integers(2**63)))
        (tmp / ".complete").write_text(f"seem-bench demo v{DEMO_VERSION} seed {seed}\n")
        try:
            os.replace(tmp, out)
        except OSError:
            if not (out / ".complete").exists():  # lost a race with nobody finishing: retry once
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def ensure_demo(quiet: bool = False) -> Path:
    """The demo data root, generated into the cache directory on first use."""
    root = default_cache_dir()
    if not (root / ".complete").exists():
        if not quiet:
            print(f"seem-bench: generating demo data into {root}", file=sys.stderr)
        generate_demo(root)
    return root

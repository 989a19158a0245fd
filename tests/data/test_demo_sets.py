"""Demo v3 sets (RefCOCOg, PascalVOC, SBD, click sets) in their official byte formats, and the
coco_interactive v1 subset rule."""

from __future__ import annotations

import hashlib
import pickle
import pickletools
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from seem_bench.data import coco_interactive, demo_sets
from seem_bench.data.registry import load_dataset, resolve_root


def _load(name: str, root: Path, split: str | None = None):
    return load_dataset(name, resolve_root(name, root), split)


def test_pascalvoc_palette_pngs_decode_as_ritm_reads_them(demo_root):
    voc = demo_root / "PascalVOC"
    names = (voc / "ImageSets/Segmentation/val.txt").read_text().split()
    assert len(names) == demo_sets.N_VOC
    ds = _load("pascalvoc", demo_root, "val")
    for name, sample in zip(names, ds.samples, strict=True):
        with Image.open(voc / "SegmentationObject" / f"{name}.png") as im:
            assert im.mode == "P" and im.getpalette()[255 * 3:256 * 3] == [224, 224, 192]
            idx = np.array(im)
        with Image.open(voc / "SegmentationClass" / f"{name}.png") as im:
            assert im.mode == "P"
            cls = np.array(im)
        assert ((idx == 255) == (cls == 255)).all() and (idx == 255).any()  # the same void band
        assert ((idx == 0) == (cls == 0)).all() and set(np.unique(cls)) - {0, 255} <= {1, 2, 3, 4, 5}
        grey = cv2.cvtColor(cv2.imread(str(voc / "SegmentationObject" / f"{name}.png")), cv2.COLOR_BGR2GRAY)
        assert ((grey == 220) == (idx == 255)).all()  # void -> grey 220, RITM's ignore value
        # One instance per palette index, its mask the pixels of that index.
        ks = [k for k in np.unique(idx) if k not in (0, 255)]
        assert len(sample.instances) == len(ks)
        masks = sorted((inst.mask() for inst in sample.instances), key=lambda m: int(np.argmax(m.ravel())))
        want = sorted((idx == k for k in ks), key=lambda m: int(np.argmax(m.ravel())))
        assert all((a == b).all() for a, b in zip(masks, want, strict=True))
        assert all((inst.ignore() == (idx == 255)).all() for inst in sample.instances)


def test_sbd_gtinst_mat_files(demo_root):
    from scipy.io import loadmat

    sbd = demo_root / "SBD"
    names = (sbd / "val.txt").read_text().split()
    assert len(names) == demo_sets.N_SBD
    for name, sample in zip(names, _load("sbd", demo_root, "val").samples, strict=True):
        gt = loadmat(str(sbd / "inst" / f"{name}.mat"))["GTinst"]
        seg = gt["Segmentation"][0, 0]
        cats = gt["Categories"][0, 0].ravel()
        bounds = gt["Boundaries"][0, 0]
        assert seg.dtype == np.uint8 and seg.shape == (sample.height, sample.width)
        assert len(cats) == len(bounds) == seg.max() == len(sample.instances)
        assert [inst.category_id for inst in sample.instances] == [int(c) for c in cats]
        for k, inst in enumerate(sample.instances, start=1):
            assert (inst.mask() == (seg == k)).all()
            edge = bounds[k - 1, 0].toarray()
            assert edge.any() and not (edge & (seg != k)).any()  # boundaries lie on their instance


def test_refcocog_umd_pickle_is_python2_era(demo_root):
    raw = (demo_root / "refer/refcocog/refs(umd).p").read_bytes()
    assert raw[:2] == b"\x80\x02"
    ops = {op.name for op, _, _ in pickletools.genops(raw)}
    assert "SHORT_BINSTRING" in ops and "BINUNICODE" not in ops  # Python 2 str, as REFER's files
    refs = pickle.loads(raw, encoding="latin1")
    assert {r["split"] for r in refs} == {"train", "val", "test"}
    val = [r for r in refs if r["split"] == "val"]
    ds = _load("refcocog", demo_root, "umd/val")
    insts = [i for s in ds.samples for i in s.instances]
    assert sorted(int(i.instance_id) for i in insts) == sorted(r["ref_id"] for r in val)
    assert sum(len(i.sentences) for i in insts) == sum(len(r["sentences"]) for r in val)
    # RefCOCOg's images sit beside RefCOCO's in the one train2014 folder, without clashes.
    assert all(Path(s.image_path).is_file() for s in ds.samples)
    refcoco = _load("refcoco", demo_root)
    assert not {s.sample_id for s in refcoco.samples} & {s.sample_id for s in _load("refcocog", demo_root).samples}


def test_click_sets_use_ritms_mask_encodings(demo_root):
    for mask in sorted((demo_root / "Berkeley/masks").iterdir()):
        values = set(np.unique(cv2.imread(str(mask))[:, :, 0]))
        assert values == {0, 128, 255}
    colours = set()
    for name in ("DAVIS345", "COCO_MVal"):
        ds = _load(name.lower().replace("_", "").replace("cocomval", "coco_mval"), demo_root)
        assert len(ds.samples) == demo_sets.N_CLICKSET
        for s in ds.samples:
            gt = cv2.imread(str(demo_root / name / "gt" / f"{s.sample_id}.png"))
            assert (s.instances[0].mask() == (gt.max(axis=2) > 0)).all() and s.instances[0].mask().any()
            colours |= {tuple(int(v) for v in gt[s.instances[0].mask()][0])}
    assert len(colours) > 1  # COCO-MVal's objects are not all white


def test_coco_interactive_rule_is_a_function_of_the_ids_only():
    ids = list(range(1, 2001))
    keys = {i: hashlib.sha256(f"seem-bench/coco-interactive/v1/seed=0/{i}".encode()).hexdigest() for i in ids}
    want = sorted(sorted(ids, key=keys.__getitem__)[:600])
    assert coco_interactive.select_image_ids(ids) == want
    assert coco_interactive.select_image_ids(ids[::-1] + ids[:5]) == want  # order and repeats do not matter
    assert coco_interactive.select_image_ids(ids[:10]) == ids[:10]  # fewer than 600: all of them
    assert coco_interactive.ids_sha256([139, 285]) == hashlib.sha256(b"139\n285\n").hexdigest()


def test_coco_interactive_keeps_non_crowd_segments_and_fingerprints_the_ids(demo_root, monkeypatch):
    pan = _load("coco_panoptic", demo_root, "val2017")
    ds = _load("coco_interactive", demo_root, "val2017")
    assert [s.sample_id for s in ds.samples] == [s.sample_id for s in pan.samples]  # 8 < 600: every image
    by_id = {s.sample_id: s for s in pan.samples}
    n_crowd = 0
    for s in ds.samples:
        full = by_id[s.sample_id].instances
        n_crowd += sum(i.iscrowd for i in full)
        assert [i.instance_id for i in s.instances] == [i.instance_id for i in full if not i.iscrowd]
    assert n_crowd > 0  # the demo has crowd segments, and they are left out
    sub = ds.fingerprint["subset"]
    ids = [int(s.sample_id) for s in ds.samples]
    assert sub == {"rule": "coco-interactive v1", "size": 600, "seed": 0, "ids": len(ids),
                   "sha256": coco_interactive.ids_sha256(ids)}
    # With a smaller cap the rule's smallest keys are kept, in id order.
    monkeypatch.setattr(coco_interactive, "SUBSET_SIZE", 3)
    small = _load("coco_interactive", demo_root, "val2017")
    assert [int(s.sample_id) for s in small.samples] == sorted(sorted(ids, key=coco_interactive.subset_key)[:3])


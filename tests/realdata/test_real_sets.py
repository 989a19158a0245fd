"""The published GrabCut (50) and DAVIS-345 (345) files load, check clean and count as their README says.

Quirks of the real files, each checked against the files themselves: GrabCut images come as
``.jpg`` (35), ``.JPG`` (4) and ``.bmp`` (11); 42 of its 50 masks carry a 128 band around the
boundary that is neither object nor background (excluded from clicks and IoU); DAVIS-345 masks
are 3-channel PNGs in which every non-black colour is object: several objects of a frame, and the
VOC void colour (RGB 224, 224, 192), merge into one mask (RITM's ``DavisDataset``: channel max > 0).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from seem_bench.cli import main as cli_main
from seem_bench.data.registry import load_dataset, resolve_root
from seem_bench.metrics.iou import mask_iou
from seem_bench.prompts import next_click

#: ``shared/data/interactive/README.md``: GrabCut 50 images, DAVIS-345 345 frames, one object each.
README_COUNTS = {"grabcut": {"images": 50, "instances": 50}, "davis345": {"images": 345, "instances": 345}}
FOLDER = {"grabcut": "GrabCut", "davis345": "DAVIS"}
VOID_BGR = (192 << 16) | (224 << 8) | 224  # VOC's void colour RGB (224, 224, 192), as cv2 reads it


@pytest.mark.parametrize("name", ["grabcut", "davis345"])
def test_data_check_finds_no_problem(interactive_data, name, capsys):
    assert cli_main(["data", "check", name, "--data-root", str(interactive_data), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and f"{name} at {interactive_data / FOLDER[name]}: no problems" in err


@pytest.mark.parametrize("name", ["grabcut", "davis345"])
def test_data_stats_counts_equal_the_readme(interactive_data, name, capsys):
    assert cli_main(["data", "stats", name, "--data-root", str(interactive_data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == README_COUNTS[name]
    # the old spelling still works, with a note
    assert cli_main(["data", "stats", name, "--root", str(interactive_data / FOLDER[name]), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == README_COUNTS[name] and "--data-root" in err


def test_davis345_is_found_under_ritms_folder_name(interactive_data):
    # RITM's DAVIS.zip unpacks DAVIS-345 into DAVIS/ (img/ + gt/), not DAVIS345/
    assert resolve_root("davis345", interactive_data) == interactive_data / "DAVIS"
    assert resolve_root("davis2017", interactive_data) == interactive_data / "DAVIS"  # its own name
    assert resolve_root("grabcut", interactive_data) == interactive_data / "GrabCut"


def _manifest(data: Path) -> dict[str, str]:
    out = {}
    for line in (data / "MANIFEST.sha256").read_text().splitlines():
        digest, rel = line.split(maxsplit=1)
        out[rel] = digest
    return out


def test_every_file_read_is_the_published_one(interactive_data):
    """Every image and mask the loaders pair is in MANIFEST.sha256, and nothing listed is left out."""
    manifest = _manifest(interactive_data)
    used = set()
    for name in ("grabcut", "davis345"):
        ds = load_dataset(name, resolve_root(name, interactive_data))
        for s in ds.samples:
            for p in (Path(s.image_path), Path(s.instances[0].meta["mask_path"])):
                used.add(p.relative_to(interactive_data).as_posix())
    assert used == set(manifest)


def test_grabcut_extensions_and_ignore_band(interactive_data):
    ds = load_dataset("grabcut", interactive_data / "GrabCut")
    assert Counter(Path(s.image_path).suffix for s in ds.samples) == {".jpg": 35, ".JPG": 4, ".bmp": 11}
    banded = 0
    for s in ds.samples:
        image = s.image_loader()
        assert image.shape == (s.height, s.width, 3) and image.dtype == np.uint8
        inst = s.instances[0]
        raw = cv2.imread(inst.meta["mask_path"])[:, :, 0]
        gt, ignore = inst.mask_loader(), inst.ignore_loader()
        assert np.array_equal(gt, raw > 128) and np.array_equal(ignore, raw == 128)
        if not ignore.any():
            continue
        banded += 1
        # IoU: the band is neither object nor background
        assert mask_iou(gt, gt | ignore, ignore) == 1.0
        assert mask_iou(gt, gt & ~ignore, ignore) == 1.0
        # clicks: predicting everything, the correction is a negative click off the object and the band
        c = next_click(gt, np.ones_like(gt), protocol="ritm", ignore=ignore)
        assert not c.positive and not gt[c.y, c.x] and not ignore[c.y, c.x]
        # predicting the band alone, the correction is a positive click inside the object
        c = next_click(gt, ignore, protocol="ritm", ignore=ignore)
        assert c.positive and gt[c.y, c.x]
    assert banded == 42


def test_davis345_any_nonblack_colour_is_object(interactive_data):
    ds = load_dataset("davis345", interactive_data / "DAVIS")
    assert {(s.height, s.width) for s in ds.samples} == {(480, 854)}
    colours_per_mask = Counter()
    void_seen = False
    for s in ds.samples:
        bgr = cv2.imread(s.instances[0].meta["mask_path"], cv2.IMREAD_COLOR)
        gt = s.instances[0].mask_loader()
        assert s.instances[0].ignore_loader is None
        assert np.array_equal(gt, bgr.max(axis=2) > 0)
        packed = (bgr[..., 0].astype(np.int32) << 16) | (bgr[..., 1].astype(np.int32) << 8) | bgr[..., 2]
        colours = set(np.unique(packed).tolist()) - {0}
        colours_per_mask[len(colours)] += 1
        if VOID_BGR in colours:  # VOC void: object here, as in RITM
            void_seen = True
            assert gt[packed == VOID_BGR].all()
    assert void_seen
    assert sum(n for k, n in colours_per_mask.items() if k > 1) > 100  # merged multi-object frames


def test_run_header_records_the_real_files(interactive_data, tmp_path):
    """The header's content fingerprint is the sha256 over (path, sha256) of the files read, which
    MANIFEST.sha256 gives independently."""
    out = tmp_path / "run"
    assert cli_main(["run", "--task", "interactive", "--model", "disks", "--data-root", str(interactive_data),
                     "--set", "dataset=grabcut", "--set", "max_rounds=2", "--limit", "3", "--out", str(out),
                     "--no-progress"]) == 0
    header = json.loads((out / "header.json").read_text())
    assert header["dataset"]["root"] == str(interactive_data / "GrabCut")
    manifest = _manifest(interactive_data)
    ds = load_dataset("grabcut", interactive_data / "GrabCut")
    files = sorted(f"{p}" for s in ds.samples[:3]
                   for p in (Path(s.image_path).relative_to(interactive_data / "GrabCut").as_posix(),
                             Path(s.instances[0].meta["mask_path"]).relative_to(interactive_data / "GrabCut").as_posix()))
    h = hashlib.sha256()
    for rel in files:
        h.update(f"{rel}\t{manifest['GrabCut/' + rel]}\n".encode())
    assert header["dataset"]["fingerprint"]["content"] == {"files": 6, "sha256": h.hexdigest()}

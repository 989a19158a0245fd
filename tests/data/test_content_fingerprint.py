"""The run's dataset fingerprint covers the content of every file read, hashed once."""

from __future__ import annotations

import os
import shutil

import numpy as np

from seem_bench.data.fingerprint import HashCache, content_fingerprint, files_read, sha256_file
from seem_bench.data.guard import guard_sample
from seem_bench.data.registry import load_dataset


def _grabcut(demo_root, tmp_path):
    root = tmp_path / "GrabCut"
    shutil.copytree(demo_root / "GrabCut", root)
    return root


def test_files_read_are_every_image_and_mask(demo_root, tmp_path):
    root = _grabcut(demo_root, tmp_path)
    ds = load_dataset("grabcut", root)
    files = files_read(ds.samples)
    assert files == sorted([*root.glob("data_GT/*"), *root.glob("boundary_GT/*")])
    # The guard's wrappers hide nothing.
    assert files_read([guard_sample(s) for s in ds.samples]) == files


def test_davis_frames_annotations_and_scribbles_are_read(demo_root):
    ds = load_dataset("davis2017", demo_root / "DAVIS")
    files = {f.relative_to(demo_root / "DAVIS").parts[0] for f in files_read(ds.samples)}
    assert files == {"JPEGImages", "Annotations"}
    n = sum(len(s.frames) for s in ds.samples)
    assert len(files_read(ds.samples)) == 2 * n


def test_content_change_changes_the_fingerprint_and_cache_avoids_rehash(demo_root, tmp_path):
    root = _grabcut(demo_root, tmp_path)
    cache_dir = tmp_path / "hashes"
    samples = load_dataset("grabcut", root).samples
    first_cache = HashCache(root, cache_dir)
    first = content_fingerprint(root, samples, first_cache)
    assert first["files"] == 24 and first_cache.hashed == 24
    again = HashCache(root, cache_dir)  # a rerun: nothing is read again
    assert content_fingerprint(root, samples, again) == first and again.hashed == 0
    # Rewriting a mask in place (same size, new mtime) changes the content fingerprint.
    mask = root / "boundary_GT" / "demo_004.bmp"
    data = bytearray(mask.read_bytes())
    data[-100:] = b"\xff" * 100
    mask.write_bytes(bytes(data))
    st = mask.stat()
    os.utime(mask, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    changed = HashCache(root, cache_dir)
    assert content_fingerprint(root, samples, changed)["sha256"] != first["sha256"]
    assert changed.hashed == 1
    # The cached digest is the file's sha256, not a stale one.
    assert changed.sha256(mask) == sha256_file(mask)


def test_limit_hashes_only_the_samples_read(demo_root, tmp_path):
    root = _grabcut(demo_root, tmp_path)
    samples = load_dataset("grabcut", root).samples
    head = content_fingerprint(root, samples[:2], HashCache(root, tmp_path / "h"))
    assert head["files"] == 4
    np.testing.assert_equal(head, content_fingerprint(root, samples[:2], HashCache(root, tmp_path / "h")))

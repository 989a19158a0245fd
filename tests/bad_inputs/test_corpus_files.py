"""Bad-input corpus, round 2, families 1 and 8 (issue 21): file readers and bounded work.

Every file goes through one reading layer (`seem_bench.data.io`): any `OSError` (a directory
where a file is expected, a name too long, EIO under /proc) and undecodable content end as one
line naming the file. Images whose header declares more pixels than ``--max-pixels`` are refused
before any decoding.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from corpus import assert_one_line_failure, files_under, seem_bench, seem_bench_here

RUN = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=2", "--no-progress"]


@pytest.fixture
def grabcut(demo_root, tmp_path) -> Path:
    root = tmp_path / "GrabCut"
    for sub, ext in (("data_GT", "jpg"), ("boundary_GT", "bmp")):
        (root / sub).mkdir(parents=True)
        for i in range(2):
            shutil.copy(demo_root / "GrabCut" / sub / f"demo_{i:03d}.{ext}", root / sub)
    return root


def _subset_dir(tmp: Path) -> tuple[str, str]:
    (tmp / "ids").mkdir()
    return str(tmp / "ids"), "is a directory"


def _subset_long(tmp: Path) -> tuple[str, str]:
    return str(tmp / ("a" * 300)), "file name too long"


def _subset_proc(tmp: Path) -> tuple[str, str]:
    return "/proc/self/mem", "cannot read"


def _subset_binary(tmp: Path) -> tuple[str, str]:
    (tmp / "ids.txt").write_bytes(b"demo_000\n\xff\xfe\x00bad\n")
    return str(tmp / "ids.txt"), "not UTF-8 text"


def _subset_fifo(tmp: Path) -> tuple[str, str]:
    os.mkfifo(tmp / "ids.fifo")  # opening it would block forever
    return str(tmp / "ids.fifo"), "not a regular file"


SUBSET_CASES = [("directory", _subset_dir), ("name-too-long", _subset_long), ("proc-mem", _subset_proc),
                ("not-utf8", _subset_binary), ("fifo", _subset_fifo)]


@pytest.mark.parametrize("case", SUBSET_CASES, ids=[c[0] for c in SUBSET_CASES])
def test_unreadable_subset_file_is_one_line(case, grabcut, tmp_path, capfd):
    path, problem = case[1](tmp_path)
    before = files_under(tmp_path)
    proc = seem_bench_here([*RUN, "--data-root", grabcut, "--subset", path, "--out", tmp_path / "run"], capfd)
    assert_one_line_failure(proc, 1, path[:60], problem)
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("what", ["directory", "not-utf8"])
def test_unreadable_index_json_is_one_line(what, tmp_path, capfd, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "data"))
    import data_fixtures as fx

    root = fx.coco_panoptic(tmp_path / "coco")
    path = root / "annotations" / "panoptic_val2017.json"
    if what == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_bytes(b'{"images": "\xff\xfe"}')
    problem = "is a directory" if what == "directory" else "not UTF-8 text"
    proc = seem_bench_here(["data", "check", "coco_panoptic", "--data-root", root, "--no-progress"], capfd)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.splitlines() == [line for line in proc.stdout.splitlines() if str(path) in line and problem in line]
    assert proc.stdout.strip(), proc.stdout
    proc = seem_bench_here(["run", "--task", "generic", "--model", "oracle", "--no-progress", "--data-root", root,
                            "--out", tmp_path / "run"], capfd)
    assert_one_line_failure(proc, 1, str(path), problem)


def test_binary_baseline_and_directory_summary_are_one_line(tmp_path, capfd):
    bad = tmp_path / "base.json"
    bad.write_bytes(b"\xff\xfe{}")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc = seem_bench_here(["check", run_dir, "--baseline", bad], capfd)
    assert_one_line_failure(proc, 1, str(bad), "not UTF-8 text")
    (run_dir / "summary.json").mkdir()  # a directory where the summary file is expected
    proc = seem_bench_here(["table", run_dir], capfd)
    assert_one_line_failure(proc, 1, "summary.json", "is a directory")


def test_non_utf8_dataset_path_runs_and_checks(grabcut, tmp_path):
    """A data root whose name is not UTF-8 (bytes from an old file system) crashed OpenCV
    (segfault in ``data check``) and the content hash (traceback); both read it now."""
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff"))
    odd.mkdir()
    shutil.copytree(grabcut, odd / "GrabCut")
    proc = seem_bench(["data", "check", "grabcut", "--data-root", str(odd / "GrabCut"), "--no-progress"], tmp_path)
    assert proc.returncode == 0 and "no problems" in proc.stderr, proc.stderr
    proc = seem_bench([*RUN, "--data-root", str(odd / "GrabCut"), "--out", "run"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["counts"]["ok"] == 2


# --------------------------------------------------------------------------- family 8: bounded work


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose IHDR declares ``width`` x ``height`` (grey, 8 bit) with one empty IDAT: what a
    decoder would allocate for is in the header; the test never builds the pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
                     + chunk(b"IEND", b""))


def test_huge_image_header_is_refused_before_decoding(tmp_path):
    from seem_bench.data.io import read_bgr, read_label_png
    from seem_bench.errors import DataError

    big = tmp_path / "mask.png"
    _png_header_only(big, 20000, 20000)
    for reader in (read_bgr, read_label_png):
        with pytest.raises(DataError) as e:
            reader(big)
        assert str(e.value).startswith(f"{big}: image is 20000x20000") and "--max-pixels" in str(e.value)


def test_max_pixels_flag_bounds_run_and_data_check(grabcut, tmp_path, capfd):
    image = grabcut / "data_GT" / "demo_000.jpg"  # 320x240 = 76,800 pixels
    before = files_under(tmp_path)
    proc = seem_bench([*RUN, "--data-root", str(grabcut), "--out", "run", "--max-pixels", "50000"], tmp_path)
    assert_one_line_failure(proc, 1, str(image), "320x240", "over the limit of 50,000", "--max-pixels")
    assert {p.name for p in files_under(tmp_path) - before} <= {"header.json", "records-rank0.jsonl"}
    proc = seem_bench(["data", "check", "grabcut", "--data-root", str(grabcut), "--max-pixels", "50000",
                       "--no-progress"], tmp_path)
    assert proc.returncode == 1 and f"{image}: image is 320x240" in proc.stdout, proc.stdout + proc.stderr
    proc = seem_bench_here([*RUN, "--data-root", grabcut, "--out", tmp_path / "o", "--max-pixels", "0"], capfd)
    assert_one_line_failure(proc, 2, "--max-pixels")

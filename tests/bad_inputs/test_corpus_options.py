"""Bad-input corpus, round 2, families 5, 6 and 7 (issue 21): ``check`` tolerances and
baselines, ``eval ap`` segm sizes and hotcoco's warnings, typed ``--model-opt`` values.

Each refused input is exit 2 (usage) or 1 (data) with one stderr line naming the parameter or
file; "OK" is never printed over nothing or over a NaN tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from corpus import assert_one_line_failure, files_under, seem_bench, seem_bench_here

RUN_ARGS = ["run", "--task", "interactive", "--model", "disks", "--set", "max_rounds=3", "--limit", "2",
            "--no-progress"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, demo_root) -> Path:
    out = tmp_path_factory.mktemp("opts") / "run"
    res = seem_bench([*RUN_ARGS, "--data-root", str(demo_root / "GrabCut"), "--out", str(out)], cwd=out.parent)
    assert res.returncode == 0, res.stderr
    return out


def _metrics(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text())["metrics"]


# --------------------------------------------------------------------------- family 5: check


@pytest.mark.parametrize("tol", ["nan", "-1", "inf"])
def test_check_refuses_a_bad_default_tol(tol, finished_run, capfd):
    proc = seem_bench_here(["check", finished_run, "--baseline", finished_run, f"--default-tol={tol}"], capfd)
    assert_one_line_failure(proc, 2, "--default-tol", tol)


BASELINE_CASES = [
    # (id, baseline file content given the run's metrics, words of the one line)
    ("tolerance-nan", lambda m: {"metrics": {"NoC@90": m["NoC@90"]}, "tolerances": {"NoC@90": float("nan")}},
     ["tolerances", "non-finite", "NoC@90"]),
    ("tolerance-negative", lambda m: {"metrics": {"NoC@90": m["NoC@90"]}, "tolerances": {"NoC@90": -0.5}},
     ["tolerances", "negative", "NoC@90"]),
    ("value-nan", lambda m: {"metrics": {"NoC@90": float("nan")}}, ["metrics", "non-finite", "NoC@90"]),
    ("value-inf-flat", lambda m: {"NoC@90": float("inf")}, ["baseline", "non-finite", "NoC@90"]),
    ("no-metrics", lambda m: {"metrics": {}}, ["no metric to compare"]),
    ("only-counts", lambda m: {"samples": 2, "empty_union_iou": 1.0}, ["no metric to compare", "samples"]),
]


@pytest.mark.parametrize("case", BASELINE_CASES, ids=[c[0] for c in BASELINE_CASES])
def test_check_refuses_a_baseline_that_gates_nothing(case, finished_run, tmp_path, capfd):
    _, make, words = case
    base = tmp_path / "baseline.json"
    base.write_text(json.dumps(make(_metrics(finished_run))))
    proc = seem_bench_here(["check", finished_run, "--baseline", base], capfd)
    line = assert_one_line_failure(proc, 2, *words)
    assert "OK" not in line


# --------------------------------------------------------------------------- family 6: eval ap


def _ap_files(tmp_path: Path) -> tuple[Path, list[dict]]:
    from seem_bench.data.synthetic import coco_instances

    gt, dt = coco_instances(3, n_images=4, iou_type="segm")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    return tmp_path / "gt.json", [dict(d) for d in dt]


def test_eval_ap_refuses_a_segm_rle_of_another_size(tmp_path, capfd):
    from seem_bench.metrics.detection import encode_mask

    gt, dt = _ap_files(tmp_path)
    h, w = dt[2]["segmentation"]["size"]
    dt[2]["segmentation"] = encode_mask(np.ones((h + 5, w + 3), bool))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    proc = seem_bench_here(["eval", "ap", "--gt", gt, "--dt", tmp_path / "dt.json", "--iou-type", "segm"], capfd)
    assert_one_line_failure(proc, 1, str(tmp_path / "dt.json"), "result #2", f"RLE size {h + 5}x{w + 3}",
                            f"{h}x{w}")


@pytest.mark.parametrize("counts,words", [
    ("zz~~", "outside the alphabet"),
    ("P", "end in the middle of a number"),
    ("2", "sum to 2"),
    ("0000000000", "sum to 0"),
    ("1@", "is negative"),
    ([5, -1], "integers >= 0"),
])
def test_eval_ap_refuses_segm_rle_counts_that_decode_to_a_wrong_mask(tmp_path, capfd, counts, words):
    """hotcoco decodes such counts into some mask without a word and reports a wrong AP."""
    gt, dt = _ap_files(tmp_path)
    dt[1]["segmentation"] = {"size": dt[1]["segmentation"]["size"], "counts": counts}
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    proc = seem_bench_here(["eval", "ap", "--gt", gt, "--dt", tmp_path / "dt.json", "--iou-type", "segm"], capfd)
    assert_one_line_failure(proc, 1, str(tmp_path / "dt.json"), "result #1", words)


def test_rle_strings_check_agrees_with_the_one_string_decoder():
    from seem_bench.data.fields import rle_string_counts, rle_strings_problem
    from seem_bench.data.writers import rle_string

    rng = np.random.default_rng(4)
    verdicts = set()
    for t in range(1500):
        counts = [int(v) for v in rng.integers(0, 5000, int(rng.integers(0, 14)))]
        st = rle_string(counts)
        if t % 3 == 1 and st:  # one character changed, anything from '(' to 'w'
            j = int(rng.integers(len(st)))
            st = st[:j] + chr(int(rng.integers(40, 120))) + st[j + 1:]
        elif t % 3 == 2 and st:
            st = st[:int(rng.integers(len(st)))]
        area = sum(counts) + (t % 4 == 0)
        one = rle_string_counts(st)
        want = one if isinstance(one, str) else (None if sum(one) == area and min(one, default=0) >= 0 else "bad")
        got = rle_strings_problem([rle_string([3, 4]), st, rle_string([7])], [7, area, 7])
        verdicts.add(want is None)
        assert (got is None) == (want is None), (t, st, got, want)
        if got is not None:
            assert got[0] == 1 and (want == "bad" or got[1] == want), (got, want)
    assert verdicts == {True, False}


def test_eval_ap_hotcoco_warnings_never_reach_stderr(tmp_path):
    """hotcoco prints ``load_res() warning`` lines on file descriptor 2: beside seem-bench's one
    line for an image id not in the GT, and alone for an unknown category (a valid file)."""
    gt, dt = _ap_files(tmp_path)
    bad = [dict(d) for d in dt]
    bad[0]["image_id"] = 999999
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    proc = seem_bench(["eval", "ap", "--gt", "gt.json", "--dt", "bad.json", "--iou-type", "segm"], tmp_path)
    assert_one_line_failure(proc, 1, "bad.json", "not in the GT")
    odd = [dict(d) for d in dt]
    odd[1]["category_id"] = 12345
    (tmp_path / "odd.json").write_text(json.dumps(odd))
    proc = seem_bench(["eval", "ap", "--gt", "gt.json", "--dt", "odd.json", "--iou-type", "segm"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "AP50" in proc.stdout


# --------------------------------------------------------------------------- family 7: model options


OPTION_CASES = [
    ("grabcut", "iterations=abc", ["--model-opt iterations=abc", "grabcut", "must be an integer"]),
    ("grabcut", "iterations=-5", ["iterations", "must be >= 1", "-5"]),
    ("grabcut", "iterations=2.5", ["iterations", "must be an integer"]),
    ("noisy-oracle", "erode=nan", ["--model-opt erode=nan", "noisy-oracle", "must be an integer"]),
    ("noisy-oracle", "erode=-1", ["erode", "must be >= 0"]),
    ("random-walker", "beta=nan", ["beta", "finite number"]),
    ("random-walker", "max_side=0", ["max_side", "must be >= 2"]),
]


@pytest.mark.parametrize(("model", "opt", "words"), OPTION_CASES, ids=[f"{m}-{o}" for m, o, _ in OPTION_CASES])
def test_model_option_values_are_typed_and_bounded(model, opt, words, tmp_path, capfd):
    before = files_under(tmp_path)
    proc = seem_bench_here(["run", "--task", "interactive", "--model", model, "--model-opt", opt, "--no-progress",
                            "--data-root", tmp_path / "no-such-data", "--out", tmp_path / "o"], capfd)
    assert_one_line_failure(proc, 2, *words)
    assert files_under(tmp_path) == before


def test_feature_cache_that_is_a_file(tmp_path, capfd):
    cache = tmp_path / "cache.bin"
    cache.write_bytes(b"x")
    proc = seem_bench_here(["run", "--task", "interactive", "--model", "disks", "--feature-cache", cache,
                            "--no-progress", "--data-root", tmp_path / "none", "--out", tmp_path / "o"], capfd)
    assert_one_line_failure(proc, 2, f"--feature-cache {cache}", "not a directory")
    assert not (tmp_path / "o").exists()


def test_valid_model_options_still_run(demo_root, tmp_path, capfd):
    proc = seem_bench_here(["run", "--task", "interactive", "--model", "noisy-oracle", "--model-opt", "erode=1",
                            "--set", "max_rounds=2", "--limit", "1", "--no-progress", "--data-root",
                            demo_root / "GrabCut", "--out", tmp_path / "o"], capfd)
    assert proc.returncode == 0, proc.stderr
    header = json.loads((tmp_path / "o" / "header.json").read_text())
    assert header["model"]["fingerprint"]["options"]["erode"] == "1"

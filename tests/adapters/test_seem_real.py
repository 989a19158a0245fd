"""Real SEEM v1 (the official code, random weights, CPU) through the adapter, on the demo data.

Needs the environment built by ``bash scripts/seem_env.sh`` (CI builds it from the vendored
tarballs before the test command; elsewhere the tests skip, and under CI a skip fails). All
in-process cases run in one process of the environment's python (tests/adapters/seem_driver.py);
one run goes through the remote bridge from seem-bench's own venv and must write the same records.
Input reduced to the demo's 240x320 (``min_size=240 max_size=320``), at most 3 rounds.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seem_bench.adapters import seem_env
from seem_bench.adapters.seem_bridge import cli_command, package_dirs, worker_env
from seem_bench.io_utils import read_jsonl
from seem_bench.runner import strip_timings

HERE = Path(__file__).resolve().parent
# One xdist worker takes every case (they share one driver run); the other keeps running the rest.
pytestmark = pytest.mark.xdist_group("seem-real")
OPTS = ["--checkpoint", "random", "--device", "cpu", "--model-opt", "min_size=240", "--model-opt", "max_size=320"]


@pytest.fixture(scope="session")
def prefix() -> Path:
    p = seem_env.find_prefix()
    if p is None:
        pytest.skip(seem_env.missing_reason())
    return p


@pytest.fixture(scope="session")
def obs(prefix, demo_cache, demo_root, tmp_path_factory, request) -> dict:
    """The driver's observations, computed once per test session even under pytest-xdist.

    xdist workers share the parent of their base temp folder: the first worker to take the
    lock runs the driver, the others read its result (and use its demo data, so that records
    compared across workers come from the same files).
    """
    distributed = hasattr(request.config, "workerinput")
    shared = tmp_path_factory.getbasetemp().parent if distributed else tmp_path_factory.getbasetemp()
    work = shared / "seem-real"
    work.mkdir(exist_ok=True)
    out = work / "obs.json"
    with open(work / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.is_file():
            launcher = Path(seem_env.__file__).with_name("bridge_launch.py")
            env = {**worker_env(prefix), "SEEM_BENCH_CACHE": str(demo_cache), "SB_LAUNCHER": str(launcher),
                   "SB_PACKAGES": json.dumps(package_dirs())}
            proc = subprocess.run([str(seem_env.python(prefix)), str(HERE / "seem_driver.py"), str(out), str(work),
                                   str(demo_root)], env=env, capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0:
                (work / "driver-stderr.txt").write_text(proc.stderr)
            assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text())


def records(run_dir: str | Path) -> list[dict]:
    """Records without timings, in key order (what must be identical between two runs)."""
    recs = [r for p in sorted(Path(run_dir).glob("records-*.jsonl")) for r in read_jsonl(p)]
    return sorted((strip_timings(r) for r in recs), key=lambda r: r["key"])


def _ok(obs: dict, label: str) -> dict:
    assert label not in obs["errors"], obs["errors"].get(label)
    run = obs[label]
    assert run["counts"]["errors"] == 0 and run["counts"]["ok"] == run["counts"]["expected"] > 0, run["counts"]
    return run


@pytest.mark.parametrize("label", ["clicks_memory_on", "clicks_memory_off", "first_box", "first_scribble",
                                   "first_polygon", "referring", "composed", "generic"])
def test_runs_without_errors_and_encodes_each_image_once(obs, label):
    run = _ok(obs, label)
    samples = {r["sample_id"] for r in records(run["dir"])}
    if label in ("clicks_memory_off", "first_box", "first_scribble", "first_polygon"):
        assert run["encodes"] == 0  # these read the feature cache filled by an identical image set
    else:
        assert run["encodes"] == len(samples)  # exactly one encode per image, whatever the rounds/objects


def test_native_decode_batch_batches_the_objects_of_an_image(obs):
    # 1 image, 3 objects, 2 rounds: spatial_batch=5 gives one spatial decode of the 3 objects per
    # round (SEEM's evaluator batching); the default decodes each object alone.
    native, single = _ok(obs, "batch_native"), _ok(obs, "batch_per_object")
    assert obs["batch_per_object_sizes"] == []
    assert obs["batch_native_sizes"] == [3, 3]
    a, b = records(native["dir"]), records(single["dir"])
    assert [r["key"] for r in a] == [r["key"] for r in b] and len(a) == 3
    # round 1's clicks come from the GT alone: the same in both runs
    assert [r["rounds"][0]["prompt"] for r in a] == [r["rounds"][0]["prompt"] for r in b]
    # alone, each copy of a prompt decodes to the same mask; in one SEEM batch they differ
    assert any(f > 0 for f in obs["batch_same_prompt_flips"])


def test_memory_changes_the_mask(obs):
    assert obs["memory_changed_pixels"] > 0
    assert obs["memory_off_repeatable"]  # the change is memory's, not decode noise


def test_random_weight_header(obs):
    header = json.loads((Path(obs["clicks_memory_on"]["dir"]) / "header.json").read_text())
    assert header["model"]["checkpoint"] == "random" and header["model"]["random_weights"] is True
    fp = header["model"]["fingerprint"]
    assert fp["config"] == "focalt_unicl_lang_v1.yaml" and fp["checkpoint_sha256"] is None
    # the vendored tarball has no .git: its sha256 identifies the code
    assert fp["seem_commit"] or len(fp["seem_source_sha256"]) == 64


def test_feature_cache_gives_identical_records(obs):
    _ok(obs, "cache_fill")
    _ok(obs, "cache_hit")
    assert obs["cache_hit"]["encodes"] == 0  # every state came from disk
    assert obs["cache_files"]
    # Same task and model on the first image only (--limit 1): the run identity differs, the rest not.
    def strip(recs):
        return [{k: v for k, v in r.items() if k not in ("run_id", "fingerprint")} for r in recs]

    fill = strip(records(obs["cache_fill"]["dir"]))
    assert fill and strip(records(obs["cache_hit"]["dir"])) == fill
    reference = strip(records(obs["clicks_memory_on"]["dir"]))
    assert fill == [r for r in reference if r["sample_id"] in {f["sample_id"] for f in fill}]


def test_spatial_masks_do_not_depend_on_the_templated_class_embeddings(obs):
    assert obs["templated_embedding_rows"] == 2  # 1 class + background
    assert obs["spatial_equal_with_templated_embeddings"] == [True, True, True]


def test_generic_output_is_seem_evaluate_output(obs):
    g = obs["generic_vs_evaluate"]
    assert g["panoptic_equal"] and g["segments_equal"] and g["semantic_equal"]
    assert g["instances"] == g["official_instances"]
    run = _ok(obs, "generic")
    assert {"PQ", "mAP", "mIoU"} <= set(run["metrics"])


def test_generic_coco_preprocessing_is_seem_coco_evaluation_input(obs):
    """preprocess=seem-official: the network input is detectron2's DatasetMapper output for SEEM's
    COCO evaluation (800/1333, ResizeShortestEdge), and the panoptic output equals `evaluate` on it."""
    assert "generic_coco_mapper" not in obs["errors"], obs["errors"].get("generic_coco_mapper")
    g = obs["generic_coco_mapper"]
    assert obs["generic_coco_sizes"] == ["COCO", 800, 1333]  # the mode's own sizes: COCO.INPUT's
    assert g["net_hw"] == g["mapper_hw"] and min(g["net_hw"]) == 288  # compared at 288/384 (CPU time)
    assert g["input_equal"] and g["panoptic_equal"] and g["segments_equal"] and g["semantic_equal"]
    assert g["instances"] == g["official_instances"]
    assert g["fingerprint_preprocess"] == "seem-official"


def test_referenced_image_v0(obs):
    if "ref_image_v0" in obs["errors"]:
        # SEEM v0 cannot be built from the v1.0 snapshot: the error must say so and why.
        assert "seem_t_v0" in obs["errors"]["ref_image_v0"]
    else:
        _ok(obs, "ref_image_v0")


def test_davis16_interactive_v0(obs):
    """SEEM's referenced-image prompt is v0's: the DAVIS16-Interactive cell runs it, or says why not."""
    if "davis16_scribble_v0" in obs["errors"]:
        assert "seem_t_v0" in obs["errors"]["davis16_scribble_v0"]
    else:
        run = _ok(obs, "davis16_scribble_v0")
        assert {"J&F-Mean", "J-Mean", "F-Mean"} <= set(run["metrics"])
        assert all("first_J" in r for r in records(run["dir"]))


def test_seem_b_builds_and_decodes(obs):
    assert "seem_b" not in obs["errors"], obs["errors"].get("seem_b")
    assert obs["seem_b"]["mask_shape"] == [240, 320]


def test_bridge_run_equals_in_process_run(obs, prefix, tmp_path):
    """From seem-bench's own venv (no detectron2), `run --model seem_t` goes through the bridge."""
    out = tmp_path / "bridge"
    demo_root = obs["demo_root"]
    env = {**os.environ, "SEEM_BENCH_CACHE": obs["demo_cache"]}
    proc = subprocess.run([sys.executable, "-m", "seem_bench", "run", "--task", "interactive", "--model", "seem_t",
                           *OPTS, "--data-root", str(demo_root), "--limit", "2", "--set", "protocol=seem",
                           "--set", "max_rounds=3", "--set", "memory=on", "--out", str(out), "--no-progress"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "| seem_t" in proc.stdout or "seem_t" in proc.stdout
    assert records(out) == records(obs["clicks_memory_on"]["dir"])
    bridge = json.loads((out / "header.json").read_text())
    local = json.loads((Path(obs["clicks_memory_on"]["dir"]) / "header.json").read_text())
    assert bridge["fingerprint"] == local["fingerprint"] and bridge["model"] == local["model"]


def test_models_reports_seem_runnable_through_the_environment(prefix, cli, tmp_path):
    r = cli(["models", "seem_t", "--checkpoint", "random", "--json"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)["seem_t"]
    assert info["runnable"] is True and str(prefix) in info["reason"]
    r = cli(["models", "seem_t", "--json"], cwd=tmp_path,
            env_extra={"SEEM_BENCH_CHECKPOINTS": str(tmp_path), "HOME": str(tmp_path)})
    info = json.loads(r.stdout)["seem_t"]
    assert info["runnable"] is False and "seem_focalt_v1.pt" in info["reason"]


def test_cli_command_runs_inside_the_environment(prefix, tmp_path):
    cmd = cli_command(prefix, ["models", "seem_t", "--checkpoint", "random", "--json"])
    proc = subprocess.run(cmd, env=worker_env(prefix), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["seem_t"]["reason"] == "ok (in-process)"

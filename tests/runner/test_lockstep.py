"""Lockstep rounds (issue 16): records do not depend on the batch size, the overlap or read-ahead.

For models whose batched decode is their single decode (sanity and classical models: the default
`decode_batch` loops over `decode`), a run with ``batch_size=8`` and the decode thread must
write exactly the records of a run with ``batch_size=1`` and everything on one thread, on every
interactive demo set (GrabCut: one object per image; COCO: several, the composed task) and for
both an uncoupled (``ritm``) and a coupled (``seem``: image stop) protocol.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from seem_bench.baselines.sanity import DisksModel, OracleModel

from seem_bench.adapters.base import Capabilities, DecodeRequest, Prediction
from seem_bench.adapters.registry import MODELS
from seem_bench.data.types import Instance, Sample
from seem_bench.prefetch import prefetch, preload
from seem_bench.runner import RunConfig, load_records, run, strip_timings
from seem_bench.tasks import get_task

COCO = ["dataset=coco_instances", "split=val2017"]
CASES = [
    ("interactive", "disks", [], {}),
    ("interactive", "disks", ["protocol=seem"], {}),
    ("interactive", "disks", COCO, {}),
    ("interactive", "disks", [*COCO, "protocol=seem", "max_rounds=8"], {}),
    ("interactive", "noisy-oracle", [*COCO, "protocol=sam", "max_rounds=4"], {}),
    # SEEM's image stop fires once every object of an image has converged (at different rounds)
    ("interactive", "converging-test", [*COCO, "protocol=seem", "max_rounds=5"], {}),
    ("composed", "oracle", ["max_rounds=3"], {}),
    ("composed", "noisy-oracle", ["protocol=seem", "max_rounds=5"], {}),
    ("interactive", "grabcut", ["max_rounds=3"], {}),
    ("interactive", "grabcut", [*COCO, "max_rounds=3"], {}),
    ("interactive", "random-walker", [*COCO, "max_rounds=2"], {"max_side": "40"}),
    # sampled clicks: every draw of a sample is its own run in the batch; worst-of-M candidates
    # join the batch as extra requests of one object (coupled: seem's image stop per draw)
    ("interactive", "disks", ["gamma=2", "sigma=1.5", "draws=2", "max_rounds=4"], {}),
    ("interactive", "disks", [*COCO, "protocol=seem", "gamma=0", "draws=2", "worst_of=3", "max_rounds=4"], {}),
    ("interactive", "converging-test", [*COCO, "protocol=seem", "gamma=1", "draws=1", "worst_of=2", "max_rounds=5"], {}),
]


def _records(run_dir: Path) -> list[dict]:
    return [strip_timings(r) for r in load_records(run_dir)]


def _run(task: str, model: str, overrides: list[str], opts: dict, root: Path, out: Path, **kw) -> dict:
    return run(RunConfig(task=get_task(task).with_overrides(overrides), model=model, model_options=dict(opts),
                         data_root=root, out_dir=out, progress=False, **kw))


class _Converging(OracleModel):
    """The GT once an object has ``1 + (area mod 3)`` clicks, an empty mask before: objects of
    one image converge at different rounds."""

    name = "converging-test"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True, max_batch=64)

    def decode(self, state, prompts, memory=None):
        gt = self._gt
        done = len(prompts.clicks) >= 1 + int(gt.sum()) % 3
        return Prediction(mask=gt.copy() if done else np.zeros_like(gt))


MODELS.register("converging-test", _Converging)


@pytest.mark.parametrize("task,model,overrides,opts", CASES,
                         ids=[f"{t}-{m}-{'-'.join(o) or 'default'}" for t, m, o, _ in CASES])
def test_batch_size_8_gives_the_records_of_batch_size_1(task, model, overrides, opts, demo_root, tmp_path):
    one = _run(task, model, overrides, opts, demo_root, tmp_path / "one", batch_size=1, overlap=False, prefetch=0)
    eight = _run(task, model, overrides, opts, demo_root, tmp_path / "eight", batch_size=8, overlap=True)
    a, b = _records(tmp_path / "one"), _records(tmp_path / "eight")
    assert len(a) == one["counts"]["expected"] and all(r["status"] == "ok" for r in a)
    assert a == b
    if model == "converging-test":  # the coupled rule is exercised, and not on round 1 only
        stops = {len([rd for rd in r["rounds"] if "repeat" not in rd["prompt"]]) for r in a
                 if r["rounds"][-1]["prompt"].get("repeat")}
        assert len(stops) > 1
    assert {k: v for k, v in one["metrics"].items() if k != "SPC"} == \
        {k: v for k, v in eight["metrics"].items() if k != "SPC"}


class _Counting(DisksModel):
    """Disks, logging the size of every `decode_batch` call."""

    name = "counting-test"
    sizes: list[int] = []

    def decode_batch(self, requests):
        type(self).sizes.append(len(requests))
        return super().decode_batch(requests)


def test_one_batched_decode_per_round_for_all_objects_of_the_batch(demo_root, tmp_path):
    MODELS.register("counting-test", _Counting)
    rounds = 4
    # 8 COCO images with several objects each; iou_target off: every object lives every round.
    summary = _run("interactive", "counting-test", [*COCO, f"max_rounds={rounds}"], {}, demo_root,
                   tmp_path / "r", batch_size=8, overlap=False)
    n = summary["counts"]["expected"]
    assert 8 < n <= 64  # all fit in one chunk of max_batch=64
    assert _Counting.sizes == [n] * rounds
    _Counting.sizes = []
    _run("interactive", "counting-test", [*COCO, f"max_rounds={rounds}"], {}, demo_root, tmp_path / "o",
         batch_size=8, overlap=True)
    # Two lanes (double buffering), each one call per round, together every object once a round.
    assert len(_Counting.sizes) == 2 * rounds and sum(_Counting.sizes) == n * rounds
    assert _records(tmp_path / "r") == _records(tmp_path / "o")


class _FlakyBatch(DisksModel):
    """Fails on the image with the largest mean pixel value, in single and batched decode."""

    name = "flaky-batch-test"
    bad_mean = -1.0

    def encode(self, image):
        return image.shape[:2], float(image.mean())

    def decode(self, state, prompts, memory=None):
        (h, w), mean = state
        if mean == self.bad_mean:
            raise RuntimeError("simulated CUDA out of memory")
        return super().decode((h, w), prompts, memory)


def test_an_error_in_a_batch_stays_with_its_sample(demo_root, tmp_path):
    from seem_bench.data import load_dataset

    ds = load_dataset("grabcut", demo_root / "GrabCut")
    _FlakyBatch.bad_mean = max(float(s.image().mean()) for s in ds.samples)
    MODELS.register("flaky-batch-test", _FlakyBatch)
    outs = {}
    for b in (1, 4):
        s = _run("interactive", "flaky-batch-test", ["max_rounds=3"], {}, demo_root, tmp_path / str(b), batch_size=b)
        assert s["counts"] == {"expected": 12, "evaluated": 12, "ok": 11, "errors": 1}
        outs[b] = _records(tmp_path / str(b))
    assert outs[1] == outs[4]


def _boom() -> np.ndarray:
    raise OSError("unreadable image")


def test_prefetch_keeps_order_and_passes_unreadable_samples_through():
    def sample(i: int, loader=None) -> Sample:
        m = np.zeros((4, 5), bool)
        m[i % 4, i % 5] = True
        inst = Instance("1", lambda m=m: m)
        return Sample(str(i), "t", loader or (lambda i=i: np.full((4, 5, 3), i, np.uint8)), 4, 5, (inst,))

    samples = [sample(i) for i in range(7)] + [sample(7, _boom)]
    got = list(prefetch(samples, depth=3))
    assert [s.sample_id for s in got] == [str(i) for i in range(8)]
    for i, s in enumerate(got[:7]):
        assert s.image()[0, 0, 0] == i and s.instances[0].mask()[i % 4, i % 5]
        assert s.image_loader is not samples[i].image_loader  # read ahead, held in memory
    assert got[7] is samples[7]  # unreadable: the loop meets the error itself
    with pytest.raises(OSError, match="unreadable"):
        got[7].image()
    assert preload(samples[0]).instances[0].ignore() is None
    image_only = preload(samples[1], masks=False)  # kinds that never read instance masks
    assert image_only.image()[0, 0, 0] == 1 and image_only.instances[0].mask_loader is samples[1].instances[0].mask_loader


def test_default_decode_batch_is_the_single_decode_with_targets():
    from seem_bench.baselines.sanity import OracleModel

    from seem_bench.prompts.types import Click, Prompts

    m = OracleModel()
    gts = [np.eye(6, dtype=bool), ~np.eye(6, dtype=bool)]
    reqs = [DecodeRequest((6, 6), Prompts(clicks=[Click(1, 1, True)]), target=g) for g in gts]
    outs = m.decode_batch(reqs)
    assert all(isinstance(o, Prediction) for o in outs)
    assert [o.mask.tolist() for o in outs] == [g.tolist() for g in gts]


@pytest.mark.parametrize("batch", [2, 3, 5])
def test_coupled_image_stop_is_the_same_for_any_batch_split(batch, demo_root, tmp_path):
    # Different batch sizes put lane boundaries at different places among the objects.
    args = ("interactive", "converging-test", [*COCO, "protocol=seem", "max_rounds=5"], {}, demo_root)
    _run(*args, tmp_path / "one", batch_size=1, overlap=False, prefetch=0)
    _run(*args, tmp_path / "b", batch_size=batch, overlap=True)
    assert _records(tmp_path / "one") == _records(tmp_path / "b")


def test_bad_batch_size_or_prefetch_is_a_usage_error(cli, tmp_path):
    for flag, value in (("--batch-size", "0"), ("--prefetch", "-1"), ("--harness-workers", "0")):
        res = cli(["run", "--task", "interactive", "--model", "disks", flag, value, "--out", str(tmp_path / "r")],
                  cwd=tmp_path)
        assert res.returncode == 2 and f"{flag} must be" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "r").exists()


def test_a_bad_sample_in_a_batch_is_skipped_like_alone(demo_root, tmp_path):
    import shutil

    import cv2

    root = tmp_path / "data" / "GrabCut"
    for sub, ext in (("data_GT", "jpg"), ("boundary_GT", "bmp")):
        (root / sub).mkdir(parents=True)
        for i in range(4):
            shutil.copy(demo_root / "GrabCut" / sub / f"demo_{i:03d}.{ext}", root / sub)
    bad = root / "boundary_GT" / "demo_002.bmp"
    cv2.imwrite(str(bad), np.zeros_like(cv2.imread(str(bad))))  # an empty object mask
    for b in (1, 4):
        s = _run("interactive", "disks", ["max_rounds=3"], {}, tmp_path / "data", tmp_path / str(b),
                 batch_size=b, skip_bad_samples=True)
        assert s["counts"]["bad_samples"] == 1 and s["counts"]["ok"] == 3
    assert _records(tmp_path / "1") == _records(tmp_path / "4")


@pytest.mark.parametrize("model,overrides", [
    ("disks", [*COCO, "max_rounds=4"]),
    ("converging-test", [*COCO, "protocol=seem", "max_rounds=5"]),  # coupled: the image stop
], ids=["ritm", "seem-image-stop"])
def test_records_are_the_same_for_any_harness_workers_and_batch_size(model, overrides, demo_root, tmp_path,
                                                                     monkeypatch):
    import threading

    from seem_bench.loops.interactive import SampleRun

    threads: set[str] = set()
    accept = SampleRun.accept
    # A harness-thread call waits until a second harness thread has called: a pool map holds >= 2
    # items, so another thread must take the next one. Parallelism is then shown without
    # depending on how the OS schedules a busy machine.
    seen: set[str] = set()
    cond = threading.Condition()

    def logged(self, *args, **kwargs):
        name = threading.current_thread().name
        threads.add(name)
        if name.startswith("seem-bench-harness"):
            with cond:
                seen.add(name)
                cond.notify_all()
                cond.wait_for(lambda: len(seen) >= 2, timeout=60)
        return accept(self, *args, **kwargs)

    monkeypatch.setattr(SampleRun, "accept", logged)
    args = ("interactive", model, overrides, {}, demo_root)
    _run(*args, tmp_path / "one", batch_size=1, overlap=False, prefetch=0, harness_workers=1)
    want = _records(tmp_path / "one")
    assert threads == {threading.current_thread().name}
    for workers, batch, overlap in ((4, 1, False), (3, 3, True), (2, 8, False)):
        threads.clear()
        seen.clear()
        _run(*args, tmp_path / f"w{workers}b{batch}", batch_size=batch, overlap=overlap, harness_workers=workers)
        assert _records(tmp_path / f"w{workers}b{batch}") == want, (workers, batch, overlap)
        assert len({t for t in threads if t.startswith("seem-bench-harness")}) >= 2  # really in parallel

"""seem-bench's runner and RITM's own evaluator on the same real click set, same model, side by side.

Run as a script in a Python whose ``sys.path`` holds the extracted RITM ``isegm`` package and its
import-time dependencies (``tests/realdata/conftest.py`` and ``benchmarks/bench_ritm_real.py``
set that up); it writes one JSON with, per case and per object, what each side did: every
click (x, y, sign), every IoU (float64), the per-object NoC@80/85/90 and the dataset means.
The test compares the two; this file only runs them.

RITM side, exactly as its ``scripts/evaluate_model.py`` drives ``isegm`` (that script is not in
the vendored tarball; its ``save_results`` builds the thresholds as below): the dataset classes
``GrabCutDataset`` / ``DavisDataset`` read the files themselves, ``evaluate_sample(image,
gt_mask, predictor, max_iou_thr=0.9, pred_thr=0.49, max_clicks=20)`` places the clicks with its
``Clicker``, and ``compute_noc_metric(all_ious, np.arange(0.8, min(0.95, 0.9) + 0.001, 0.05)
.tolist(), 20)`` gives NoC. The predictor is the seem-bench model behind RITM's predictor
interface (``set_input_image``, ``get_prediction(clicker) -> probability map``).

Memo (``--memo``, the test's default): both sides call one model object whose outputs are kept
by (image bytes, click sequence); the second side then pays no model time for a click sequence
the first already asked for, while a click that differs is a miss and runs the model afresh, so
the comparison stays genuine. ``--no-memo`` gives each side its own model (the benchmark).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.registry import MODELS, build_model
from seem_bench.prompts.types import Click, Prompts

MAX_CLICKS = 20
TARGET_IOU = 0.9
PRED_THR = 0.49  # RITM scripts/evaluate_model.py --thresh default; seem-bench's ritm protocol default


class MemoModel(Adapter):
    """A seem-bench model whose decodes are kept by (image, clicks): shared by both sides."""

    name = "realdata-memo"
    summary = "test wrapper: a model's outputs memoised by (image bytes, click sequence)"
    capabilities = Capabilities(tasks={"interactive"}, prompts={"point"}, memory=True)
    current: MemoModel | None = None  # the instance `create` hands to the runner

    def __init__(self, inner: Adapter, memo: bool = True) -> None:
        self.options = {}
        self.inner, self.memo = inner, memo
        self.cache: dict[tuple, Prediction] = {}
        self.hits = self.misses = 0
        self.model_s = 0.0

    @classmethod
    def create(cls, **options: Any) -> Adapter:
        assert cls.current is not None
        return cls.current

    def fingerprint(self) -> dict[str, Any]:
        return self.inner.fingerprint()

    def encode(self, image: np.ndarray) -> tuple[str, Any]:
        key = hashlib.sha256(np.ascontiguousarray(image).tobytes() + repr(image.shape).encode()).hexdigest()
        t0 = time.perf_counter()
        state = self.inner.encode(image)
        self.model_s += time.perf_counter() - t0
        return key, state

    def decode(self, state: tuple[str, Any], prompts: Prompts, memory: Any = None) -> Prediction:
        key = (state[0], tuple((int(c.x), int(c.y), bool(c.positive)) for c in prompts.clicks))
        if self.memo and key in self.cache:
            self.hits += 1
            return self.cache[key]
        self.misses += 1
        t0 = time.perf_counter()
        out = self.inner.decode(state[1], prompts, memory)
        self.model_s += time.perf_counter() - t0
        if self.memo:
            self.cache[key] = out
        return out

    def close(self) -> None:  # the runner closes its adapter; the RITM side still needs it
        pass


MODELS.register("realdata-memo", MemoModel)


class RitmPredictor:
    """RITM's predictor interface around a seem-bench adapter (memory fed back as a run does)."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.state: Any = None
        self.memory: Any = None

    def set_input_image(self, image: np.ndarray) -> None:
        self.state = self.adapter.encode(image)
        self.memory = None

    def get_prediction(self, clicker: Any, prev_mask: Any = None) -> np.ndarray:
        # isegm clicks are (y, x) = (row, column); seem-bench's are (x, y).
        clicks = [Click(int(c.coords[1]), int(c.coords[0]), bool(c.is_positive)) for c in clicker.get_clicks()]
        out = self.adapter.decode(self.state, Prompts(clicks=clicks), self.memory)
        self.memory = out.memory
        prob = out.prob if out.prob is not None else out.mask
        return np.array(prob, np.float32)


def _subset_file(work: Path, case: dict[str, Any]) -> Path | None:
    ids = case.get("ids")
    if ids is None:
        return None
    p = work / f"{case['id'].replace('/', '_')}.ids"
    p.write_text("".join(f"{i}\n" for i in ids))
    return p


def run_seem_bench(case: dict[str, Any], data: Path, work: Path, model: MemoModel) -> dict[str, Any]:
    from seem_bench.metrics.interactive import noc
    from seem_bench.records import load_records
    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    task = get_task("interactive").with_overrides(
        [f"dataset={case['dataset']}", "protocol=ritm", f"iou_target={TARGET_IOU}",
         f"max_rounds={MAX_CLICKS}", f"pred_thr={PRED_THR}"])
    MemoModel.current = model
    out = work / f"{case['id'].replace('/', '_')}-seem-bench"
    t0 = time.perf_counter()
    summary = run(RunConfig(task=task, model="realdata-memo", data_root=data, out_dir=out,
                            subset=_subset_file(work, case), progress=False))
    wall = time.perf_counter() - t0
    objects = {}
    for r in load_records(out):
        ious = [x["iou"] for x in r["rounds"]]
        objects[r["sample_id"]] = {"clicks": [x["prompt"]["click"] for x in r["rounds"]], "ious": ious,
                                   "noc": {t: noc(ious, t / 100, MAX_CLICKS) for t in (80, 85, 90)}}
    header = json.loads((out / "header.json").read_text())
    return {"objects": objects, "wall_s": wall,
            "mean": {t: summary["metrics"][f"NoC@{t}"] for t in (80, 85, 90)},
            "legacy_over_max": {t: summary["metrics"][f"NoF-legacy@{t}"] for t in (85, 90)},
            "protocol": header["protocol"], "dataset_fingerprint": header["dataset"]["fingerprint"],
            "root": header["dataset"]["root"]}


def run_ritm(case: dict[str, Any], root: Path, model: Adapter) -> dict[str, Any]:
    from isegm.data.datasets import DavisDataset, GrabCutDataset
    from isegm.inference import utils
    from isegm.inference.evaluation import evaluate_dataset

    # isegm/inference/utils.py:87-88 builds its NoC array with dtype=np.int, an alias numpy >= 1.24
    # removed; it meant the builtin int.
    if not hasattr(np, "int"):
        np.int = int  # type: ignore[attr-defined]
    dataset = {"grabcut": GrabCutDataset, "davis345": DavisDataset}[case["dataset"]](str(root))
    if case.get("ids") is not None:
        wanted = set(case["ids"])
        dataset.dataset_samples = [n for n in dataset.dataset_samples if Path(n).stem in wanted]
    rounds: dict[int, list[dict[str, Any]]] = {}

    def callback(image, gt_mask, pred_probs, sample_id, click_indx, clicks_list):
        c = clicks_list[-1]
        # RITM's own get_iou on the mask it thresholded, in float64 (evaluate_sample returns the
        # IoUs rounded to float32, and NoC is computed from those).
        rounds.setdefault(sample_id, []).append(
            {"click": [int(c.coords[1]), int(c.coords[0]), int(bool(c.is_positive))],
             "iou": float(utils.get_iou(gt_mask, pred_probs > PRED_THR))})

    t0 = time.perf_counter()
    all_ious, elapsed = evaluate_dataset(dataset, RitmPredictor(model), max_iou_thr=TARGET_IOU,
                                         pred_thr=PRED_THR, max_clicks=MAX_CLICKS, callback=callback)
    wall = time.perf_counter() - t0
    thrs = np.arange(0.8, min(0.95, TARGET_IOU) + 0.001, 0.05).tolist()
    noc_list, over_max = utils.compute_noc_metric(all_ious, iou_thrs=thrs, max_clicks=MAX_CLICKS)
    names = [Path(n).stem for n in dataset.dataset_samples]
    objects: dict[str, Any] = {}
    for i, (name, ious) in enumerate(zip(names, all_ious, strict=True)):
        per, _ = utils.compute_noc_metric([ious], iou_thrs=thrs, max_clicks=MAX_CLICKS)
        objects[name] = {"clicks": [r["click"] for r in rounds[i]], "ious": [r["iou"] for r in rounds[i]],
                         "ious_float32": [float(v) for v in ious],
                         "noc": {t: int(v) for t, v in zip((80, 85, 90), per, strict=True)}}
    spc, _ = utils.get_time_metrics(all_ious, elapsed)
    header, row = utils.get_results_table(noc_list, over_max, "NoBRS", case["dataset"], spc, elapsed,
                                          n_clicks=MAX_CLICKS, model_name=case["model"])
    return {"objects": objects, "order": names, "wall_s": wall, "elapsed_s": elapsed,
            "table": f"{header}\n{row}",
            "thresholds": thrs, "mean": {t: float(v) for t, v in zip((80, 85, 90), noc_list, strict=True)},
            "legacy_over_max": {85: int(over_max[1]), 90: int(over_max[2])}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder holding GrabCut/ and DAVIS/")
    ap.add_argument("--work", type=Path, required=True, help="scratch folder for the seem-bench runs")
    ap.add_argument("--out", type=Path, required=True, help="JSON written here")
    ap.add_argument("--cases", required=True,
                    help='JSON list of {"id", "model", "options", "dataset", "ids" (null = all)}')
    ap.add_argument("--no-memo", action="store_true", help="a separate model per side (timing)")
    ap.add_argument("--ritm-first", action="store_true", help="run RITM's side first")
    args = ap.parse_args(argv)
    from seem_bench.data.registry import resolve_root

    args.work.mkdir(parents=True, exist_ok=True)
    results = {}
    for case in json.loads(args.cases):
        def fresh(case=case) -> MemoModel:
            return MemoModel(build_model(case["model"], **case.get("options", {})), memo=not args.no_memo)

        shared = fresh()
        sides = {}
        order = ("ritm", "seem_bench") if args.ritm_first else ("seem_bench", "ritm")
        for side in order:
            model = shared if not args.no_memo else fresh()
            before = (model.misses, model.model_s)
            if side == "seem_bench":
                sides[side] = run_seem_bench(case, args.data, args.work, model)
            else:
                sides[side] = run_ritm(case, resolve_root(case["dataset"], args.data), model)
            sides[side]["model_calls"] = model.misses - before[0]
            sides[side]["model_s"] = model.model_s - before[1]
        # How many of the model's probability maps RITM's 0.49 and the common 0.5 threshold
        # disagree on: > 0 means the test would see a wrong pred_thr.
        thr_sensitive = sum(bool(((p.prob > PRED_THR) != (p.prob > 0.5)).any())
                            for p in shared.cache.values() if p.prob is not None)
        results[case["id"]] = {"case": case, **sides, "memo_hits": shared.hits,
                               "thr_sensitive": thr_sensitive}
        args.out.write_text(json.dumps(results))  # after each case: a long benchmark keeps what it has
        print(f"{case['id']}: seem-bench {sides['seem_bench']['wall_s']:.1f} s, RITM {sides['ritm']['wall_s']:.1f} s",
              file=sys.stderr)
    args.out.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

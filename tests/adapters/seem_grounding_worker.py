"""SEEM's own grounding evaluator next to ``seem-bench run --task referring``, in one process.

Run by `test_seem_grounding_fidelity.py` with the SEEM environment's python; a test helper, not
part of seem-bench. Nothing of SEEM is edited or copied: the official code is imported from
``--seem-root`` with the workarounds of `seem_official_worker` (import-only stand-ins, numpy 2
aliases, CUDA calls sent to the CPU; its `setup`, `random_checkpoint` and seeded decoder are
reused), all applied in this process only.

Steps, on the set the test wrote under ``--data`` (REFER files under ``refer/``, COCO images and
``instances_train2017.json`` under ``coco/``):

1. SEEM's converter ``datasets/utils/refcoco2json.py`` runs as released; its placeholder paths
   (``/pth/to/coco``, ``/pth/to/refcocoseg``, lines 5-6) are mapped onto ``--data`` by redirecting
   ``open`` for those prefixes. It writes ``annotations/refcocog_umd_train.json`` from the *val*
   refs (line 17 vs 41, as released); the file is renamed to the ``refcocog_umd_val.json`` that
   ``register_refcoco_dataset.py:35-37`` reads.
2. Random Focal-T weights written once (``--ckpt``, reused when present).
3. ``entry.main(["evaluate", ...])`` on ``refcocog_val_umd``. Recorded per image: the sentences
   ``evaluate_grounding`` embedded; per sentence: ``GroundingEvaluator.process`` run on that
   sentence alone by a fresh evaluator (its I, U, IoU and threshold hits, computed by SEEM's
   code) and a digest of the thresholded mask; plus the evaluator's final results.
4. ``seem-bench run --task referring --model seem_t`` (the CLI, in this process) with
   ``grounding_batch=image`` and the same weights; recorded: records, summary and the digest of
   every predicted mask. Then the same adapter with ``grounding_batch=1`` (one sentence per
   decode) through the referring loop, to show whether SEEM's one-pass batching couples them.

usage: python seem_grounding_worker.py --seem-root DIR --repo DIR --data DIR --ckpt FILE --out JSON
       --launcher FILE --packages JSON
"""

from __future__ import annotations

import argparse
import builtins
import functools
import json
import runpy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seem_official_worker import _digest, _patch_common, random_checkpoint, setup  # noqa: E402


def convert(seem_root: Path, data: Path) -> float:
    """SEEM's ``refcoco2json.py`` on the REFER files under ``data/refer``; returns its seconds."""
    t0 = time.perf_counter()
    mapping = {"/pth/to/coco": str(data / "coco"), "/pth/to/refcocoseg": str(data / "refer")}
    real_open = builtins.open

    def redirected(file, *a, **k):
        name = str(file)
        for fake, real in mapping.items():
            if name.startswith(fake):
                name = real + name[len(fake):]
        return real_open(name, *a, **k)

    script = seem_root / "datasets" / "utils" / "refcoco2json.py"
    sys.path.insert(0, str(script.parent))  # `from refer import REFER`, as `python refcoco2json.py`
    builtins.open = redirected
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        builtins.open = real_open
        sys.path.remove(str(script.parent))
    ann = data / "coco" / "annotations"
    (ann / "refcocog_umd_train.json").rename(ann / "refcocog_umd_val.json")
    return time.perf_counter() - t0


def run_official(args: argparse.Namespace, cfg: Path, ckpt: Path, log: dict) -> None:
    from datasets.evaluation.grounding_evaluation import GroundingEvaluator
    from modeling.architectures.seem_model_v1 import GeneralizedSEEM

    images: list[dict] = []
    ev_grounding = GeneralizedSEEM.evaluate_grounding

    def evaluate_grounding(self, batched_inputs, mode):
        b = batched_inputs[0]
        images.append({"image_id": int(b["image_id"]), "file": Path(b["file_name"]).name,
                       "net_hw": list(b["image"].shape[-2:]), "orig_hw": [int(b["height"]), int(b["width"])],
                       "ref_ids": [int(a["ref_id"]) for a in b["grounding_info"]],
                       "ann_ids": [int(a["id"]) for a in b["grounding_info"]],
                       "texts": [t[0] for t in b["groundings"]["texts"]], "all_texts": b["groundings"]["texts"]})
        return ev_grounding(self, batched_inputs, mode)

    process = GroundingEvaluator.process

    def per_sentence_process(self, inputs, outputs):
        for inp, out in zip(inputs, outputs, strict=True):
            masks, logits = inp["groundings"]["masks"], out["grounding_mask"]
            sentences = []
            for j in range(len(logits)):
                one = GroundingEvaluator(self._dataset_name, distributed=False)
                one.reset()
                process(one, [{"groundings": {"masks": masks[j:j + 1]}}], [{"grounding_mask": logits[j:j + 1]}])
                sentences.append({"I": int(one.cum_I), "U": int(one.cum_U), "IoU": float(one.mIoU),
                                  "hits": [int(x) for x in one.seg_correct.tolist()],
                                  "mask": _digest((logits[j].sigmoid() > 0.5).cpu().numpy()),
                                  "pred_area": int((logits[j].sigmoid() > 0.5).sum()),
                                  "gt_area": int(masks[j].bool().sum())})
            images[-1]["sentences"] = sentences
        return process(self, inputs, outputs)

    GroundingEvaluator.process = per_sentence_process
    evaluate = GroundingEvaluator.evaluate

    def final(self):
        res = evaluate(self)
        log["official_results"] = {k: float(v) for k, v in res["grounding"].items()}
        log["official_thresholds"] = list(self.eval_seg_iou_list)
        return res

    GroundingEvaluator.evaluate = final
    GeneralizedSEEM.evaluate_grounding = evaluate_grounding
    import entry

    argv = ["evaluate", "--conf_files", str(cfg),
            "--config_overrides", json.dumps({"DATASETS.TEST": ["refcocog_val_umd"]}),
            "--overrides", "WEIGHT", "true", "RESUME_FROM", str(ckpt),
            "REF.INPUT.MIN_SIZE_TEST", str(args.min_size), "REF.INPUT.MAX_SIZE_TEST", str(args.max_size),
            "REF.TEST.BATCH_SIZE_TOTAL", "1",  # evaluate_grounding asserts one image (config: 8)
            "REF.DATALOADER.NUM_WORKERS", "0",
            "SAVE_DIR", str(Path(args.out).parent / "official_out"), "FP16", "false"]
    try:
        entry.main(argv)
    finally:
        GroundingEvaluator.process, GroundingEvaluator.evaluate = process, evaluate
        GeneralizedSEEM.evaluate_grounding = ev_grounding
    log["official"] = images


def run_seem_bench(args: argparse.Namespace, ckpt: Path, log: dict) -> None:
    from seem_bench.baselines import seem as seem_mod

    from seem_bench.cli import main as cli
    from seem_bench.data.refer import load_refcocog
    from seem_bench.io_utils import read_jsonl
    from seem_bench.loops.referring import ReferringKind
    from seem_bench.tasks import get_task

    built: list = []
    decodes: list[dict] = []
    init, ground = seem_mod.SeemAdapter.__init__, seem_mod.SeemAdapter._decode_grounding

    @functools.wraps(init)  # the option check reads __init__'s signature
    def keep(self, *a, **k):
        init(self, *a, **k)
        built.append(self)

    def recording(self, state, texts):
        preds = ground(self, state, texts)
        decodes.append({"batch": self.grounding_batch, "texts": list(texts),
                        "masks": [_digest(p.mask) for p in preds]})
        return preds

    seem_mod.SeemAdapter.__init__, seem_mod.SeemAdapter._decode_grounding = keep, recording
    run_dir = Path(args.out).parent / "seem_bench_run"
    sets = ["dataset=refcocog", "split=umd/val", "sentences=first-sentence"]
    opts = ["preprocess=seem-official", f"min_size={args.min_size}", f"max_size={args.max_size}",
            "grounding_batch=image", f"seed={args.seed}", "fp16=false"]
    argv = ["run", "--task", "referring", "--model", "seem_t", "--checkpoint", str(ckpt), "--device", "cpu",
            "--data-root", str(args.data), "--out", str(run_dir), "--no-progress"]
    argv += [x for s in sets for x in ("--set", s)] + [x for o in opts for x in ("--model-opt", o)]
    log["seem_bench_argv"] = argv
    rc = cli(argv)
    if rc != 0:
        raise SystemExit(f"seem-bench run exited {rc}")
    log["seem_bench_records"] = [r for p in sorted(run_dir.glob("records-*.jsonl")) for r in read_jsonl(p)]
    log["seem_bench_summary"] = json.loads((run_dir / "summary.json").read_text())
    log["seem_bench_decodes"] = list(decodes)
    # The same adapter, one sentence per decode: does SEEM's batching change the masks?
    adapter = built[-1]
    adapter.grounding_batch = 1
    task = get_task("referring").with_overrides(sets)
    ds = load_refcocog(Path(args.data) / "refer", "umd/val")
    del decodes[:]
    singles = []
    for sample in ds.samples:
        singles += [{"sample_id": sample.sample_id, **r}
                    for r in ReferringKind().run_sample(adapter, adapter.encode, sample, task, args.seed)]
    log["single_records"] = singles
    log["single_decodes"] = list(decodes)
    log["header_model"] = json.loads((run_dir / "header.json").read_text()).get("model") \
        if (run_dir / "header.json").is_file() else None
    seem_mod.SeemAdapter.__init__, seem_mod.SeemAdapter._decode_grounding = init, ground


def load_seem_bench(launcher: Path, packages: dict[str, str]) -> None:
    """This checkout's seem-bench under its package names, as the bridge loads it
    (``baselines/`` is ``seem_bench.baselines``, which the CLI's model registry imports)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bridge_launch", launcher)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in sorted(packages, key=lambda n: n.count(".")):
        mod.load_package(name, packages[name])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seem-root", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--min-size", type=int, default=64)
    ap.add_argument("--max-size", type=int, default=96)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--launcher", required=True, help="seem_bench/adapters/bridge_launch.py")
    ap.add_argument("--packages", required=True, help="JSON {package: dir} (seem_bridge.package_dirs)")
    args = ap.parse_args()
    load_seem_bench(Path(args.launcher), json.loads(args.packages))
    seem_root = Path(args.seem_root).resolve()
    args.data = Path(args.data).resolve()
    setup(seem_root, Path(args.repo).resolve(), args.data)
    log: dict = {"seconds": {}}
    t0 = time.perf_counter()
    log["seconds"]["convert"] = convert(seem_root, args.data)
    _patch_common(args.seed, log)
    cfg = seem_root / "configs" / "seem" / "focalt_unicl_lang_v1.yaml"
    ckpt = Path(args.ckpt)
    if not ckpt.is_file():
        random_checkpoint(cfg, ckpt, args.seed)
    log["seconds"]["checkpoint"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    run_official(args, cfg, ckpt, log)
    log["seconds"]["official"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    run_seem_bench(args, ckpt, log)
    log["seconds"]["seem_bench"] = time.perf_counter() - t1
    Path(args.out).write_text(json.dumps(log))


if __name__ == "__main__":
    main()

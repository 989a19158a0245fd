"""SEEM's own COCO panoptic evaluation next to ``seem-bench run --task generic``, one process.

Run by `test_seem_generic_fidelity.py` with the SEEM environment's python; a test helper, not
part of seem-bench. The workarounds of `seem_official_worker.py` (import-only stand-ins, numpy 2
aliases, CUDA calls on the CPU) are applied here too. Steps:

1. Random Focal-T weights written once (``torch.manual_seed(seed)``, then `ZEROED` set to 0).
2. seem-bench's adapter, built with the options ``run`` will pass, predicts the test's images;
   the ground truth is derived from those predictions (`seem_generic_set.ground_truth_from_prediction`)
   so that PQ and AP are not 0 with random weights, and written in SEEM's layout.
3. ``entry.main(["evaluate", ...])`` on ``coco_2017_val_panoptic_with_sem_seg`` (SEEM's
   ``COCOPanopticEvaluator``, detectron2's ``COCOEvaluator``, SEEM's ``SemSegEvaluator``), with
   their per-image outputs recorded (panoptic PNG bytes + segments, semantic argmax, instances)
   and their results.
4. ``seem_bench.cli.main(["run", "--task", "generic", ...])`` on the same root; its model is the
   adapter of step 2 (the options are checked equal; building it twice would cost a minute),
   with every panoptic/semantic prediction recorded.

Test-only settings, the same on both sides, for CPU time and random weights: class embeddings
are the 133 names + "background" without the 80 prompt templates (SEEM's evaluator calls
``get_text_embeddings(names, is_eval=True)``: 10,720 sentences, ~10 min on CPU; seem-bench's
``class_embeddings=plain``); ``MODEL.DECODER.TEST.OBJECT_MASK_THRESHOLD`` /
``OVERLAP_THRESHOLD`` are ``--mask-threshold`` / ``--overlap-threshold`` (random weights give
class scores ~1/134, far below the released 0.8); sizes ``--min-size`` / ``--max-size``;
``TEST.BATCH_SIZE_TOTAL 1`` (one image per process, as the 8-GPU evaluation runs it).

usage: python seem_generic_worker.py --seem-root DIR --repo DIR --data DIR --images JSON --ckpt FILE --out JSON
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import re
import time
from pathlib import Path

from seem_official_worker import setup  # same folder (sys.path[0])

#: seem-bench's packages mapped as an install does (setup.py), from the repository checkout.
PACKAGES = {"seem_bench": "seem_bench", "seem_bench.baselines": "baselines", "seem_bench.taskdefs": "tasks",
            "seem_bench.leaderboards": "leaderboards"}


def _digest(a) -> str:
    import numpy as np

    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.tobytes() + str(a.shape).encode() + str(a.dtype).encode()).hexdigest()[:16]


def _load_seem_bench(repo: Path) -> None:
    # the bridge's loader (the harness's own code, no install), imported by path: importing it
    # as a module off sys.path would make it drop sys.path[0]
    spec = importlib.util.spec_from_file_location("bridge_launch", repo / "seem_bench" / "adapters" / "bridge_launch.py")
    launch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launch)
    for name, folder in PACKAGES.items():
        launch.load_package(name, str(repo / folder))


def model_options(args: argparse.Namespace) -> dict[str, str]:
    """What ``seem-bench run`` passes to the adapter for the CLI flags of `cli_args` (strings)."""
    return {"preprocess": "seem-official", "min_size": str(args.min_size), "max_size": str(args.max_size),
            "class_embeddings": "plain", "seed": str(args.seed), "checkpoint": str(args.ckpt), "device": "cpu"}


def cli_args(args: argparse.Namespace, out: Path) -> list[str]:
    opts = model_options(args)
    return ["run", "--task", "generic", "--model", "seem_t", "--data-root", str(args.data),
            "--checkpoint", opts.pop("checkpoint"), "--device", opts.pop("device"),
            *[x for k, v in opts.items() for x in ("--model-opt", f"{k}={v}")], "--out", str(out), "--no-progress"]


#: Decoder parameters zeroed in the random checkpoint: the output projections of every
#: attention and FFN branch. Plain random weights make the 101 queries' outputs nearly equal
#: (one class for all of them, masks covering ~95 % of the image each, hence one segment or
#: none); with these branches off each query keeps its own random embedding: the test's images
#: get 19-26 panoptic segments of things and stuff at overlap threshold 0 (2-3 at the test's
#: 0.1), 7-14 semantic classes and 43 instances.
ZEROED = re.compile(r"sem_seg_head\.predictor\.transformer_\w+_layers\.\d+\.(self_attn\.out_proj|multihead_attn\.out_proj|linear2)\.weight")


def random_checkpoint(cfg: Path, path: Path, seed: int) -> list[str]:
    """SEEM's architecture initialised under ``torch.manual_seed(seed)``, `ZEROED` set to 0, saved."""
    import torch
    from modeling import build_model
    from modeling.BaseModel import BaseModel
    from utils.arguments import load_opt_from_config_files

    opt = load_opt_from_config_files([str(cfg)])
    opt["device"] = torch.device("cpu")
    torch.manual_seed(seed)
    state = BaseModel(opt, build_model(opt)).model.state_dict()
    zeroed = sorted(k for k in state if ZEROED.fullmatch(k))
    for k in zeroed:
        state[k].zero_()
    torch.save(state, path)
    return zeroed


def categories() -> list[dict]:
    from detectron2.data.datasets.builtin_meta import COCO_CATEGORIES

    return [{"id": c["id"], "name": c["name"], "isthing": c["isthing"], "color": c["color"],
             "supercategory": c.get("supercategory", "")} for c in COCO_CATEGORIES]


def predict_and_write_gt(args: argparse.Namespace, log: dict):
    """Step 2: seem-bench's adapter on every image, then the ground truth derived from it."""
    import numpy as np
    from PIL import Image
    from seem_generic_set import (
        ground_truth_from_prediction,
        objects_from_prediction,
        write_ground_truth,
    )
    from utils.constants import (
        COCO_PANOPTIC_CLASSES,  # SEEM: what its evaluator embeds (get_class_names)
    )

    from seem_bench.adapters.registry import build_model
    from seem_bench.data.io import read_rgb
    from seem_bench.prompts.types import Prompts

    t0 = time.perf_counter()
    adapter = build_model("seem_t", **model_options(args))
    adapter.model.object_mask_threshold = args.mask_threshold  # SEEM: the same config overrides
    adapter.model.overlap_threshold = args.overlap_threshold
    cats = categories()
    log["class_names_equal"] = [c["name"] for c in cats] == list(COCO_PANOPTIC_CLASSES)
    adapter.set_categories(cats)
    images = json.loads(Path(args.images).read_text())
    id_maps, segments, objects, decode_equal = {}, {}, {}, {}
    for n, im in enumerate(images):
        path = Path(args.data) / "coco" / "val2017" / im["file_name"]
        rgb = read_rgb(path)
        decode_equal[im["file_name"]] = bool(np.array_equal(rgb, np.asarray(Image.open(path).convert("RGB"))))
        pred = adapter.decode(adapter.encode(rgb), Prompts()).extra
        id_maps[im["id"]], segments[im["id"]] = ground_truth_from_prediction(*pred["panoptic"], cats, salt=n)
        objects[im["id"]] = objects_from_prediction(pred["instances"], cats, salt=n)
    write_ground_truth(Path(args.data), images, id_maps, segments, cats, objects)
    log["decode_equal_pil"] = decode_equal
    log["gt_segments"] = {str(k): v for k, v in segments.items()}
    log["timing_s"]["seem_bench_build_and_gt"] = round(time.perf_counter() - t0, 1)
    return adapter


def run_official(args: argparse.Namespace, cfg: Path, log: dict) -> None:
    """Step 3: SEEM's ``entry.main(["evaluate", ...])`` with its evaluators' inputs recorded."""
    import numpy as np
    from datasets.evaluation.panoptic_evaluation import COCOPanopticEvaluator
    from datasets.evaluation.segmentation_evaluation import SemSegEvaluator
    from detectron2.evaluation import COCOEvaluator, DatasetEvaluators
    from modeling.architectures.seem_model_v1 import GeneralizedSEEM
    from modeling.language.vlpencoder import LanguageEncoder
    from PIL import Image

    from seem_bench.data.coco import rgb2id

    t0 = time.perf_counter()
    per_image: dict[str, dict] = {}
    pan_process, sem_process, ins_process = (COCOPanopticEvaluator.process, SemSegEvaluator.process,
                                             COCOEvaluator.process)
    sem_evaluate, all_evaluate, model_evaluate = (SemSegEvaluator.evaluate, DatasetEvaluators.evaluate,
                                                  GeneralizedSEEM.evaluate)
    emb = LanguageEncoder.get_text_embeddings

    def pan(self, inputs, outputs):
        pan_process(self, inputs, outputs)
        for inp, p in zip(inputs, self._predictions[-len(inputs):], strict=True):
            ids = rgb2id(np.asarray(Image.open(io.BytesIO(p["png_string"])).convert("RGB")))
            per_image.setdefault(Path(inp["file_name"]).name, {}).update(
                png=_digest(ids.astype(np.int32)), png_shape=list(ids.shape),
                segments=[[int(s["id"]), int(s["category_id"])] for s in p["segments_info"]],
                net_hw=list(inp["image"].shape[-2:]))

    def sem(self, inputs, outputs):
        sem_process(self, inputs, outputs)
        for inp, out in zip(inputs, outputs, strict=True):
            per_image.setdefault(Path(inp["file_name"]).name, {})["semantic"] = _digest(
                out["sem_seg"].argmax(dim=0).cpu().numpy().astype(np.int64))

    to_id = [c["id"] for c in categories()]  # contiguous index -> COCO category id

    def ins(self, inputs, outputs):
        ins_process(self, inputs, outputs)
        for inp, out in zip(inputs, outputs, strict=True):
            inst = out["instances"]
            per_image.setdefault(Path(inp["file_name"]).name, {})["instances"] = {
                "n": len(inst), "classes": [to_id[int(c)] for c in inst.pred_classes],
                "scores": [float(s) for s in inst.scores],
                "masks": _digest(inst.pred_masks.cpu().numpy() > 0)}

    def sem_eval(self):
        log["official_confusion"] = [[int(i), int(j), int(v)] for (i, j), v in np.ndenumerate(self._conf_matrix)
                                     if v]
        return sem_evaluate(self)

    def model_eval(self, batched_inputs):
        log["official_thresholds"] = [float(self.object_mask_threshold), float(self.overlap_threshold)]
        return model_evaluate(self, batched_inputs)

    def evaluate(self):
        res = all_evaluate(self)
        log["official_results"] = json.loads(json.dumps(res, default=float))
        return res

    def plain(self, class_names, name="default", is_eval=False, add_bgd=False, prompt=True, norm=True,
              store_buffer=None):
        # 133 names + background without templates (module docstring); seem-bench: class_embeddings=plain
        return emb(self, class_names, name=name, is_eval=False, add_bgd=add_bgd, prompt=False, norm=norm)

    COCOPanopticEvaluator.process, SemSegEvaluator.process, COCOEvaluator.process = pan, sem, ins
    SemSegEvaluator.evaluate, DatasetEvaluators.evaluate, GeneralizedSEEM.evaluate = sem_eval, evaluate, model_eval
    LanguageEncoder.get_text_embeddings = plain
    import entry

    argv = ["evaluate", "--conf_files", str(cfg),
            "--config_overrides", json.dumps({"DATASETS.TEST": ["coco_2017_val_panoptic_with_sem_seg"]}),
            "--overrides", "WEIGHT", "true", "RESUME_FROM", str(args.ckpt),
            "COCO.INPUT.MIN_SIZE_TEST", str(args.min_size), "COCO.INPUT.MAX_SIZE_TEST", str(args.max_size),
            # one image per process, as the paper's 8 GPUs split TEST.BATCH_SIZE_TOTAL 8 (docs/models.md)
            "TEST.BATCH_SIZE_TOTAL", "1", "DATALOADER.NUM_WORKERS", "0",
            "MODEL.DECODER.TEST.OBJECT_MASK_THRESHOLD", str(args.mask_threshold),
            "MODEL.DECODER.TEST.OVERLAP_THRESHOLD", str(args.overlap_threshold),
            "SAVE_DIR", str(Path(args.out).parent / "official_out"), "FP16", "false"]
    try:
        entry.main(argv)
    finally:
        COCOPanopticEvaluator.process, SemSegEvaluator.process, COCOEvaluator.process = (
            pan_process, sem_process, ins_process)
        SemSegEvaluator.evaluate, DatasetEvaluators.evaluate, GeneralizedSEEM.evaluate = (
            sem_evaluate, all_evaluate, model_evaluate)
        LanguageEncoder.get_text_embeddings = emb
    log["official"] = per_image
    log["timing_s"]["official"] = round(time.perf_counter() - t0, 1)


def run_seem_bench(args: argparse.Namespace, adapter, log: dict) -> None:
    """Step 4: ``seem-bench run --task generic`` in this process, on the adapter of step 2."""
    import numpy as np

    import seem_bench.runner as runner
    from seem_bench.cli import main as cli_main

    t0 = time.perf_counter()
    per_image: dict[str, dict] = {}
    built = runner.build_model
    expected = model_options(args)

    def same_adapter(name, *, feature_cache=None, **options):
        if name != "seem_t" or feature_cache is not None or options != expected:
            raise AssertionError(f"run built {name} {options} (feature_cache={feature_cache}), "
                                 f"the worker's adapter is seem_t {expected}")
        log["run_options_equal"] = True
        return adapter

    decode_generic = adapter._decode_generic
    images = json.loads(Path(args.images).read_text())
    by_size = {(im["height"], im["width"]): im["file_name"] for im in images}
    assert len(by_size) == len(images), "the test's images need distinct sizes (they name the decodes)"

    def recording(state):
        pred = decode_generic(state)
        ids, segs = pred.extra["panoptic"]
        inst = pred.extra["instances"]
        per_image[by_size[tuple(state["orig_hw"])]] = {
            "png": _digest(np.asarray(ids, np.int32)), "png_shape": list(np.asarray(ids).shape),
            "segments": [[int(s["id"]), int(s["category_id"])] for s in segs],
            "semantic": _digest(np.asarray(pred.extra["semantic"], np.int64)),
            "instances": {"n": len(inst), "classes": [int(d["category_id"]) for d in inst],
                          "scores": [float(d["score"]) for d in inst],
                          "masks": _digest(np.stack([d["mask"] for d in inst]))},
            "net_hw": list(state["net_hw"])}
        return pred

    adapter._decode_generic = recording
    runner.build_model = same_adapter
    out = Path(args.out).parent / "seem_bench_run"
    try:
        rc = cli_main(cli_args(args, out))
    finally:
        runner.build_model = built
        adapter._decode_generic = decode_generic
    log["seem_bench_rc"] = rc
    log["seem_bench_dir"] = str(out)
    log["seem_bench"] = per_image
    log["timing_s"]["seem_bench_run"] = round(time.perf_counter() - t0, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seem-root", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--images", required=True, help="the COCO images entries the test wrote (JSON)")
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--min-size", type=int, default=64)
    ap.add_argument("--max-size", type=int, default=96)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mask-threshold", type=float, default=0.0)
    ap.add_argument("--overlap-threshold", type=float, default=0.1)
    args = ap.parse_args()
    seem_root, repo = Path(args.seem_root).resolve(), Path(args.repo).resolve()
    args.data = str(Path(args.data).resolve())
    os.environ["DETECTRON2_DATASETS"] = args.data  # detectron2's builtin coco_2017_val (instances json)
    setup(seem_root, repo, Path(args.data))
    import numpy as np

    np.int = int  # datasets/semseg_loader.py:7, segmentation_evaluation.py:95 (removed in numpy 2)
    _load_seem_bench(repo)
    log: dict = {"timing_s": {}}
    cfg = seem_root / "configs" / "seem" / "focalt_unicl_lang_v1.yaml"
    t0 = time.perf_counter()
    log["zeroed"] = random_checkpoint(cfg, Path(args.ckpt), args.seed)
    log["timing_s"]["checkpoint"] = round(time.perf_counter() - t0, 1)
    adapter = predict_and_write_gt(args, log)
    run_official(args, cfg, log)
    run_seem_bench(args, adapter, log)
    Path(args.out).write_text(json.dumps(log))


if __name__ == "__main__":
    main()

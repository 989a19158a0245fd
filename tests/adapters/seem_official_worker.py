"""SEEM's own interactive evaluator next to seem-bench's ``seem-official`` protocol, one process.

Run by `test_seem_fidelity.py` with the SEEM environment's python (scripts/seem_env.sh); it is
a test helper, not part of seem-bench. Nothing of SEEM is edited or copied: the official code is
imported from ``--seem-root`` and run with the workarounds ``../shared/vendor/README.md`` lists
(import-only stand-ins for training/logging packages, numpy 2 aliases, CUDA calls sent to the
CPU), all applied in this process only. Both sides run the same random Focal-T weights, written
once with ``torch.manual_seed(seed)``, and reseed torch with ``seed`` before every decoder call:
SEEM's decoder draws from torch's RNG (point sampling, memory-token split) and its evaluator
never seeds it. SEEM's evaluator embeds one class name only (spatial masks do not read class
embeddings; the 21 templated VOC names would cost ~2 min on CPU).

Modes:

- ``evaluate``: ``entry.main(["evaluate", ...])`` on the VOC-layout set under ``--data``, then
  seem-bench's ``seem-official`` loop with the SEEM adapter on the same set. Writes, per object
  and side: grid GT, per-round prompt masks (hashes) and clicks, per-round IoUs; plus the
  official evaluator's NoC summary.
- ``rules`` (also run after ``evaluate`` when ``--cases`` > 0): synthetic low-resolution logits
  fed to SEEM's own click code (``SimpleClickSampler.forward_point``,
  ``GeneralizedSEEM.prepare_next_spaital_mask``) and to seem-bench's ``seem-official`` rules and
  plain ``seem`` rule; writes every click.

usage: python seem_official_worker.py MODE --seem-root DIR --repo DIR --out JSON [options]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import types
from pathlib import Path


def _stub_modules() -> None:
    """Import-only stand-ins for packages SEEM's training/eval code imports but never calls here."""
    for name in ("wandb", "infinibatch", "infinibatch.iterators", "caption_pycocotools",
                 "caption_pycocotools.coco", "pycocoevalcap", "pycocoevalcap.eval", "pyarrow"):
        mod = types.ModuleType(name)
        mod.__path__ = []  # a package, so that submodules import
        sys.modules[name] = mod
    sys.modules["infinibatch"].iterators = sys.modules["infinibatch.iterators"]
    sys.modules["infinibatch.iterators"].CheckpointableIterator = object  # a type annotation
    sys.modules["caption_pycocotools.coco"].COCO = object
    sys.modules["pycocoevalcap.eval"].COCOEvalCap = object
    # pyarrow: imported by register_vlp_datasets.py:11 (caption datasets, unused here); pandas
    # reads its __version__ inside `except ImportError`: that lookup raises ImportError.
    def _absent(name: str):
        if name == "__version__":
            raise ImportError("pyarrow stand-in (imports only)")
        raise AttributeError(name)

    sys.modules["pyarrow"].__getattr__ = _absent


def _cpu_and_numpy() -> None:
    import numpy as np
    import torch

    np.str = str  # register_pascalvoc_eval.py:35 (removed in numpy 2)
    np.float = float  # pascalvoc_dataset_mapper_ix.py:166
    torch.cuda.current_device = lambda: "cpu"  # seem_model_v1.py:229,992, simpleclick_sampler.py
    torch.Tensor.cuda = lambda self, *a, **k: self  # vlpencoder.py .cuda() on text tokens


def setup(seem_root: Path, repo: Path, data: Path | None) -> None:
    if data is not None:
        os.environ["DATASET"] = str(data)  # read when SEEM registers its datasets
    _stub_modules()
    _cpu_and_numpy()
    os.chdir(seem_root)
    sys.path[:0] = [str(seem_root), str(repo)]


def _digest(a) -> str:
    import numpy as np

    a = np.ascontiguousarray(np.asarray(a, bool))
    return hashlib.sha256(a.tobytes() + str(a.shape).encode()).hexdigest()[:16]


def _patch_common(seed: int, log: dict) -> None:
    """Seed torch before every decoder call (both sides)."""
    import torch
    from modeling.interface.seem_v1 import SEEMDecoder

    fwd = SEEMDecoder.forward

    def seeded_forward(self, *a, **k):
        torch.manual_seed(seed)
        return fwd(self, *a, **k)

    SEEMDecoder.forward = seeded_forward


def random_checkpoint(cfg: Path, path: Path, seed: int) -> None:
    import torch
    from modeling import build_model
    from modeling.BaseModel import BaseModel
    from utils.arguments import load_opt_from_config_files

    opt = load_opt_from_config_files([str(cfg)])
    opt["device"] = torch.device("cpu")
    torch.manual_seed(seed)
    model = BaseModel(opt, build_model(opt))
    torch.save(model.model.state_dict(), path)


def run_official(args: argparse.Namespace, cfg: Path, ckpt: Path, log: dict) -> None:
    import numpy as np
    import torch
    from datasets.evaluation.interactive_evaluation import InteractiveEvaluator
    from modeling.architectures.seem_model_v1 import GeneralizedSEEM

    entries: list[dict] = []
    ev_int = GeneralizedSEEM.evaluate_interactive
    prep = GeneralizedSEEM.prepare_next_spaital_mask

    def evaluate_interactive(self, batched_inputs):
        b = batched_inputs[0]
        entries.append({"file": Path(b["file_name"]).stem, "objects": [int(i) for i in b["objects_ids"]],
                        "gt": [_digest(m) for m in b["spatial_query"]["gt_masks"].cpu().numpy()],
                        "gt_area": [int(m.sum()) for m in b["spatial_query"]["gt_masks"].cpu().numpy()],
                        "prompts": [], "net_hw": list(b["image"].shape[-2:]),
                        "orig_hw": [int(b["height"]), int(b["width"])]})
        first = b["spatial_query"]["rand_shape"][:, 0].cpu().numpy()
        d = max(int(self.size_divisibility), 1)  # ImageList pads the first prompts the same way
        padded = np.zeros((first.shape[0], -(-first.shape[1] // d) * d, -(-first.shape[2] // d) * d), bool)
        padded[:, :first.shape[1], :first.shape[2]] = first
        first = padded
        entries[-1]["prompts"].append({"pos": [_digest(m) for m in first], "neg": None,
                                       "pos_area": [int(m.sum()) for m in first]})
        entries[-1]["first_clicks"] = pending.pop(0)  # the mapper ran the sampler just before
        out = ev_int(self, batched_inputs)
        entries[-1]["ious"] = [[float(v) for v in o["mask_iou"].cpu().numpy()] for o in out]
        return out

    def prepare_next(self, outputs, batched_inputs, mode="best"):
        res = prep(self, outputs, batched_inputs, mode=mode)
        pos = res["spatial_query_pos_mask"][0].cpu().numpy()
        neg = res["spatial_query_neg_mask"][0].cpu().numpy()
        entries[-1]["prompts"].append({"pos": [_digest(m) for m in pos], "neg": [_digest(m) for m in neg],
                                       "pos_area": [int(m.sum()) for m in pos],
                                       "neg_area": [int(m.sum()) for m in neg]})
        return res

    GeneralizedSEEM.evaluate_interactive = evaluate_interactive
    GeneralizedSEEM.prepare_next_spaital_mask = prepare_next
    # Click positions: the first maximum of each DT map, as both call sites take it.
    import datasets.visual_sampler.simpleclick_sampler as sampler_mod
    import modeling.architectures.seem_model_v1 as model_mod

    def recording_dt(module):
        dt = module.distance_transform

        def wrapped(image, *a, **k):
            out = dt(image, *a, **k)
            d = out.reshape(-1, *out.shape[-2:])[:, 1:-1, 1:-1]
            flat = d.reshape(d.shape[0], -1).max(dim=-1)[1].tolist()
            clicks = [[int(f % d.shape[-1]), int(f // d.shape[-1])] for f in flat]
            if entries and module is model_mod:
                entries[-1].setdefault("dt_clicks", []).append(clicks)
            else:
                pending.append(clicks)
            return out
        return wrapped

    pending: list = []
    sampler_mod.distance_transform = recording_dt(sampler_mod)
    model_mod.distance_transform = recording_dt(model_mod)
    noc_fn = InteractiveEvaluator.compute_noc

    def compute_noc(self):
        res = noc_fn(self)
        log["official_noc"] = {k: float(v) for k, v in res.items()}
        log["official_iou_lists"] = [[float(x) for x in t.cpu().numpy()] for t in self.iou_list]
        return res

    InteractiveEvaluator.compute_noc = compute_noc
    # The evaluator embeds the 21 VOC names with 80 templates each (~2 min on CPU); spatial
    # masks do not read class embeddings, so it embeds the first name only.
    from modeling.language.vlpencoder import LanguageEncoder

    emb = LanguageEncoder.get_text_embeddings

    def one_class(self, class_names, *a, **k):
        return emb(self, list(class_names)[:1], *a, **k)

    LanguageEncoder.get_text_embeddings = one_class
    import entry

    argv = ["evaluate", "--conf_files", str(cfg),
            "--config_overrides", json.dumps({"DATASETS.TEST": ["pascalvoc_val_Point"]}),
            "--overrides", "WEIGHT", "true", "RESUME_FROM", str(ckpt),
            "VOC.INPUT.MIN_SIZE_TEST", str(args.min_size), "VOC.INPUT.MAX_SIZE_TEST", str(args.max_size),
            "VOC.TEST.BATCH_SIZE_TOTAL", "1", "STROKE_SAMPLER.EVAL.MAX_ITER", str(args.rounds),
            "SAVE_DIR", str(Path(args.out).parent / "official_out"), "FP16", "false"]
    try:
        entry.main(argv)
    finally:
        LanguageEncoder.get_text_embeddings = emb
    log["official"] = entries
    del torch


def _per_object(calls: list[tuple]) -> list[list[dict]]:
    """Per object, in order: the digests of its prompt masks at each decode of its batch."""
    out: list[list[dict]] = []
    for pos, neg, first in calls:
        if first:
            base = len(out)
            out.extend([] for _ in range(pos.shape[0]))
        for j in range(pos.shape[0]):
            out[base + j].append({"pos": _digest(pos[j]), "neg": _digest(neg[j])})
    return out


def run_seem_bench(args: argparse.Namespace, ckpt: Path, log: dict) -> None:
    import numpy as np
    from PIL import Image

    from baselines.seem import SeemFocalT
    from seem_bench.data.voc import load_pascalvoc
    from seem_bench.loops.seem_official import run_sample
    from seem_bench.prompts import PROTOCOLS
    from seem_bench.prompts.seem_official import grid_gt

    adapter = SeemFocalT(seem_root=args.seem_root, checkpoint=str(ckpt), device="cpu",
                         min_size=args.min_size, max_size=args.max_size, seed=args.seed)
    calls: list[tuple] = []
    decode_grid = adapter.decode_grid

    def recording(state, pos, neg, memory=None):
        calls.append((pos.copy(), neg.copy(), memory is None))  # no memory: a batch's first round
        return decode_grid(state, pos, neg, memory)

    adapter.decode_grid = recording
    proto = PROTOCOLS.get("seem-official")
    ds = load_pascalvoc(Path(args.data) / "PascalVOC", "val")
    samples = []
    for sample in ds.samples:
        image = sample.image()
        pil = np.asarray(Image.open(sample.image_path).convert("RGB"))
        state = adapter.encode(image)
        start = len(calls)
        recs = run_sample(adapter, state, sample, list(sample.instances), proto,
                          {**proto.params, "max_rounds": args.rounds}, args.seed)
        _, net_hw, _ = adapter.grid_shapes(state)
        grids = [grid_gt(inst.mask(), net_hw) for inst in sample.instances]
        samples.append({
            "file": sample.sample_id, "decode_equal_pil": bool(np.array_equal(image, pil)),
            "objects": [int(r["instance_id"]) for r in recs],
            "gt": [_digest(g) for g in grids], "gt_area": [int(g.sum()) for g in grids],
            "orig_area": [int(inst.mask().sum()) for inst in sample.instances],
            "ious": [[float(v) for v in r["ious"]] for r in recs],
            "clicks": [[rd["prompt"].get("grid_click") for rd in r["rounds"]] for r in recs],
            "prompts": _per_object(calls[start:])})
    log["seem_bench"] = samples


def run_rules(args: argparse.Namespace, log: dict) -> None:
    """Synthetic logits through SEEM's click code and seem-bench's rules, several rounds each."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    from datasets.visual_sampler.simpleclick_sampler import SimpleClickSampler
    from modeling.architectures.seem_model_v1 import GeneralizedSEEM

    from baselines.seem import resized_hw, to_grid
    from seem_bench.loops.interactive import seem_keep_iou
    from seem_bench.prompts.clicks import seem_click
    from seem_bench.prompts.seem_official import (
        add_blob,
        first_blob,
        first_grid_click,
        grid_gt,
        grid_predictions,
        next_grid_click,
        pad_grid,
    )

    rng = np.random.default_rng(args.seed)
    fake = types.SimpleNamespace(size_divisibility=32, dilation=3,
                                 dilation_kernel=torch.ones((1, 1, 3, 3)))
    cases = []
    for _ in range(args.cases):
        h, w = int(rng.integers(40, 90)), int(rng.integers(40, 90))
        net = resized_hw(h, w, args.min_size, args.max_size)
        pad = tuple(-(-v // 32) * 32 for v in net)
        n = int(rng.integers(1, 6))
        yy, xx = np.mgrid[:h, :w]
        gts = []
        for _ in range(n):  # ellipses of random size and place
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            ry, rx = rng.uniform(3, h / 2), rng.uniform(3, w / 2)
            gts.append(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1)
        grid = np.stack([grid_gt(g, net) for g in gts])
        # SEEM's first click
        inst = types.SimpleNamespace(gt_masks=types.SimpleNamespace(tensor=torch.from_numpy(grid)))
        first = SimpleClickSampler.forward_point(fake, inst)["rand_shape"][:, 0]
        off_pos = [pad_grid(m, pad) for m in first.numpy()]
        ours = [first_blob(g, first_grid_click(g), pad) for g in grid]
        record = {"hw": [h, w], "net": list(net), "n": n, "first_equal": bool(
            all(np.array_equal(a, b) for a, b in zip(off_pos, ours, strict=True)))}
        pos_off = torch.from_numpy(np.stack(off_pos))
        neg_off = torch.zeros_like(pos_off)
        pos_us, neg_us = np.stack(ours), np.zeros_like(np.stack(ours))
        gt_pad = np.stack([pad_grid(g, pad) for g in grid])
        plain_clicks = [[] for _ in range(n)]
        rounds = []
        for _ in range(args.rule_rounds):
            # smooth random logits at 1/4 of the padded grid, biased towards the objects
            low = rng.normal(0, 2, (1, n, pad[0] // 4, pad[1] // 4)).astype(np.float32)
            obj = F.interpolate(torch.from_numpy(gt_pad[None].astype(np.float32)), scale_factor=0.25,
                                mode="area").numpy()
            logits = torch.from_numpy(low + 6 * (obj - 0.5) * rng.uniform(0.3, 1.5))
            prep_out = GeneralizedSEEM.prepare_next_spaital_mask(
                fake, {"prev_mask": logits, "spatial_query_pos_mask": [pos_off],
                       "spatial_query_neg_mask": [neg_off]},
                [{"spatial_query": {"gt_masks": torch.from_numpy(grid)}}], mode="best")
            pos_off, neg_off = prep_out["spatial_query_pos_mask"][0], prep_out["spatial_query_neg_mask"][0]
            pred_grid, pred_orig = grid_predictions(logits, pad, net, (h, w))
            clicks_us, plain = [], []
            for i in range(n):
                if seem_keep_iou(gt_pad[i], pred_grid[i]) >= np.float32(0.925):
                    clicks_us.append(None)
                else:
                    c = next_grid_click(gt_pad[i], pred_grid[i], pos_us[i] | neg_us[i])
                    add_blob(pos_us[i], neg_us[i], c)
                    clicks_us.append(c.to_json())
                # plain `seem`: the same rule at the original size, mapped to the grid after
                pc = seem_click(gts[i], pred_orig[i], None, plain_clicks[i], blob_radius=1)
                plain_clicks[i].append(pc)
                gx, gy = to_grid(pc.x, pc.y, (h, w), net)
                plain.append([gx, gy, pc.positive])
            rounds.append({
                "equal": bool(np.array_equal(pos_off.numpy(), pos_us) and np.array_equal(neg_off.numpy(), neg_us)),
                "ours": clicks_us, "plain_on_grid": plain})
        record["rounds"] = rounds
        cases.append(record)
    log["rules"] = cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("evaluate", "rules"))
    ap.add_argument("--seem-root", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data")
    ap.add_argument("--ckpt")
    ap.add_argument("--min-size", type=int, default=64)
    ap.add_argument("--max-size", type=int, default=96)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--rule-rounds", type=int, default=4)
    args = ap.parse_args()
    seem_root = Path(args.seem_root).resolve()
    setup(seem_root, Path(args.repo).resolve(), Path(args.data).resolve() if args.data else None)
    log: dict = {}
    cfg = seem_root / "configs" / "seem" / "focalt_unicl_lang_v1.yaml"
    if args.mode == "rules":
        run_rules(args, log)
    else:
        _patch_common(args.seed, log)
        ckpt = Path(args.ckpt)
        if not ckpt.is_file():
            random_checkpoint(cfg, ckpt, args.seed)
        run_official(args, cfg, ckpt, log)
        run_seem_bench(args, ckpt, log)
        if args.cases:
            run_rules(args, log)
    Path(args.out).write_text(json.dumps(log))


if __name__ == "__main__":
    main()

"""Runs real SEEM (random weights, CPU) inside the SEEM environment for test_seem_real.py.

Started by the test with the environment's python; loads this checkout's seem-bench the way the
bridge does (`seem_bench.adapters.bridge_launch`), so every run here is in-process. One process
for all cases: SEEM and torch are imported once. Writes a JSON of observations to argv[1]; the
test asserts on them (nothing is judged here).
"""

import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path


def _load_seem_bench():
    spec = importlib.util.spec_from_file_location("bridge_launch", os.environ["SB_LAUNCHER"])
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    packages = json.loads(os.environ["SB_PACKAGES"])
    for name in sorted(packages, key=lambda n: n.count(".")):
        launcher.load_package(name, packages[name])


def main(out_path, work, demo_root):
    import numpy as np
    import torch
    from seem_bench.baselines import seem as seem_mod

    from seem_bench.adapters.base import DecodeRequest
    from seem_bench.adapters.registry import build_model
    from seem_bench.prompts.types import Box, Click, Prompts, Scribble
    from seem_bench.runner import RunConfig, run
    from seem_bench.tasks import get_task

    torch.set_num_threads(2)
    t_start = time.perf_counter()
    work = Path(work)
    opts = {"checkpoint": "random", "device": "cpu", "min_size": "240", "max_size": "320", "seed": "0"}
    obs = {"errors": {}, "demo_root": str(demo_root), "demo_cache": os.environ.get("SEEM_BENCH_CACHE", "")}

    encodes = []
    original_encode = seem_mod.SeemAdapter.encode

    def counted(self, image):
        encodes.append(image.shape)
        return original_encode(self, image)

    seem_mod.SeemAdapter.encode = counted

    # One model per (name, options) for the whole driver: building is covered by the first run;
    # every later run reuses it (the runner still wraps it, feature cache included).
    built = {}
    original_create = seem_mod.SeemAdapter.create.__func__

    def create_once(cls, **options):
        key = (cls.name, tuple(sorted((k, str(v)) for k, v in options.items())))
        if key not in built:
            built[key] = original_create(cls, **options)
        return built[key]

    seem_mod.SeemAdapter.create = classmethod(create_once)

    def do_run(label, task, overrides, limit, model="seem_t", feature_cache=None, **extra_opts):
        encodes.clear()
        cfg = RunConfig(task=get_task(task).with_overrides(overrides), model=model,
                        model_options={**opts, **extra_opts}, data_root=Path(demo_root),
                        out_dir=work / label, limit=limit, feature_cache=feature_cache, progress=False)
        t0 = time.perf_counter()
        try:
            summary = run(cfg)
        except Exception as e:  # recorded for the test to report
            obs["errors"][label] = f"{type(e).__name__}: {e}"
            return
        finally:
            print(f"[seem_driver] {label}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        obs[label] = {"dir": str(work / label), "encodes": len(encodes), "counts": summary["counts"],
                      "metrics": summary.get("metrics", {})}

    interactive = ["protocol=seem", "max_rounds=3"]
    do_run("clicks_memory_on", "interactive", [*interactive, "memory=on"], 2)
    cache = work / "feature-cache"
    do_run("cache_fill", "interactive", [*interactive, "memory=on"], 1, feature_cache=cache)
    do_run("cache_hit", "interactive", [*interactive, "memory=on"], 1, feature_cache=cache)
    obs["cache_files"] = sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())
    # The other GrabCut runs read the cached encoding (one encode per image is checked above).
    do_run("clicks_memory_off", "interactive", ["protocol=seem", "max_rounds=2", "memory=off"], 1,
           feature_cache=cache)
    for first in ("box", "scribble", "polygon"):
        do_run(f"first_{first}", "interactive", ["protocol=seem", "max_rounds=1", f"first_prompt={first}"], 1,
               feature_cache=cache)
    do_run("referring", "referring", ["sentences=first-sentence"], 1)
    do_run("composed", "composed", ["protocol=seem", "max_rounds=1"], 1)
    do_run("generic", "generic", [], 2, class_embeddings="plain")
    do_run("ref_image_v0", "ref-image", [], 1, model="seem_t_v0")
    # DAVIS16-Interactive (seem-paper's davis16i cell): scribbles on the first frame, then references.
    do_run("davis16_scribble_v0", "vos", ["dataset=davis2016", "reference=scribble"], 1, model="seem_t_v0")

    # Adapter-level checks on one model.
    adapter = build_model("seem_t", **opts)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    state = adapter.encode(image)
    p1 = Prompts(clicks=[Click(160, 120, True)], click_radius=1)
    first = adapter.decode(state, p1)
    p2 = Prompts(clicks=[Click(160, 120, True), Click(40, 30, False)], click_radius=1)
    with_memory = adapter.decode(state, p2, first.memory)
    without_memory = adapter.decode(state, p2, None)
    obs["memory_changed_pixels"] = int(np.sum(with_memory.mask != without_memory.mask))
    obs["memory_off_repeatable"] = bool(np.array_equal(adapter.decode(state, p2, None).mask, without_memory.mask))
    prompts_all = [p1, Prompts(box=Box(50, 40, 200, 180)),
                   Prompts(scribbles=[Scribble(np.array([[60.0, 60.0], [120.0, 90.0]]), True)], click_radius=1)]
    plain = [adapter.decode(state, p).mask for p in prompts_all]
    adapter.class_embeddings = "templated"
    adapter.set_class_embeddings(["disc"])  # templated: one embedding from 80 prompts per class
    obs["templated_embedding_rows"] = int(adapter.lang.default_text_embeddings.shape[0])
    templated = [adapter.decode(state, p).mask for p in prompts_all]
    obs["spatial_equal_with_templated_embeddings"] = [bool(np.array_equal(a, b)) for a, b in zip(plain, templated, strict=True)]
    obs["spatial_mask_fraction"] = [float(m.mean()) for m in plain]

    # Generic: the adapter's panoptic output against SEEM's own `evaluate` on the same input.
    cats = [{"id": 1, "name": "disc", "isthing": 1}, {"id": 6, "name": "sky", "isthing": 0},
            {"id": 7, "name": "ground", "isthing": 0}]
    adapter.class_embeddings = "plain"
    adapter.set_categories(cats)
    pred = adapter.decode(state, Prompts())
    ids, segs = pred.extra["panoptic"]
    resized = np.asarray(adapter._resize(__import__("PIL.Image", fromlist=["Image"]).fromarray(image)))
    x = torch.from_numpy(resized.copy()).permute(2, 0, 1)
    with torch.no_grad():
        official = adapter.model.evaluate([{"image": x, "height": 240, "width": 320}])[0]
    off_ids, off_segs = official["panoptic_seg"]
    to_id = {i: c["id"] for i, c in enumerate(sorted(cats, key=lambda c: c["id"]))}
    obs["generic_vs_evaluate"] = {
        "panoptic_equal": bool(np.array_equal(ids, off_ids.cpu().numpy())),
        "segments_equal": [(s["id"], s["category_id"]) for s in segs]
        == [(s["id"], to_id[s["category_id"]]) for s in off_segs],
        "semantic_equal": bool(np.array_equal(pred.extra["semantic"],
                                              official["sem_seg"].argmax(0).cpu().numpy())),
        "instances": len(pred.extra["instances"]), "official_instances": len(official["instances"]),
        "segments": len(segs)}
    obs["fingerprint"] = adapter.fingerprint()

    # Generic with SEEM's COCO preprocessing (preprocess=seem-official: COCO.INPUT 800/1333, detectron2
    # ResizeShortestEdge) against what SEEM's COCO evaluation feeds `evaluate`: detectron2's
    # DatasetMapper(is_train=False) built from the COCO section as build.py's _test_loader_from_config.
    try:
        from detectron2.config import CfgNode
        from detectron2.data import DatasetMapper
        from seem_bench.baselines.seem import shortest_edge_resize

        from seem_bench.data.io import read_rgb

        coco_img = sorted((Path(demo_root) / "coco" / "val2017").glob("*.jpg"))[0]
        # The mode's own sizes are COCO.INPUT's (800/1333); the comparison runs at 288/384 to stay
        # quick on CPU (the mapper gets the same sizes).
        a3 = build_model("seem_t", checkpoint="random", device="cpu", seed="0", preprocess="seem-official")
        obs["generic_coco_sizes"] = [a3.input, a3.min_size, a3.max_size]
        del a3
        a2 = build_model("seem_t", checkpoint="random", device="cpu", seed="0", preprocess="seem-official",
                         class_embeddings="plain", min_size="288", max_size="384")
        a2.set_categories(cats)
        img = read_rgb(coco_img)
        st = a2.encode(img)
        p2 = a2.decode(st, Prompts())
        ids2, segs2 = p2.extra["panoptic"]
        cfg = dict(a2.opt)
        cfg.update(cfg["COCO"])  # build.py get_config_from_name: the same shallow update
        cfg["INPUT"] = {**cfg["INPUT"], "MIN_SIZE_TEST": 288, "MAX_SIZE_TEST": 384}
        mapper = DatasetMapper(CfgNode({"INPUT": cfg["INPUT"], "MODEL": cfg["MODEL"], "DATASETS": cfg["DATASETS"]}),
                               False)
        mapped = mapper({"file_name": str(coco_img), "height": img.shape[0], "width": img.shape[1], "image_id": 1})
        net = shortest_edge_resize(img, 288, 384)[0]
        with torch.no_grad():
            off2 = a2.model.evaluate([mapped])[0]
        off_ids2, off_segs2 = off2["panoptic_seg"]
        obs["generic_coco_mapper"] = {
            "net_hw": list(st["net_hw"]), "mapper_hw": list(mapped["image"].shape[-2:]),
            "input_equal": bool(np.array_equal(net, mapped["image"].permute(1, 2, 0).numpy())),
            "panoptic_equal": bool(np.array_equal(ids2, off_ids2.cpu().numpy())),
            "segments_equal": [(s["id"], s["category_id"]) for s in segs2]
            == [(s["id"], to_id[s["category_id"]]) for s in off_segs2],
            "semantic_equal": bool(np.array_equal(p2.extra["semantic"], off2["sem_seg"].argmax(0).cpu().numpy())),
            "instances": len(p2.extra["instances"]), "official_instances": len(off2["instances"]),
            "fingerprint_preprocess": a2.fingerprint().get("preprocess")}
    except Exception:
        obs["errors"]["generic_coco_mapper"] = traceback.format_exc()[-3000:]
    obs["timing_s"] = {"total": round(time.perf_counter() - t_start, 1)}

    # Native decode_batch (issue 23): 1 COCO image with 3 objects, 2 rounds, the image's objects in
    # one spatial decode per round (spatial_batch=5, SEEM's evaluator batching) vs the default,
    # one decode per object. Set on the shared adapter (the runs reuse it; a model option would
    # build a second model).
    coco = ["dataset=coco_instances", "split=val2017", "protocol=seem", "max_rounds=2", "memory=on"]
    batch_sizes = []
    spatial_batch = seem_mod.SeemAdapter._decode_spatial_batch

    def counted_batch(self, state, prompts, memories):
        batch_sizes.append(len(prompts))
        return spatial_batch(self, state, prompts, memories)

    seem_mod.SeemAdapter._decode_spatial_batch = counted_batch
    do_run("batch_per_object", "interactive", coco, 1, feature_cache=work / "feature-cache-coco")
    obs["batch_per_object_sizes"] = list(batch_sizes)
    adapter.spatial_batch = 5
    t0 = time.perf_counter()
    do_run("batch_native", "interactive", coco, 1, feature_cache=work / "feature-cache-coco")
    obs["batch_native_s"] = round(time.perf_counter() - t0, 2)
    adapter.spatial_batch = 1
    obs["batch_native_sizes"] = batch_sizes[len(obs["batch_per_object_sizes"]):]
    seem_mod.SeemAdapter._decode_spatial_batch = spatial_batch
    # The same prompt three times in one batch: SEEM's batch couples its objects (shared memory
    # tokens), which is why spatial_batch is off by default.
    same = adapter.decode_batch([DecodeRequest(state, p1)] * 3)
    adapter.spatial_batch = 5
    coupled = adapter.decode_batch([DecodeRequest(state, p1)] * 3)
    adapter.spatial_batch = 1
    obs["batch_same_prompt_flips"] = [int(np.sum(a.mask != b.mask)) for a, b in zip(same, coupled, strict=True)]

    # SEEM SAM-ViT-B: builds (LOAD_PRETRAINED off, deformable attention fallback) and decodes once.
    try:
        b = build_model("seem_b", **opts)
        sb = b.encode(image)
        mb = b.decode(sb, p1)
        obs["seem_b"] = {"mask_shape": list(mb.mask.shape), "pad_hw": list(sb["pad_hw"])}
    except Exception:
        obs["errors"]["seem_b"] = traceback.format_exc()[-2000:]
    Path(out_path).write_text(json.dumps(obs, indent=1, default=str))


if __name__ == "__main__":
    _load_seem_bench()
    main(*sys.argv[1:4])

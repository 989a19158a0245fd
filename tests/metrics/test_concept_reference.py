"""cgF1 / IL_MCC / pmF1 equal Meta's ``sam3/eval/cgf1_eval.py`` (``pip install --no-deps sam3``).

Each case writes an SA-Co/Gold-layout dataset (images, 1 or 3 annotator JSONs) and a COCO
predictions file; the reference evaluates the files, seem-bench loads the same files with its
``saco_gold`` loader, runs the ``concept`` loop with a model that replays the predictions, and
reduces the records with the ``concept`` evaluator. Random cases plus the edge cases: all-negative
pairs, no predictions at all, crowd-only GT, everything below the score threshold, duplicate
masks (matching ties), pairs not exhaustively annotated, one annotator only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.data.saco import load_saco_gold
from seem_bench.loops.base import Encoder
from seem_bench.loops.concept import ConceptKind
from seem_bench.metrics.concept import ConceptEvaluator
from seem_bench.tasks import TaskSpec

H, W = 20, 28
#: reference key (``cgF1_eval_segm_<name>``) -> seem-bench key
KEYS = {"cgF1": "cgF1", "IL_MCC": "IL_MCC", "positive_micro_F1": "pmF1", "cgF1@0.5": "cgF1@50",
        "cgF1@0.75": "cgF1@75", "positive_micro_F1@0.5": "pmF1@50", "positive_macro_F1": "macroF1",
        "IL_F1": "IL_F1", "IL_precision": "IL_precision", "IL_recall": "IL_recall", "IL_FPR": "IL_FPR",
        "precision": "precision", "recall": "recall", "F1": "F1"}


def _reference():
    spec = importlib.util.find_spec("sam3")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("sam3 not installed (pip install --no-deps sam3)")
    path = Path(list(spec.submodule_search_locations)[0]) / "eval" / "cgf1_eval.py"
    mod_spec = importlib.util.spec_from_file_location("sam3_cgf1_eval_reference", path)
    mod = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(mod)  # its imports: numpy, pycocotools, scipy, tqdm
    return mod


def _rle(m: np.ndarray) -> dict:
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    return {"size": r["size"], "counts": r["counts"].decode("ascii")}


def _blob(rng: np.random.Generator) -> np.ndarray:
    m = np.zeros((H, W), np.uint8)
    cx, cy = int(rng.integers(2, W - 2)), int(rng.integers(2, H - 2))
    cv2.ellipse(m, (cx, cy), (int(rng.integers(2, 9)), int(rng.integers(2, 7))), float(rng.uniform(0, 180)),
                0, 360, 1, -1)
    return m.astype(bool)


def _jitter(rng: np.random.Generator, m: np.ndarray) -> np.ndarray:
    out = np.roll(m, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), axis=(0, 1))
    if rng.random() < 0.3:
        out = cv2.dilate(out.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return out


class Replay(Adapter):
    """Returns the predictions file's entries of the pair whose phrase is the prompt."""

    name = "replay"
    capabilities = Capabilities(tasks={"concept"}, prompts={"text"})

    def __init__(self, by_text: dict[str, list[dict]]) -> None:
        super().__init__()
        self.by_text = by_text

    def encode(self, image):
        return image.shape[:2]

    def decode(self, state, prompts, memory=None):
        return Prediction(extra={"instances": [
            {"mask": mask_utils.decode(p["segmentation"]).astype(bool), "score": p["score"]}
            for p in self.by_text.get(prompts.text, [])]})


def _case(rng: np.random.Generator, root: Path, n_versions: int, kind: str) -> tuple[list[Path], Path, dict]:
    """Writes the dataset and predictions; returns (GT files, predictions file, replay table)."""
    n_files = int(rng.integers(1, 5))
    img_dir = root / "images"
    img_dir.mkdir(parents=True)
    for f in range(n_files):
        cv2.imwrite(str(img_dir / f"im{f}.png"), rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
    n_pairs = int(rng.integers(3, 14))
    pairs = [{"id": 100 + i, "file_name": f"im{int(rng.integers(n_files))}.png", "text_input": f"thing {i}",
              "height": H, "width": W} for i in range(n_pairs)]
    versions: list[list[dict]] = [[] for _ in range(n_versions)]
    preds, by_text, aid = [], {}, 1
    for p in pairs:
        base = [] if (kind == "negatives" or rng.random() < 0.6) else [_blob(rng) for _ in range(rng.integers(1, 5))]
        for v in range(n_versions):
            gt = [m if rng.random() < 0.85 else _jitter(rng, m) for m in base]
            if v and rng.random() < 0.2:  # an annotator who saw one instance fewer
                gt = gt[:-1]
            for m in gt:
                crowd = kind == "crowd" or rng.random() < 0.12
                versions[v].append({"id": aid, "image_id": p["id"], "category_id": 1, "segmentation": _rle(m),
                                    "area": float(m.sum()), "bbox": list(mask_utils.toBbox(_rle(m))),
                                    "iscrowd": int(crowd)})
                aid += 1
        if kind == "no-preds":
            continue
        masks = [m if rng.random() < 0.4 else _jitter(rng, m) for m in base if rng.random() < 0.8] + [_blob(rng) for _ in range(rng.integers(0, 3))]
        if kind == "ties" and masks:
            masks = masks + [masks[0]] * int(rng.integers(1, 3))
        for m in masks:
            score = float(rng.uniform(0, 0.49)) if kind == "low-scores" else float(rng.choice([rng.random(), 0.5]))
            # with a bbox, as SAM 3 writes them (without one, the reference's loadRes puts a numpy
            # bbox into the shared dict and fails on the second annotator's file)
            preds.append({"image_id": p["id"], "category_id": 1, "segmentation": _rle(m), "score": score,
                          "bbox": [float(v) for v in mask_utils.toBbox(_rle(m))]})
            by_text.setdefault(p["text_input"], []).append(preds[-1])
    files = []
    for v in range(n_versions):
        images = [{**p, "is_instance_exhaustive": bool(rng.random() > 0.1)} for p in pairs]
        data = {"images": images, "annotations": versions[v], "categories": [{"id": 1, "name": "object"}]}
        files.append(root / f"gold_case_merged_{'abc'[v]}_release_test.json")
        files[-1].write_text(json.dumps(data))
    pred_file = root / "preds.json"
    pred_file.write_text(json.dumps(preds))
    return files, pred_file, by_text


def _ours(root: Path, by_text: dict) -> dict:
    ds = load_saco_gold(root, "case")
    kind, model = ConceptKind(), Replay(by_text)
    task = TaskSpec(name="concept", kind="concept", dataset="saco_gold", split="case",
                    params={"score_thr": 0.5, "seed": 0})
    ev = ConceptEvaluator({})
    for sample in ds.samples:
        for rec in kind.run_sample(model, Encoder(model), sample, task, 0):
            ev.update(json.loads(json.dumps(rec)))  # as read back from records.jsonl
    return ev.compute()


def _same(ref: float, ours: float, key: str) -> bool:
    if ref == -1 and math.isnan(ours):  # the reference prints -1 for an undefined mean
        return True
    if key in ("positive_macro_F1",):  # a float sum: the reference adds in pair order, we exactly
        return math.isclose(ref, ours, rel_tol=1e-12, abs_tol=1e-15)
    return ref == ours


CASES = [("random", 3)] * 16 + [("random", 1)] * 4 + [
    ("negatives", 3), ("no-preds", 3), ("crowd", 3), ("low-scores", 3), ("ties", 3), ("ties", 1), ("negatives", 1)]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_concept_metrics_equal_sam3_cgf1_eval(tmp_path, i):
    ref_mod = _reference()
    kind, n_versions = CASES[i]
    rng = np.random.default_rng(1000 + i)
    files, pred_file, by_text = _case(rng, tmp_path, n_versions, kind)
    with contextlib.redirect_stdout(io.StringIO()):
        ref = ref_mod.CGF1Evaluator([str(f) for f in files], iou_type="segm").evaluate(str(pred_file))
    ours = _ours(tmp_path, by_text)
    for ref_key, key in KEYS.items():
        r = ref[f"cgF1_eval_segm_{ref_key}"]
        assert _same(r, ours[key], ref_key), (kind, ref_key, r, ours[key])
    if kind == "negatives":
        assert ours["negative_pairs"] == ours["pairs"] > 0


def test_concept_loader_refuses_a_malformed_file(tmp_path):
    from seem_bench.errors import DataError

    pair = {"id": 1, "file_name": "a.jpg", "height": 4, "width": 4}  # no text_input: no phrase
    (tmp_path / "gold_x_merged_a_test.json").write_text(json.dumps({"images": [pair], "annotations": []}))
    with pytest.raises(DataError, match="gold_x_merged_a_test.json.*text_input"):
        load_saco_gold(tmp_path, "x")
    with pytest.raises(DataError, match="no SA-Co gold annotations for subset 'y'"):
        load_saco_gold(tmp_path, "y")

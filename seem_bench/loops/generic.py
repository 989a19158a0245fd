"""The ``generic`` task kind: promptless panoptic / instance / semantic segmentation (COCO).

One decode per image with no prompt. The adapter returns, in ``Prediction.extra``:

- ``"panoptic"``: ``(ids int (H, W), [{"id", "category_id"}, ...])`` (0 = VOID);
- ``"instances"`` (optional): ``[{"mask": bool (H, W), "category_id", "score"}, ...]``;
- ``"semantic"`` (optional): contiguous class map ``int`` (H, W) (index = rank of the category
  id, MaskFormer's 133-class COCO order). Without it, semantic is derived from the panoptic
  prediction (each segment painted with its category's index), as SEEM's demo does; pixels the
  panoptic prediction leaves VOID go to the confusion matrix's extra column K, which
  detectron2's metrics leave out (its argmax outputs never produce it), so such pixels count
  neither for nor against a class: models should return ``"semantic"`` for paper numbers.

Per-image records hold exactly what the exact aggregates need: PQ statistics per category
(`seem_bench.metrics.panoptic.pq_image`), the non-zero cells of the semantic confusion matrix
and the detections as COCO RLE. The task's evaluators (``panoptic``, ``semantic``, ``coco-ap``)
sum PQ stats and the confusion matrix, and evaluate AP against the dataset's
``instances_<split>.json`` (COCO's own instance GT; panoptic masks are not the instance GT),
re-read from the run's dataset root and checked against the recorded sha256.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter
from seem_bench.data.coco import ann_to_mask, annotations_by_image, contiguous_ids, instances_json
from seem_bench.data.fingerprint import sha256_file
from seem_bench.data.types import Dataset, Sample
from seem_bench.errors import DataError, UsageError
from seem_bench.loops.base import Encoder, TaskKind
from seem_bench.metrics.detection import encode_mask
from seem_bench.metrics.panoptic import pq_image
from seem_bench.metrics.semantic import panoptic_to_semantic, sparse_confusion
from seem_bench.prompts.types import Prompts
from seem_bench.tasks import TaskSpec


class GenericKind(TaskKind):
    name = "generic"

    def __init__(self) -> None:
        self.categories: dict[int, dict] = {}
        self.to_class: dict[int, int] = {}
        self.instances_path: Path | None = None
        self._gt_instances: dict[int, list[dict]] | None = None

    def prompt_kinds(self, task: TaskSpec) -> set[str]:
        return {"none"}

    def bind(self, dataset: Dataset) -> None:
        if not dataset.categories:
            raise UsageError(f"dataset {dataset.name!r} has no categories: the generic task needs COCO panoptic")
        self.categories = dataset.categories
        self.to_class = contiguous_ids(dataset.categories)
        path = instances_json(dataset.root, dataset.split)
        self.instances_path = path if path.is_file() else None

    def dataset_header(self, dataset: Dataset) -> dict[str, Any]:
        cats = [{"id": cid, **{k: v for k, v in c.items() if k != "id"}} for cid, c in sorted(self.categories.items())]
        out: dict[str, Any] = {"categories": cats}
        if self.instances_path is not None:
            out["instances_json"] = str(self.instances_path)
            out["instances_sha256"] = sha256_file(self.instances_path)
        return out

    def _instance_gt(self, image_id: Any, h: int, w: int) -> list[dict]:
        """COCO instance GT of one image with decoded masks (only sanity oracles see this)."""
        if self.instances_path is None:
            return []
        if self._gt_instances is None:
            self._gt_instances = annotations_by_image(self.instances_path)
        return [{"category_id": a["category_id"], "iscrowd": a.get("iscrowd", 0),
                 "mask": ann_to_mask(a["segmentation"], h, w)}
                for a in self._gt_instances.get(int(image_id), [])]

    def units(self, sample: Sample, task: TaskSpec) -> list[str]:
        return ["image"]

    def run_sample(self, adapter: Adapter, encoder: Encoder, sample: Sample, task: TaskSpec,
                   seed: int) -> list[dict[str, Any]]:
        if "panoptic" not in sample.targets:
            raise DataError(sample.image_path or sample.sample_id, "no panoptic ground truth for the generic task")
        gt_ids, gt_segments = sample.targets["panoptic"]()
        adapter.set_categories([self.categories[c] | {"id": c} for c in sorted(self.categories)])
        state = encoder(sample.image())
        if adapter.uses_ground_truth:
            image_id = sample.meta.get("image_id", sample.sample_id)
            adapter.set_target({"panoptic": (gt_ids, gt_segments), "to_class": self.to_class,
                                "instances": self._instance_gt(image_id, sample.height, sample.width)})
        t0 = time.perf_counter()
        out = adapter.decode(state, Prompts())
        dt = time.perf_counter() - t0
        if "panoptic" not in out.extra:
            raise ValueError("the model returned no panoptic prediction (Prediction.extra['panoptic'])")
        pred_ids, pred_segments = out.extra["panoptic"]
        stats = pq_image(gt_ids, gt_segments, np.asarray(pred_ids), pred_segments, set(self.categories),
                         where=f"image {sample.sample_id}")
        sem_gt = panoptic_to_semantic(gt_ids, gt_segments, self.to_class)
        sem_pred = out.extra.get("semantic")
        if sem_pred is None:
            sem_pred = panoptic_to_semantic(np.asarray(pred_ids), list(pred_segments), self.to_class)
        dets = [{"category_id": int(d["category_id"]), "score": float(d["score"]),
                 "segmentation": encode_mask(d["mask"])} for d in out.extra.get("instances", ())]
        return [{"unit": "image", "image_id": sample.meta.get("image_id", sample.sample_id),
                 "height": sample.height, "width": sample.width,
                 "pq": {str(c): list(v) for c, v in stats.items()},
                 "semseg": sparse_confusion(sem_gt, np.asarray(sem_pred), len(self.to_class)),
                 "detections": dets, "model_s": dt, "status": "ok"}]

    def default_evaluators(self, header: dict[str, Any]) -> list[str]:
        return ["panoptic", "semantic", "coco-ap"]

"""Metrics: pure functions plus streaming accumulators (``update`` / ``merge`` / ``compute``).

- `panoptic`: PQ/SQ/RQ, panopticapi semantics (in-memory accumulator; files via hotcoco or numpy).
- `detection`: COCO AP/AR segm and bbox, pycocotools semantics (hotcoco engine), per category.
- `semantic`: mIoU / fwIoU / mACC / pACC, detectron2 SemSegEvaluator rule.
- `referring`: cIoU / mIoU / prec@X and GRES gIoU / N-acc / T-acc.
- `interactive`: NoC / NoF / 1-IoU / mIoU@k / SPC (RITM).
- `davis`: DAVIS J&F (davis2017-evaluation) and DAVIS-interactive AUC, J&F@60s.
- `iou`: mask IoU with ignore pixels; `synthetic`: seeded random inputs for tests and benchmarks.

See docs/metrics.md for every rule and deviation.
"""

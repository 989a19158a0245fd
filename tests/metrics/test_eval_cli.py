"""``seem-bench eval pq|ap|semseg|davis``: one JSON object on stdout, one-line errors."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from seem_bench.cli import main
from seem_bench.data.synthetic import (
    coco_instances,
    davis_sequences,
    panoptic_images,
    write_davis,
    write_panoptic,
)
from seem_bench.metrics.davis import evaluate_davis
from seem_bench.metrics.detection import coco_evaluate
from seem_bench.metrics.panoptic import pq_compute
from seem_bench.metrics.semantic import evaluate_dirs


def run_json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object, nothing else on stdout
    return json.loads(out)


def test_eval_is_listed(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "eval" in capsys.readouterr().out


def test_pq(tmp_path, capsys):
    cats, pairs = panoptic_images(2, n_images=5)
    p = write_panoptic(tmp_path, cats, pairs)
    argv = ["eval", "pq", "--gt-json", str(p["gt_json"]), "--gt-folder", str(p["gt_folder"]),
            "--pred-json", str(p["pred_json"]), "--pred-folder", str(p["pred_folder"]), "--json"]
    out = run_json(capsys, argv)
    ref = pq_compute(p["gt_json"], p["pred_json"], p["gt_folder"], p["pred_folder"], backend="numpy",
                     workers=1)
    assert set(out) == {"All", "Things", "Stuff", "per_class"}
    assert set(out["All"]) == {"pq", "sq", "rq", "n"}
    assert out["All"]["pq"] == pytest.approx(ref["All"]["pq"], abs=1e-12)
    assert out["per_class"] == {str(k): pytest.approx(v) for k, v in ref["per_class"].items()}
    numpy_out = run_json(capsys, argv + ["--backend", "numpy", "--workers", "1"])
    assert numpy_out["Things"] == pytest.approx(out["Things"], abs=1e-12)
    assert main(argv[:-1]) == 0 and "Things" in capsys.readouterr().out


def test_ap(tmp_path, capsys):
    gt, dt = coco_instances(3, n_images=6, iou_type="bbox")
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dt))
    out = run_json(capsys, ["eval", "ap", "--gt", str(tmp_path / "gt.json"), "--dt",
                            str(tmp_path / "dt.json"), "--iou-type", "bbox", "--json"])
    ref = coco_evaluate(gt, dt, "bbox")
    assert out["stats"] == ref["stats"] and len(out["stats"]) == 12
    assert set(out["per_category"]) == {str(c["id"]) for c in gt["categories"]}


def test_semseg(tmp_path, capsys):
    (tmp_path / "g").mkdir()
    (tmp_path / "p").mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        cv2.imwrite(str(tmp_path / "g" / f"{i}.png"), rng.integers(0, 3, (6, 7)).astype(np.uint8))
        cv2.imwrite(str(tmp_path / "p" / f"{i}.png"), rng.integers(0, 3, (6, 7)).astype(np.uint8))
    out = run_json(capsys, ["eval", "semseg", "--gt-dir", str(tmp_path / "g"), "--pred-dir",
                            str(tmp_path / "p"), "--num-classes", "4", "--json"])
    ref = evaluate_dirs(tmp_path / "g", tmp_path / "p", 4)
    assert out["mIoU"] == pytest.approx(ref["mIoU"], abs=1e-12)
    assert out["IoU"]["3"] is None  # class without GT: NaN -> null


def test_davis(tmp_path, capsys):
    write_davis(tmp_path / "D", tmp_path / "r", davis_sequences(4, n_sequences=2))
    out = run_json(capsys, ["eval", "davis", "--davis-root", str(tmp_path / "D"), "--results",
                            str(tmp_path / "r"), "--set", "val", "--workers", "1", "--json"])
    ref = evaluate_davis(tmp_path / "D", tmp_path / "r", workers=1)
    assert {"J&F-Mean", "J-Mean", "J-Recall", "J-Decay", "F-Mean", "F-Recall", "F-Decay",
            "per_object"} <= set(out)
    assert out["J&F-Mean"] == pytest.approx(ref["J&F-Mean"], abs=1e-12)


def test_errors_are_one_line(tmp_path, capsys):
    code = main(["eval", "ap", "--gt", str(tmp_path / "missing.json"), "--dt",
                 str(tmp_path / "x.json"), "--json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1 and "missing.json" in captured.err

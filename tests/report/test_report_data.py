"""The shipped reported numbers (SPEC §6) and the metric conventions tables rely on."""

from __future__ import annotations

import pytest

from seem_bench.errors import DataError
from seem_bench.report import metric_info as mi
from seem_bench.report.leaderboard import (
    _to_summary_units,
    load_reported,
    load_sources,
    read_csv_checked,
)


def value(df, model, dataset, metric):
    hit = df[(df.model == model) & (df.dataset == dataset) & (df.metric == metric)]
    assert len(hit) == 1, (model, dataset, metric)
    return float(hit.value.iloc[0])


def test_reported_rows_match_spec_section_6():
    rep = load_reported()
    # 8 README models x 8 numbers - X-Decoder's 2 VOC + DaViT-d3's 2 SBD; 5 x 4 FocSAM; 15 + 6 video;
    # 5 SA-Co cgF1 rows of the SAM 3 README; SAM 2.1 README: 4 sizes x 3 VOS sets; 8 RITM README + 1 SegNext.
    assert len(rep) == 64 + 20 + 21 + 5 + 12 + 8 + 1
    assert value(rep, "SAM 3", "saco_gold", "cgF1") == pytest.approx(0.539)
    assert set(rep.source) == {"reported"}
    # One cell of every row group of SPEC §6, in summary units (percent / 100; NoC as is).
    assert value(rep, "X-Decoder Focal-T", "coco_panoptic", "PQ") == pytest.approx(0.508)
    assert value(rep, "SEEM v0 DaViT-d3", "sbd", "NoC@90") == 9.23
    assert value(rep, "SEEM v1 SAM-ViT-B", "refcocog", "prec@0.5") == pytest.approx(0.693)
    assert value(rep, "SEEM v1 Focal-L", "pascalvoc", "NoC@85") == 2.66
    assert value(rep, "SEEM v1 Focal-T", "coco_panoptic", "mIoU") == pytest.approx(0.607)
    assert value(rep, "SimpleClick ViT-H", "davis345", "NoC@90") == 4.78
    assert value(rep, "RITM HRNet-32", "grabcut", "NoC@90") == 1.56
    assert value(rep, "SAM ViT-H", "sbd", "NoC@90") == 7.62
    assert value(rep, "SEEM-T", "davis2016", "F-Mean") == pytest.approx(0.664)
    assert value(rep, "SegGPT-L", "davis2017", "J&F-Mean") == pytest.approx(0.756)
    assert value(rep, "SAM 2.1 Hiera-L", "lvos", "J&F@1fr") == pytest.approx(0.806)
    assert not ((rep.model == "X-Decoder Focal-T") & (rep.dataset == "pascalvoc")).any()
    # Registry names link reported rows to the models seem-bench can run.
    ids = dict(zip(rep.model, rep.model_id, strict=True))
    assert ids["SEEM v1 Focal-T"] == "seem_t" and ids["SEEM v0 Focal-L"] == "seem_l_v0"


def test_every_reported_row_cites_a_source():
    rep = load_reported()
    sources = load_sources()
    assert set(rep.reference) == {"seem-readme", "focsam-noc90", "dinov-table3", "sam3-readme", "sam2-readme",
                                  "ritm-readme", "segnext-eval-sam"}
    assert set(rep.reference) <= set(sources)
    assert "github.com/UX-Decoder" in sources["seem-readme"]["url"]


def test_bad_leaderboard_data_names_the_file_and_row():
    text = "model,metric,value,unit\nA,PQ,50.8,percent\nB,PQ,fifty,percent\n"
    with pytest.raises(DataError, match=r"board\.csv: row 2: value 'fifty' is not a number"):
        read_csv_checked(text, "board.csv", ["model", "metric", "value", "unit"])
    with pytest.raises(DataError, match="board.csv: missing columns unit"):
        read_csv_checked("model,metric,value\nA,PQ,1\n", "board.csv", ["model", "metric", "value", "unit"])
    df = read_csv_checked("model,metric,value,unit\nA,NoC@90,4.1,percent\n", "b.csv", ["unit"])
    with pytest.raises(DataError, match="b.csv: row 1: metric NoC@90 has unit 'percent', expected clicks"):
        _to_summary_units(df, "b.csv")


@pytest.mark.parametrize(("metric", "lower", "fraction", "shown"), [
    ("NoC@90", True, False, "1.88"), ("NoF@85", True, False, "2"), ("NoF-legacy@90", True, False, "2"),
    ("SPC", True, False, "1.8750"), ("mIoU@5", False, True, "1.88"), ("1-IoU", False, True, "1.88"),
    ("PQ", False, True, "1.9"), ("prec@0.5", False, True, "1.9"), ("J&F-Mean", False, True, "1.9"),
    ("F-Decay", True, True, "1.9"), ("J-Decay", True, True, "1.9"), ("cIoU", False, True, "1.9"),
    ("pACC", False, True, "1.9"),
])
def test_metric_direction_scale_and_decimals(metric, lower, fraction, shown):
    # Declared by the evaluators (metric_specs), not guessed from the name. DAVIS Decay is the
    # drop of the score over time: lower is better, as the DAVIS benchmark tables mark it.
    assert mi.lower_is_better(metric) is lower
    assert mi.is_fraction(metric) is fraction
    assert mi.format_value(metric, 1.875) == shown
    assert mi.to_display(metric, 0.5) == (50.0 if fraction else 0.5)
    assert mi.format_value(metric, None) == "–"

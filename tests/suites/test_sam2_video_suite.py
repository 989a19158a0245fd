"""The sam2-video-interactive suite: the oracle on the demo DAVIS set (interactive cells, 100), and
SAM 2 with random weights on a small SA-V copy written here, printed beside the README's rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seem_bench.cli import main


def _write_sav(root: Path) -> None:
    base = root / "SA-V" / "sav_test"
    h, w = 48, 64
    rng = np.random.default_rng(0)
    for t in range(8):
        img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        m1 = np.zeros((h, w), bool)
        m1[5:20, 5 + 2 * t: 25 + 2 * t] = True
        m2 = np.zeros((h, w), bool)
        m2[28:44, 40:58] = True
        img[m1], img[m2] = (200, 40, 40), (40, 200, 40)
        p = base / "JPEGImages_24fps" / "sav_000001" / f"{t:05d}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(p)
        if t % 4 == 0 or t == 7:
            for obj, m in (("000", m1), ("001", m2)):
                q = base / "Annotations_6fps" / "sav_000001" / obj / f"{t:05d}.png"
                q.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(m.astype(np.uint8) * 255, mode="L").save(q)
    (base / "sav_test.txt").write_text("sav_000001\n")


def test_oracle_fills_the_interactive_tables_on_demo_data(demo_root, tmp_path, capsys):
    code = main(["suite", "run", "sam2-video-interactive", "--model", "oracle", "--data-root", str(demo_root),
                 "--cells", "davis17-offline,davis17-online", "--out", str(tmp_path / "s"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    mine = [line for line in out.splitlines() if line.startswith("| oracle")]
    assert len(mine) == 2  # the offline and the online table
    for row in mine:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2:] == ["100.0"] * 6


def test_sam2_random_weights_beside_the_reported_rows(tmp_path, capsys):
    pytest.importorskip("sam2", reason="sam2 not installed")
    _write_sav(tmp_path / "data")
    code = main(["suite", "run", "sam2-video-interactive", "--model", "sam2_t", "--checkpoint", "random",
                 "--device", "cpu", "--model-opt", "video_image_size=128", "--data-root", str(tmp_path / "data"),
                 "--cells", "sav-test", "--out", str(tmp_path / "s"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    vos = out[out.index("Semi-supervised VOS"):]
    rows = [line for line in vos.splitlines() if line.startswith("|")]
    reported = next(r for r in rows if r.startswith("| SAM 2.1 Hiera-T"))
    assert "reported (sam2-readme)" in reported and "76.5" in reported
    mine = next(r for r in rows if "reproduced, random weights" in r)
    delta = next(r for r in rows if "Δ vs SAM 2.1 Hiera-T" in r)
    value = float(mine.split("|")[3])
    assert float(delta.split("|")[3]) == pytest.approx(value - 76.5, abs=0.051)

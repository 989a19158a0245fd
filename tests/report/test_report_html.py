"""`seem-bench report`: one self-contained HTML file, rendered by headless Debian Chromium."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import numpy as np
from PIL import Image

from seem_bench.cli import main
from seem_bench.report.runs import load_summary

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian chromium is missing: run `scripts/bootstrap.sh --test`"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def test_report_is_self_contained(runs, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(runs["masked"]), str(runs["degraded"]), "-o", str(out),
                 "--samples", "demo_001"]) == 0
    text = out.read_text()
    # Nothing fetched from elsewhere: no scripts, stylesheets or remote images.
    assert not re.search(r"<script|<link|src=\"(?!data:)", text)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 2  # curves + qualitative panel
    for data in images:
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"))
        assert img.std() > 10
    for heading in ("Runs", "Parameters", "Paper tables", "All metrics", "mIoU vs number of clicks",
                    "Qualitative examples", "Lowest final IoU"):
        assert f">{heading}</h" in text


def test_report_renders_in_headless_chromium(runs, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(runs["base"]), "-o", str(out)]) == 0
    m = load_summary(runs["base"])["metrics"]
    dom = chromium(tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    cells = re.findall(r"<td>([^<]*)</td>", dom.stdout)
    # The browser parsed the tables: the run's numbers and the reported rows are table cells.
    assert f"{m['NoC@90']:.2f}" in cells and f"{100 * m['mIoU@5']:.2f}" in cells
    assert "1.88" in cells  # SAM ViT-H on GrabCut, reported
    assert "reported (focsam-noc90)" in re.findall(r"<th>([^<]*)</th>", dom.stdout)
    shot = tmp_path / "shot.png"
    res = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", out.as_uri())
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape == (1600, 1200)
    # Not blank: dark text on a light page, and many distinct grey levels (tables, plot).
    assert img.mean() > 180 and (img < 100).mean() > 0.005 and len(np.unique(img)) > 50


def test_failed_records_are_listed(runs, tmp_path):
    import json

    from seem_bench.runner import summarize

    run_dir = tmp_path / "failing"
    shutil.copytree(runs["base"], run_dir)
    path = run_dir / "records-rank0.jsonl"
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    recs[0] = {k: v for k, v in recs[0].items() if k not in ("rounds", "ious", "final_iou")}
    recs[0].update(status="error", error="RuntimeError: CUDA out of memory")
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    summarize(run_dir)
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "-o", str(out), "--no-reported"]) == 0
    text = out.read_text()
    assert "1 failed instance(s)" in text and "CUDA out of memory" in text
    assert "3 / 4" in text and "reported (" not in text

"""CLI start-up (issue 23): building the parser (``--help``) and the listing verbs import none of
the heavy libraries, not even numpy or OpenCV; their modules load them inside the verbs that need
them (`seem_bench.registry.LazyModule`, `LazyFunction`)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "scipy", "torch", "matplotlib", "numpy", "cv2", "PIL", "transformers")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_cli_and_help_pull_in_no_heavy_library():
    assert _loaded_after("import seem_bench.cli\nseem_bench.cli.build_parser()") == []


def test_tasks_and_models_verbs_pull_in_no_heavy_library():
    code = ("import contextlib, io\nfrom seem_bench.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['tasks']); main(['models'])")
    assert _loaded_after(code) == []


def test_lazy_numpy_is_the_real_module_once_used():
    code = ("import sys\nimport seem_bench.adapters.base as b\nassert 'numpy' not in sys.modules\n"
            "p = b.Prediction(mask=[[1, 0]])\nassert p.binary(0.5).tolist() == [[True, False]]\n"
            "import numpy\nassert b.np is numpy and 'numpy' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)

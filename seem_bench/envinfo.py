"""What the run ran on: package versions, git commit, device."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGES = ("seem-bench", "numpy", "opencv-python-headless", "scikit-image", "scipy", "torch",
             "pycocotools", "hotcoco", "segment-anything", "sam2")


def package_versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        res = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return res.stdout.strip() + ("-dirty" if dirty else "")


def device_info() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "machine": platform.machine()}
    # Only a model that uses torch has imported it; importing it just to ask costs ~0.5 GiB.
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                info["cuda"] = torch.cuda.get_device_name(0)
        except Exception:  # broken CUDA setup: the run itself may not need it
            pass
    return info


def environment() -> dict[str, Any]:
    return {"packages": package_versions(), "git_commit": git_commit(), "device": device_info()}

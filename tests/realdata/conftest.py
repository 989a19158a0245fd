"""Fixtures of the real-data tier: the published click sets and RITM's ``isegm`` from ``../shared``.

``../shared`` is the folder beside the checkout (CI lays a copy of it there); ``SEEM_BENCH_SHARED``
points elsewhere (a work tree whose parent has no ``shared/``). Without it the tests skip with
the reason, and under CI (``CI`` set) ``tests/conftest.py`` turns that skip into a failure.
"""

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ISEGM_TARBALL = "ritm-isegm-b9b4460.tar.gz"
#: isegm's import-time dependencies that seem-bench itself does not need, installed apart by
#: ``scripts/bootstrap.sh --test`` (albumentations 1.3.1 + qudida for ``isegm.data``,
#: tensorboard + protobuf for ``isegm.utils.log``).
ISEGM_DEPS = Path(sys.prefix) / "ref" / "isegm-deps"


def shared_dir() -> Path:
    env = os.environ.get("SEEM_BENCH_SHARED")
    return Path(env) if env else ROOT.parent / "shared"


@pytest.fixture(scope="session")
def interactive_data() -> Path:
    """``shared/data/interactive``: real GrabCut (``GrabCut/``) and DAVIS-345 (``DAVIS/``)."""
    d = shared_dir() / "data" / "interactive"
    if not (d / "MANIFEST.sha256").is_file():
        pytest.skip(f"real click sets not found: {d}/MANIFEST.sha256 (needs ../shared beside the "
                    "checkout, or SEEM_BENCH_SHARED=DIR)")
    return d


@pytest.fixture(scope="session")
def isegm_pythonpath(tmp_path_factory) -> str:
    """``PYTHONPATH`` under which ``import isegm`` is RITM's package, extracted outside the repo."""
    tarball = shared_dir() / "vendor" / ISEGM_TARBALL
    if not tarball.is_file():
        pytest.skip(f"RITM's isegm tarball not found: {tarball}")
    if not (ISEGM_DEPS / "albumentations").is_dir() or not (ISEGM_DEPS / "tensorboard").is_dir():
        pytest.skip(f"isegm's import dependencies not installed in {ISEGM_DEPS} (run scripts/bootstrap.sh --test)")
    dest = tmp_path_factory.mktemp("isegm")
    with tarfile.open(tarball) as tf:
        tf.extractall(dest, filter="data")
    # "ritm-isegm-<commit>/isegm/" (a namespace package: no __init__.py)
    pkg = next(dest.glob("*/isegm/inference/evaluation.py")).parents[2]
    return os.pathsep.join([str(pkg), str(ISEGM_DEPS)])

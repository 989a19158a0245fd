"""Fixtures for the adapter tests: small random-weight checkpoints built by the packages' builders."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_helpers import TINY_SAM


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """The machine is shared: one intra-op thread keeps timings stable and the budget honest."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_sam_checkpoint(tmp_path_factory) -> Path:
    """A random-weight SAM state dict saved with torch.save, as the released files are."""
    import torch
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(0)
    model = _build_sam(checkpoint=None, **TINY_SAM)
    path = tmp_path_factory.mktemp("sam") / "tiny_sam.pth"
    torch.save(model.state_dict(), path)
    return path

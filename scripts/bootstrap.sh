#!/usr/bin/env bash
# Create ./.venv and install seem-bench into it. Usage: bash scripts/bootstrap.sh [--test]
#   --test  also install the test/reference packages (pytest, hypothesis, pycocotools references...)
# torch/torchvision are pinned to the builds this machine kind ships on local disk (no download).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! .venv/bin/python -c "import torch, torchvision" 2>/dev/null; then
  $PIP install -q "torch==2.14.1" "torchvision==0.29.1"
fi
if [ "${1:-}" = "--test" ]; then
  # Editable: `python -m pytest` puts the checkout first on sys.path, so the tests must see the
  # same tree the package maps (baselines/, tasks/ -> seem_bench.*); tests/test_packaging.py
  # checks a non-editable install separately.
  $PIP install -q -e ".[test]"
  # Reference implementations installed without their (stale) dependency pins; see docs/metrics.md and docs/protocols.md.
  $PIP install -q --no-deps panopticapi-lite vos-benchmark
  $PIP install -q --no-build-isolation --no-deps davisinteractive
  # kornia 0.7.0, the release SEEM pins, apart from the newer test kornia (tests/prompts/test_kornia_dt.py).
  $PIP install -q --no-deps --target .venv/ref/kornia-0.7.0 "kornia==0.7.0"
  # RITM's isegm (vendored in ../shared, tests/realdata): its import-time dependencies that
  # seem-bench does not use, kept apart (albumentations 1.3.1 still has the API isegm.data imports;
  # tensorboard + protobuf for isegm.utils.log's SummaryWriter import).
  $PIP install -q --no-deps --target .venv/ref/isegm-deps "albumentations==1.3.1" "qudida==0.0.4" \
    "tensorboard==2.21.0" "protobuf==7.36.2"
  # SAM 2 (tests/adapters/test_sam2.py): skip its CUDA extension, which only speeds up post-processing.
  SAM2_BUILD_CUDA=0 $PIP install -q "sam2>=1.1"
  # The transformers family (hf:*, tests/adapters/test_hf_models.py) and SAM 3's cgF1 reference
  # (sam3/eval/cgf1_eval.py, tests/metrics/test_concept_reference.py: only that file is loaded, so
  # sam3's model dependencies are not installed); open_clip only for CLIP's BPE file (tokenizer).
  $PIP install -q "transformers>=5" timm
  $PIP install -q --no-deps "sam3==0.1.4" open_clip_torch
  # Headless Debian Chromium renders the HTML report in tests/report (apt only when missing).
  if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
else
  $PIP install -q .
fi

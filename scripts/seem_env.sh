#!/usr/bin/env bash
# Build the environment that runs the official SEEM v1 code (docs/models.md "Running SEEM").
#
#   bash scripts/seem_env.sh [--seem-src DIR|TARBALL] [--detectron2-src DIR|TARBALL] [--prefix DIR]
#
# Default prefix: $SEEM_BENCH_SEEM_ENV, else ${SEEM_BENCH_CACHE:-$HOME/.cache/seem-bench}/seem-env.
# Default sources: clones of the pinned commits (needs network); CI passes the vendored tarballs.
# Layout (seem_bench/adapters/seem_env.py relies on it):
#   <prefix>/venv/bin/python   the environment's interpreter
#   <prefix>/src/seem          SEEM sources (imported from this directory, never copied into seem-bench)
#   <prefix>/src/detectron2    detectron2-xyz sources (built copy; Pillow>=10 fix applied here)
#   <prefix>/hf                offline Hugging Face cache holding the CLIP tokenizer files
#   <prefix>/READY             written last; its presence means the build completed
# A second call with a complete environment finishes in seconds. The last line printed is the python.
set -euo pipefail

SEEM_REPO=https://github.com/UX-Decoder/Segment-Everything-Everywhere-All-At-Once.git
SEEM_COMMIT=7b2e76dbb17d0b7831c6813a921fe2bc8de22926
D2_REPO=https://github.com/MaureenZOU/detectron2-xyz.git
D2_COMMIT=42121d75e10d9f858f3a91b6a39f5722c02868f0

usage() { echo "usage: bash scripts/seem_env.sh [--seem-src DIR|TARBALL] [--detectron2-src DIR|TARBALL] [--prefix DIR]" >&2; exit 2; }

SEEM_SRC=""; D2_SRC=""
PREFIX="${SEEM_BENCH_SEEM_ENV:-${SEEM_BENCH_CACHE:-$HOME/.cache/seem-bench}/seem-env}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seem-src) [ $# -ge 2 ] || usage; SEEM_SRC=$2; shift 2 ;;
    --detectron2-src) [ $# -ge 2 ] || usage; D2_SRC=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || usage; PREFIX=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "seem_env.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
for s in "$SEEM_SRC" "$D2_SRC"; do
  if [ -n "$s" ] && [ ! -e "$s" ]; then echo "seem_env.sh: source '$s' does not exist" >&2; exit 2; fi
done
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
PY="$PREFIX/venv/bin/python"

# Bump when the steps below change, so an old READY does not hide a needed rebuild.
STAMP="seem-env v2 seem=$SEEM_COMMIT detectron2=$D2_COMMIT"
if [ -f "$PREFIX/READY" ] && [ "$(cat "$PREFIX/READY")" = "$STAMP" ] && [ -x "$PY" ]; then
  echo "SEEM environment already complete at $PREFIX"
  echo "$PY"
  exit 0
fi
rm -f "$PREFIX/READY"

# fetch_src NAME SRC REPO COMMIT: unpack/copy/clone into $PREFIX/src/NAME (once; a partial copy is redone).
fetch_src() {
  local name=$1 src=$2 repo=$3 commit=$4 dest="$PREFIX/src/$1" tmp="$PREFIX/src/.$1.tmp"
  if [ -f "$dest/.complete" ]; then return; fi
  rm -rf "$dest" "$tmp"; mkdir -p "$tmp"
  if [ -z "$src" ]; then
    git clone -q "$repo" "$tmp/tree" && git -C "$tmp/tree" checkout -q "$commit"
  elif [ -d "$src" ]; then
    cp -a "$src" "$tmp/tree"
  else
    mkdir -p "$tmp/x"; tar xzf "$src" -C "$tmp/x"
    # The tarballs hold one top-level folder.
    mv "$tmp/x"/* "$tmp/tree"
    sha256sum "$src" | cut -d' ' -f1 > "$tmp/tree/.source-sha256"
  fi
  mv "$tmp/tree" "$dest"; rm -rf "$tmp"
  touch "$dest/.complete"
}
mkdir -p "$PREFIX/src"
echo "[seem_env] sources -> $PREFIX/src"
fetch_src seem "$SEEM_SRC" "$SEEM_REPO" "$SEEM_COMMIT"
fetch_src detectron2 "$D2_SRC" "$D2_REPO" "$D2_COMMIT"

# detectron2/data/transforms/transform.py:46 uses Image.LINEAR, removed in Pillow 10; BILINEAR is the same filter.
sed -i 's/Image\.LINEAR\b/Image.BILINEAR/g' "$PREFIX/src/detectron2/detectron2/data/transforms/transform.py"

[ -x "$PY" ] || python3 -m venv "$PREFIX/venv"
PIP="$PY -m pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1
echo "[seem_env] torch"
$PY -c "import torch, torchvision" 2>/dev/null || $PIP install -q "torch==2.14.1" "torchvision==0.29.1"

echo "[seem_env] SEEM inference requirements"
# SEEM's requirements.txt minus training/audio/demo packages (deepspeed, wandb, gradio, whisper,
# vision-datasets, infinibatch, cityscapesscripts, mup, accelerate, diffdist); numpy 2 and Pillow>=10 work.
# mpi4py 3.1.5 is not on the index: 4.x with the mpich wheel satisfies utils/distributed.py's import.
$PIP install -q "transformers==4.34.0" "timm==0.4.12" "kornia==0.7.0" "einops==0.7.0" \
  fvcore yacs json_tricks nltk ftfy regex sentencepiece omegaconf hydra-core iopath pycocotools \
  opencv-python-headless scikit-image "mpi4py>=4" mpich setuptools wheel ninja
# seem-bench's own runtime packages, so that seem-bench can also run in-process inside this
# environment (the bridge worker imports the harness's adapter code from its source tree).
$PIP install -q scipy pandas tabulate tqdm pyyaml hotcoco matplotlib jinja2 networkx scikit-learn "pillow>=10"
# open_clip only for its BPE file (its dependencies would replace timm 0.4.12).
$PIP install -q --no-deps open_clip_torch
# SEEM's COCO panoptic evaluator imports panopticapi (datasets/evaluation/panoptic_evaluation.py);
# panopticapi-lite is the cocodataset/panopticapi module packaged for the index.
$PIP install -q --no-deps "panopticapi-lite==0.2.0"

echo "[seem_env] detectron2 (C++ extension; ~8 min on 2 cores)"
if ! $PY -c "import detectron2._C" 2>/dev/null; then
  # detectron2's setup.py builds CUDA kernels when torch sees a GPU and nvcc exists, CPU otherwise.
  (cd "$PREFIX/src/detectron2" && MAX_JOBS=${MAX_JOBS:-2} $PIP install -q --no-build-isolation --no-deps .)
fi

echo "[seem_env] CLIP tokenizer (offline)"
HF="$PREFIX/hf"
$PY - "$HF" <<'EOF'
# SEEM calls CLIPTokenizer.from_pretrained('openai/clip-vit-base-patch32'). Derive vocab.json and
# merges.txt from open_clip's copy of OpenAI's BPE file and store them as an offline hub cache entry.
import gzip, json, os, sys
import open_clip
hf = sys.argv[1]
snap = os.path.join(hf, "hub", "models--openai--clip-vit-base-patch32", "snapshots", "offline")
os.makedirs(snap, exist_ok=True)
os.makedirs(os.path.join(os.path.dirname(snap), "..", "refs"), exist_ok=True)
bpe = os.path.join(os.path.dirname(open_clip.__file__), "bpe_simple_vocab_16e6.txt.gz")
lines = gzip.open(bpe).read().decode("utf-8").split("\n")
merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b); cs.append(256 + n); n += 1
byte_chars = [chr(c) for c in cs]
vocab = byte_chars + [v + "</w>" for v in byte_chars] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
with open(os.path.join(snap, "vocab.json"), "w", encoding="utf-8") as f:
    json.dump({t: i for i, t in enumerate(vocab)}, f, ensure_ascii=False)
with open(os.path.join(snap, "merges.txt"), "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in merges))
with open(os.path.join(snap, "tokenizer_config.json"), "w") as f:
    json.dump({"model_max_length": 77, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}, f)
with open(os.path.join(hf, "hub", "models--openai--clip-vit-base-patch32", "refs", "main"), "w") as f:
    f.write("offline")
with open(os.path.join(hf, "hub", "version.txt"), "w") as f:  # transformers: no cache migration attempt
    f.write("1")
print(f"  vocab {len(vocab)} tokens, {len(merges)} merges")
EOF

echo "[seem_env] check"
HF_HOME="$HF" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $PY - <<'EOF'
import detectron2, detectron2._C  # noqa: F401
from detectron2.data import transforms  # noqa: F401  (Pillow>=10 fix applied)
from panopticapi.evaluation import pq_compute  # noqa: F401
from transformers import CLIPTokenizer
ids = CLIPTokenizer.from_pretrained("openai/clip-vit-base-patch32")("a photo of a cat")["input_ids"]
assert ids == [49406, 320, 1125, 539, 320, 2368, 49407], ids
EOF

echo "$STAMP" > "$PREFIX/READY"
echo "[seem_env] ready: $PREFIX"
echo "$PY"

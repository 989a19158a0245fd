"""CLIP's BPE tokenizer offline: ``vocab.json`` / ``merges.txt`` derived from open_clip's BPE file.

SAM 3 and CLIPSeg tokenize with OpenAI CLIP's byte-level BPE (49408 tokens). The Hub ships it as
``vocab.json`` + ``merges.txt``; nothing can be downloaded here, so the two files are derived
from ``bpe_simple_vocab_16e6.txt.gz`` inside the ``open_clip_torch`` wheel
(``pip install --no-deps open_clip_torch``; only the file is read, the package is not imported),
the same derivation as ``scripts/seem_env.sh``: the 256 byte symbols, the same with ``</w>``,
the 48894 merges, then ``<|startoftext|>`` and ``<|endoftext|>``. The files are written once
into ``$SEEM_BENCH_CACHE/clip-bpe`` (atomically). A checkpoint directory that carries its own
tokenizer files uses those instead.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

from seem_bench.errors import MissingDependencyError

_BPE = "bpe_simple_vocab_16e6.txt.gz"
_N_MERGES = 49152 - 256 - 2


def bpe_source() -> Path | None:
    """open_clip's BPE file, located without importing open_clip (its dependencies are optional)."""
    try:
        spec = importlib.util.find_spec("open_clip")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / _BPE
    return path if path.is_file() else None


def _byte_symbols() -> list[str]:
    # GPT-2 / CLIP byte-to-unicode table: printable bytes map to themselves, the rest to 256+n.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def clip_bpe_dir() -> Path:
    """The directory holding the derived ``vocab.json`` and ``merges.txt`` (created on first use)."""
    from seem_bench.data.fingerprint import cache_base
    from seem_bench.io_utils import atomic_write_text

    out = cache_base() / "clip-bpe"
    if all((out / f).is_file() for f in ("vocab.json", "merges.txt", "tokenizer_config.json")):
        return out
    src = bpe_source()
    if src is None:
        raise MissingDependencyError("CLIP's BPE file is needed for the tokenizer: pip install --no-deps "
                                     "open_clip_torch (or a checkpoint directory with vocab.json/merges.txt)")
    lines = gzip.open(src).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1:_N_MERGES + 1]]
    symbols = _byte_symbols()
    vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "merges.txt", "#version: 0.2\n" + "".join(" ".join(m) + "\n" for m in merges))
    atomic_write_text(out / "vocab.json", json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    atomic_write_text(out / "tokenizer_config.json", json.dumps(
        {"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "bos_token": "<|startoftext|>",
         "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}))
    return out


def clip_tokenizer(checkpoint_dir: Path | None = None) -> Any:
    """``CLIPTokenizer`` from the checkpoint's own files if it has them, else from the derived BPE."""
    from transformers import CLIPTokenizer

    d = checkpoint_dir if checkpoint_dir is not None and (checkpoint_dir / "vocab.json").is_file() else clip_bpe_dir()
    return CLIPTokenizer.from_pretrained(str(d), local_files_only=True)

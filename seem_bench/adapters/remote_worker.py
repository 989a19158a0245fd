"""The worker side of seem-bench's remote model bridge: a single file, numpy + stdlib only.

A model that needs its own Python environment (SEEM: torch 2.1, detectron2, a CLIP tokenizer)
runs in a worker process that speaks the ``seem-bench-remote`` protocol with the harness. Copy
this file into the model's environment (Python >= 3.8, any numpy >= 1.17) and start it either
from the harness (stdin/stdout) or as a server (local socket)::

    # the harness starts the worker itself and talks over its stdin/stdout
    seem-bench run --task interactive --model remote \\
        --model-opt command="/envs/seem/bin/python remote_worker.py --adapter my_seem:Model"

    # or: a long-lived worker on a socket, the harness connects
    /envs/seem/bin/python remote_worker.py --adapter my_seem:Model --listen tcp:127.0.0.1:5123
    seem-bench run --task interactive --model remote --model-opt address=tcp:127.0.0.1:5123

What it serves (``--adapter`` or ``--model``):

- ``--adapter module:Class [--opt k=v ...]``: any class with ``encode(image) -> state`` and
  ``decode(state, prompts, memory) -> dict`` (keys ``mask``, ``prob``, ``score``, ``memory``,
  ``extra``, all optional but one of mask/prob), and optionally ``name``, ``capabilities``
  (a dict like ``{"tasks": ["interactive"], "prompts": ["point"], "composition": false,
  "memory": true}``), ``uses_ground_truth``, ``set_target(gt)``, ``fingerprint() -> dict``,
  ``close()``. ``prompts`` is the wire dict described below; the class is built as
  ``Class(**opts)`` (values are strings).
- ``--model NAME [--opt k=v ...]``: a model of an installed seem-bench (``pip install --no-deps
  seem-bench`` is enough for adapters that import only numpy/cv2/torch): built with
  ``seem_bench.adapters.registry.build_model(NAME, **opts)``; prompts are turned back into
  `seem_bench.prompts.types.Prompts`.

Wire format (version 1). Every message, both ways::

    b"SBR1" | uint32 big-endian n | n bytes of UTF-8 JSON | the raw bytes of each array, in order

The JSON is ``{"body": <tree>, "arrays": [{"dtype": "<f4", "shape": [h, w]}, ...]}``; inside the
tree an array appears as ``{"$nd": i}`` (its index in ``arrays``), a tuple as a list. Array bytes
are C-ordered in the stated dtype (``dtype.str``: byte order explicit), so both sides may run
different numpy versions; no pickle ever crosses the wire.

Requests (harness -> worker) and replies (``{"ok": true, ...}`` or ``{"ok": false, "error":
"Type: message", "where": "model" | "protocol", "traceback": "..."}``):

- ``{"op": "hello", "protocol": "seem-bench-remote", "version": 1}`` -> ``{"ok": true, "protocol",
  "version", "model": {"name", "capabilities", "uses_ground_truth", "fingerprint"}, "worker":
  {"python", "numpy", "pid"}}``. A version mismatch is refused by both sides.
- ``{"op": "encode", "image": uint8 (H, W, 3), "free": [ids]}`` -> ``{"ok": true, "state": id}``
- ``{"op": "decode", "state": id, "prompts": {...}, "memory": id | null, "free": [ids]}`` ->
  ``{"ok": true, "prediction": {"mask", "prob", "score", "memory": id | null, "extra"}}``; in
  ``extra``, ``candidate_memory`` (the memories of ``candidates``, which the harness's
  ``output=oracle`` feeds back) is a list of handles too.
- ``{"op": "decode_batch", "requests": [{"state": id, "prompts": {...}, "memory": id | null}, ...],
  "free": [ids]}`` -> ``{"ok": true, "predictions": [prediction, ...]}`` (one per request, as
  ``decode`` gives them): the model's own batched decode (`Adapter.decode_batch`), offered only when
  hello's ``model`` says ``"decode_batch": true``; harnesses send single decodes otherwise.
- ``{"op": "set_target", "gt": bool (H, W)}`` -> ``{"ok": true}``
- ``{"op": "set_categories", "categories": [{"id", "name", "isthing"}, ...]}`` -> ``{"ok": true}``:
  the class vocabulary of a generic task, sent before its decodes (``set_categories(list)`` of
  the model when it has one; ignored otherwise). A promptless decode may return only ``extra``.
- ``{"op": "close"}`` -> ``{"ok": true}``, then the worker ends the session.

States and memories stay in the worker; the harness holds integer handles and lists the handles
it dropped in ``free`` of its next request. Prompts on the wire: every field of
`seem_bench.prompts.types.Prompts` under its own name::

    {"clicks": [[x, y, positive], ...], "click_radius": int, "box": [x0, y0, x1, y1] | null,
     "scribbles": [{"points": float64 (N, 2), "positive": bool, "mask": bool (H, W) | null}],
     "polygons": [same], "text": str | null,
     "ref_image": {"image": uint8 (H, W, 3), "mask": bool (H, W), "source": str} | null}

All coordinates are (x, y) pixels of the original image; ``click_radius`` r means clicks are
drawn as (2r+1) x (2r+1) squares (SEEM: 1); a scribble's or polygon's ``mask``, when given, is
the shape exactly as the simulator drew it at the original size. A field added to ``Prompts``
later and not listed here is sent as plain data (dataclasses as dicts); `wire_to_prompts`
refuses a non-empty field it does not know rather than dropping it. While serving over stdin/stdout the
worker moves file descriptor 1 to stderr, so prints of the model code cannot corrupt the stream.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import socket
import struct
import sys
import traceback

import numpy as np

PROTOCOL = "seem-bench-remote"
VERSION = 1
MAGIC = b"SBR1"
_HEADER = struct.Struct(">I")
#: Refuse absurd frames instead of allocating them (a stray print on the stream looks like one).
MAX_JSON_BYTES = 64 << 20


class ProtocolError(Exception):
    """The peer sent something that is not a valid ``seem-bench-remote`` message."""


# --------------------------------------------------------------------------- framing

def _encode_tree(obj, arrays):
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise ProtocolError("object arrays cannot be sent")
        arrays.append(np.ascontiguousarray(obj))
        return {"$nd": len(arrays) - 1}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {str(k): _encode_tree(v, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode_tree(v, arrays) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise ProtocolError(f"cannot send a value of type {type(obj).__name__}")


def _decode_tree(obj, arrays):
    if isinstance(obj, dict):
        if len(obj) == 1 and "$nd" in obj:
            return arrays[obj["$nd"]]
        return {k: _decode_tree(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode_tree(v, arrays) for v in obj]
    return obj


def write_message(stream, body) -> None:
    """Write one framed message (``body``: JSON-able tree with numpy arrays as leaves)."""
    arrays = []
    tree = _encode_tree(body, arrays)
    meta = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
    blob = json.dumps({"body": tree, "arrays": meta}).encode("utf-8")
    stream.write(MAGIC + _HEADER.pack(len(blob)) + blob)
    for a in arrays:
        stream.write(a.tobytes(order="C"))
    stream.flush()


def _read_exact(stream, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return bytes(buf)
        buf += chunk
    return bytes(buf)


def read_message(stream):
    """Read one framed message; ``None`` at a clean end of stream (before any byte of a message)."""
    head = _read_exact(stream, len(MAGIC) + _HEADER.size)
    if not head:
        return None
    if len(head) < len(MAGIC) + _HEADER.size or head[:len(MAGIC)] != MAGIC:
        raise ProtocolError(f"stream does not start a seem-bench-remote message (got {head[:16]!r})")
    (n,) = _HEADER.unpack(head[len(MAGIC):])
    if n > MAX_JSON_BYTES:
        raise ProtocolError(f"message header of {n} bytes is too large")
    blob = _read_exact(stream, n)
    if len(blob) < n:
        raise ProtocolError("stream ended inside a message")
    msg = json.loads(blob.decode("utf-8"))
    arrays = []
    for meta in msg.get("arrays", []):
        dtype = np.dtype(meta["dtype"])
        shape = tuple(int(s) for s in meta["shape"])
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        raw = _read_exact(stream, nbytes)
        if len(raw) < nbytes:
            raise ProtocolError("stream ended inside an array")
        arrays.append(np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape))
    return _decode_tree(msg["body"], arrays)


# --------------------------------------------------------------------------- serving

class _SeemBenchModel:
    """Serves a model of an installed seem-bench through the duck-typed worker interface."""

    def __init__(self, name, **opts):
        from seem_bench.adapters.registry import build_model

        self.adapter = build_model(name, **opts)
        self.name = self.adapter.name
        self.capabilities = self.adapter.capabilities.to_json()
        self.uses_ground_truth = bool(self.adapter.uses_ground_truth)

    def fingerprint(self):
        return self.adapter.fingerprint()

    def encode(self, image):
        return self.adapter.encode(image)

    def decode(self, state, prompts, memory):
        return _plain_prediction(self.adapter.decode(state, wire_to_prompts(prompts), memory))

    def decode_batch(self, items):
        """``[(state, wire prompts, memory), ...]`` -> one `decode`-style dict each."""
        from seem_bench.adapters.base import DecodeRequest

        reqs = [DecodeRequest(st, wire_to_prompts(p), mem) for st, p, mem in items]
        return [_plain_prediction(out) for out in self.adapter.decode_batch(reqs)]

    def set_target(self, gt):
        self.adapter.set_target(gt)

    def set_categories(self, categories):
        self.adapter.set_categories(categories)

    def close(self):
        self.adapter.close()


def _plain_prediction(out):
    return {"mask": out.mask, "prob": out.prob, "score": out.score, "memory": out.memory, "extra": out.extra}


def wire_to_prompts(d):
    """The wire prompt dict as `seem_bench.prompts.types.Prompts` (needs seem-bench installed).

    Inverse of ``seem_bench.adapters.remote.prompts_to_wire``. A key that is not a field of the
    installed ``Prompts`` raises `ProtocolError` unless it is empty (``None``, ``[]``, ``{}``):
    a prompt is never silently dropped. A ``Prompts`` field without a rule below is passed as is.
    """
    from dataclasses import fields

    from seem_bench.prompts.types import Box, Click, Polygon, Prompts, RefImage, Scribble

    names = {f.name for f in fields(Prompts)}
    lost = sorted(k for k, v in d.items()
                  if k not in names and not (v is None or (isinstance(v, (list, dict)) and not v)))
    if lost:
        raise ProtocolError(f"prompt field(s) {', '.join(lost)} unknown to the seem-bench installed next "
                            "to the worker: update it")

    def shape(cls, s):
        mask = s.get("mask")
        return cls(np.asarray(s["points"], np.float64), bool(s["positive"]),
                   mask=None if mask is None else np.asarray(mask, bool))

    ref = d.get("ref_image")
    kw = dict(
        clicks=[Click(int(c[0]), int(c[1]), bool(c[2])) for c in d.get("clicks") or []],
        click_radius=int(d.get("click_radius") or 0),
        box=Box(*[float(v) for v in d["box"]]) if d.get("box") is not None else None,
        scribbles=[shape(Scribble, s) for s in d.get("scribbles") or []],
        polygons=[shape(Polygon, p) for p in d.get("polygons") or []],
        text=d.get("text"),
        ref_image=RefImage(ref["image"], np.asarray(ref["mask"], bool), ref.get("source", ""))
        if ref is not None else None,
    )
    kw.update({k: d[k] for k in names - set(kw) if k in d})
    return Prompts(**kw)


def _import(spec):
    module, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit(f"--adapter expects module:Class, got {spec!r}")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


class Session:
    """One connection's state: handles to encoded states and memories of the served model."""

    def __init__(self, model):
        self.model = model
        self.objects = {}
        self.next_id = 1

    def _keep(self, obj):
        if obj is None:
            return None
        i = self.next_id
        self.next_id += 1
        self.objects[i] = obj
        return i

    def _get(self, handle, what):
        try:
            return self.objects[int(handle)]
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"unknown {what} handle {handle!r}") from None

    def describe(self):
        m = self.model
        caps = getattr(m, "capabilities", None) or {"tasks": ["interactive"], "prompts": ["point"],
                                                    "composition": False, "memory": False}
        fp = m.fingerprint() if hasattr(m, "fingerprint") else {"name": getattr(m, "name", type(m).__name__)}
        return {"name": getattr(m, "name", type(m).__name__), "capabilities": caps,
                "uses_ground_truth": bool(getattr(m, "uses_ground_truth", False)),
                "fingerprint": fp, "decode_batch": callable(getattr(m, "decode_batch", None))}

    def _prediction(self, out):
        """A model's ``decode`` dict as a reply's prediction (memories kept here as handles)."""
        if not isinstance(out, dict) or (out.get("mask") is None and out.get("prob") is None
                                         and not out.get("extra")):
            raise _ModelError("TypeError: decode must return a dict with 'mask', 'prob' or 'extra'")
        extra = dict(out.get("extra") or {})
        if extra.get("candidate_memory") is not None:  # memories stay here, as "memory"
            extra["candidate_memory"] = [self._keep(m) for m in extra["candidate_memory"]]
        return {"mask": None if out.get("mask") is None else np.asarray(out["mask"], bool),
                "prob": None if out.get("prob") is None else np.asarray(out["prob"], np.float32),
                "score": None if out.get("score") is None else float(out["score"]),
                "memory": self._keep(out.get("memory")),
                "extra": extra}

    def handle(self, req):
        """The reply to one request (never raises for model errors: they are replies too)."""
        op = req.get("op") if isinstance(req, dict) else None
        for h in (req.get("free") or []) if isinstance(req, dict) else []:
            self.objects.pop(int(h), None)
        try:
            if op == "hello":
                if req.get("protocol") != PROTOCOL or req.get("version") != VERSION:
                    raise ProtocolError(f"harness speaks {req.get('protocol')} v{req.get('version')}, "
                                        f"this worker {PROTOCOL} v{VERSION}")
                return {"ok": True, "protocol": PROTOCOL, "version": VERSION, "model": self.describe(),
                        "worker": {"python": platform.python_version(), "numpy": np.__version__,
                                   "pid": os.getpid()}}
            if op == "encode":
                return {"ok": True, "state": self._keep(_model_call(self.model.encode, req["image"]))}
            if op == "decode":
                state = self._get(req["state"], "state")
                memory = None if req.get("memory") is None else self._get(req["memory"], "memory")
                out = _model_call(self.model.decode, state, req.get("prompts") or {}, memory)
                return {"ok": True, "prediction": self._prediction(out)}
            if op == "decode_batch":
                if not callable(getattr(self.model, "decode_batch", None)):
                    raise ProtocolError("this model has no decode_batch (hello says so); send decode")
                items = []
                for r in req.get("requests") or []:
                    mem = None if r.get("memory") is None else self._get(r["memory"], "memory")
                    items.append((self._get(r["state"], "state"), r.get("prompts") or {}, mem))
                outs = _model_call(self.model.decode_batch, items)
                if not isinstance(outs, list) or len(outs) != len(items):
                    raise _ModelError(f"TypeError: decode_batch must return a list of {len(items)} predictions")
                return {"ok": True, "predictions": [self._prediction(o) for o in outs]}
            if op == "set_target":
                if not hasattr(self.model, "set_target"):
                    raise _ModelError("TypeError: this model takes no ground truth")
                _model_call(self.model.set_target, np.asarray(req["gt"], bool))
                return {"ok": True}
            if op == "set_categories":  # optional: models without a class vocabulary ignore it
                if hasattr(self.model, "set_categories"):
                    _model_call(self.model.set_categories, list(req.get("categories") or []))
                return {"ok": True}
            if op == "close":
                return {"ok": True}
            raise ProtocolError(f"unknown op {op!r}")
        except _ModelError as e:
            return {"ok": False, "where": "model", "error": str(e), "traceback": e.tb}
        except ProtocolError as e:
            return {"ok": False, "where": "protocol", "error": f"ProtocolError: {e}", "traceback": ""}


class _ModelError(Exception):
    def __init__(self, message, tb=""):
        super().__init__(message)
        self.tb = tb


def _model_call(fn, *args):
    try:
        return fn(*args)
    except Exception as e:
        raise _ModelError(f"{type(e).__name__}: {e}", traceback.format_exc()) from None


def serve(model, inp, out):
    """Answer requests from ``inp`` on ``out`` until ``close`` or the end of the stream."""
    session = Session(model)
    while True:
        try:
            req = read_message(inp)
        except ProtocolError as e:
            write_message(out, {"ok": False, "where": "protocol", "error": f"ProtocolError: {e}",
                                "traceback": ""})
            return
        if req is None:
            return
        try:
            reply = session.handle(req)
        except ProtocolError as e:  # e.g. a malformed 'free' list
            reply = {"ok": False, "where": "protocol", "error": f"ProtocolError: {e}", "traceback": ""}
        try:
            write_message(out, reply)
        except ProtocolError as e:  # the model returned something the wire cannot carry
            write_message(out, {"ok": False, "where": "model", "error": f"TypeError: {e}",
                                "traceback": ""})
        if isinstance(req, dict) and req.get("op") == "close":
            return


def _parse_opts(items):
    opts = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep or not k:
            raise SystemExit(f"--opt expects key=value, got {item!r}")
        opts[k.strip()] = v.strip()
    return opts


def build_served_model(args):
    opts = _parse_opts(args.opt)
    if args.adapter:
        # Like `python -m`: modules in the current directory can be served.
        if os.getcwd() not in sys.path:
            sys.path.append(os.getcwd())
        return _import(args.adapter)(**opts)
    return _SeemBenchModel(args.model, **opts)


def _listen(address):
    kind, _, rest = address.partition(":")
    if kind == "unix":
        if os.path.exists(rest):
            os.unlink(rest)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(rest)
    elif kind == "tcp":
        host, _, port = rest.rpartition(":")
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host or "127.0.0.1", int(port)))
    else:
        raise SystemExit(f"--listen expects unix:PATH or tcp:HOST:PORT, got {address!r}")
    srv.listen(1)
    return srv


def main(argv=None):
    p = argparse.ArgumentParser(description=f"Serve a segmentation model to seem-bench (protocol "
                                            f"{PROTOCOL} v{VERSION}).")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--adapter", help="module:Class of a duck-typed model (see module docstring)")
    which.add_argument("--model", help="name of a model of an installed seem-bench")
    p.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                   help="constructor option (repeatable)")
    p.add_argument("--listen", metavar="ADDRESS",
                   help="serve on a socket (unix:PATH or tcp:HOST:PORT) instead of stdin/stdout")
    p.add_argument("--once", action="store_true", help="with --listen: exit after one connection")
    args = p.parse_args(argv)

    if args.listen:
        model = build_served_model(args)
        srv = _listen(args.listen)
        print(f"seem-bench remote worker listening on {args.listen}", file=sys.stderr, flush=True)
        try:
            while True:
                conn, _ = srv.accept()
                with conn, conn.makefile("rb") as inp, conn.makefile("wb") as out:
                    serve(model, inp, out)
                if args.once:
                    break
        finally:
            srv.close()
            if hasattr(model, "close"):
                model.close()
        return 0

    # stdio: keep the real stdout for the protocol, send everything else printed to stderr.
    proto_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    model = build_served_model(args)
    try:
        serve(model, sys.stdin.buffer, proto_out)
    finally:
        if hasattr(model, "close"):
            model.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

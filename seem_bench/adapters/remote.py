"""The harness side of the remote model bridge: a model served by a worker in another environment.

The worker is `seem_bench.adapters.remote_worker` (one file, numpy + stdlib; its docstring is
the protocol specification). `RemoteAdapter` is an ordinary adapter to the runner: ``encode``
and ``decode`` are requests to the worker, states and memories stay there behind integer
handles, and a handle the harness drops is freed on the worker with the next request.

Two transports::

    # the harness starts the worker and talks over its stdin/stdout (stderr is inherited)
    RemoteAdapter(command="/envs/seem/bin/python remote_worker.py --adapter my_seem:Model")
    # a worker already listening on a local socket
    RemoteAdapter(address="unix:/tmp/seem.sock")        # or "tcp:127.0.0.1:5123"

Errors: a model exception inside the worker raises `RemoteModelError` (a ``RuntimeError``: the
runner records it for that sample and goes on, as for an in-process model); a worker that cannot
be started, dies, or speaks another protocol version raises a `SeemBenchError` that stops the run.

Batches: when the worker serves a `decode_batch` (every seem-bench model does), one
`RemoteAdapter.decode_batch` call is one request, so a model that batches in-process (SAM, SEEM's
``spatial_batch`` / ``grounding_batch``) batches the same way behind the bridge.

Timing: the loop's ``model_s`` of a remote model includes the transport (measured: about 0.5 ms
per round for a 480x854 mask over a pipe, on a shared 2-core CPU).
"""

from __future__ import annotations

import dataclasses
import shlex
import socket
import subprocess
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seem_bench.adapters.base import Adapter, Capabilities, DecodeRequest, Prediction
from seem_bench.errors import SeemBenchError, UsageError
from seem_bench.prompts.types import Polygon, Prompts, Scribble
from seem_bench.registry import LazyModule

if TYPE_CHECKING:
    import numpy as np
else:  # loaded on first use: `seem-bench models` imports this module for its classes only
    np = LazyModule("numpy", __name__, "np")
# The wire format module is the standalone worker script (imports numpy, never seem_bench).
wire = LazyModule("seem_bench.adapters.remote_worker", __name__, "wire")

HOW = ("start a worker with --model-opt command='PYTHON {worker} --adapter module:Class' "
       "(or --model NAME), or connect to a listening one with --model-opt address=tcp:HOST:PORT "
       "or address=unix:PATH; see docs/models.md")


class RemoteModelError(RuntimeError):
    """The served model raised an exception in the worker (message = its type and text)."""

    def __init__(self, message: str, worker_traceback: str = "") -> None:
        super().__init__(message)
        self.worker_traceback = worker_traceback

    def __reduce__(self) -> tuple:
        # Keep the worker's traceback when the error crosses a process boundary.
        return type(self), (self.args[0], self.worker_traceback)


class RemoteWorkerError(SeemBenchError):
    """The worker could not be started, died, or broke the protocol (the run cannot go on)."""

    exit_code = 2


def worker_path() -> Path:
    """Path of the single-file worker module to copy into the model's environment."""
    return Path(__file__).resolve().with_name("remote_worker.py")  # the path without importing it


def _shape_to_wire(s: Scribble | Polygon) -> dict[str, Any]:
    return {"points": np.asarray(s.points, np.float64), "positive": bool(s.positive),
            "mask": None if s.mask is None else np.asarray(s.mask, bool)}


def _plain(value: Any, where: str) -> Any:
    """A prompt value without a dedicated wire form, as plain data (dataclasses as dicts)."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), where) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    raise TypeError(f"remote: Prompts.{where} holds a {type(value).__name__}, which cannot cross the wire")


#: The wire form of each `Prompts` field (a field missing here goes as plain data, see `_plain`).
_TO_WIRE: dict[str, Any] = {
    "clicks": lambda v: [[int(c.x), int(c.y), int(c.positive)] for c in v],
    "click_radius": int,
    "box": lambda b: None if b is None else [float(x) for x in b.to_json()],
    "scribbles": lambda v: [_shape_to_wire(s) for s in v],
    "polygons": lambda v: [_shape_to_wire(q) for q in v],
    "text": lambda t: None if t is None else str(t),
    "ref_image": lambda r: None if r is None else {
        "image": np.asarray(r.image, np.uint8), "mask": np.asarray(r.mask, bool), "source": str(r.source)},
}


def prompts_to_wire(p: Prompts) -> dict[str, Any]:
    """`Prompts` as the wire dict of protocol v1: every field under its own name (arrays stay
    arrays; see `remote_worker`). `remote_worker.wire_to_prompts` is the inverse.

    >>> from seem_bench.prompts.types import Click
    >>> prompts_to_wire(Prompts(clicks=[Click(3, 4, True)]))  # doctest: +NORMALIZE_WHITESPACE
    {'clicks': [[3, 4, 1]], 'click_radius': 0, 'box': None, 'scribbles': [], 'polygons': [],
     'text': None, 'ref_image': None}
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(p):
        value = getattr(p, f.name)
        out[f.name] = _TO_WIRE[f.name](value) if f.name in _TO_WIRE else _plain(value, f.name)
    return out


class RemoteHandle:
    """A state or memory living in the worker; dropping the last reference frees it there."""

    __slots__ = ("id", "__weakref__")

    def __init__(self, handle_id: int) -> None:
        self.id = int(handle_id)

    def __repr__(self) -> str:
        return f"RemoteHandle({self.id})"


def _connect(address: str) -> socket.socket:
    kind, _, rest = address.partition(":")
    try:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(rest)
        elif kind == "tcp":
            host, _, port = rest.rpartition(":")
            s = socket.create_connection((host or "127.0.0.1", int(port)))
        else:
            raise UsageError(f"remote: address must be unix:PATH or tcp:HOST:PORT, got {address!r}")
    except (OSError, ValueError) as e:
        raise RemoteWorkerError(f"remote: cannot connect to worker at {address!r}: {e}") from None
    return s


class RemoteAdapter(Adapter):
    """A model served by a ``remote_worker`` process (protocol ``seem-bench-remote`` v1).

    Options: ``command`` (the worker's command line, split with `shlex`) or ``address``
    (``unix:PATH`` / ``tcp:HOST:PORT`` of a worker started with ``--listen``). The served
    model's own options go on the worker's command line, not here (``--device`` is ignored: the
    worker chooses its device; any other option is refused). Capabilities,
    ``uses_ground_truth`` and the fingerprint are the served model's, read at connection.
    """

    name = "remote"
    summary = "a model served by a worker process in its own Python environment (remote bridge)"
    capabilities = Capabilities(tasks=(), prompts=(), deferred=True)

    def __init__(self, command: str | list[str] | None = None, address: str | None = None, *,
                 env: dict[str, str] | None = None, **options: Any) -> None:
        unknown = sorted(k for k, v in options.items() if v is not None and k != "device")
        if unknown:
            raise UsageError(f"remote: unknown option(s) {', '.join(unknown)}: the served model's options "
                             "go on the worker's command line (--opt k=v)")
        if (command is None) == (address is None):
            raise UsageError("remote: give exactly one of command=... or address=...; "
                             + HOW.format(worker=worker_path()))
        super().__init__()
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._freed: list[int] = []
        self._closed = False
        self.transport = f"command: {command}" if command is not None else f"address: {address}"
        if command is not None:
            argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
            try:
                self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
            except OSError as e:
                raise RemoteWorkerError(f"remote: cannot start worker {argv[0]!r}: {e}") from None
            self._w, self._r = self._proc.stdin, self._proc.stdout
        else:
            self._sock = _connect(str(address))
            self._r = self._sock.makefile("rb")
            self._w = self._sock.makefile("wb")
        hello = self._request({"op": "hello", "protocol": wire.PROTOCOL, "version": wire.VERSION})
        model = hello["model"]
        self.worker = hello.get("worker", {})
        self.served = model
        # Instance attributes: what the worker declared replaces the deferred class declaration.
        self.capabilities = Capabilities.from_json(model["capabilities"])  # type: ignore[misc]
        self.uses_ground_truth = bool(model.get("uses_ground_truth", False))  # type: ignore[misc]
        self.batched = bool(model.get("decode_batch", False))  # the worker serves `decode_batch`
        self.summary = f"remote: {model.get('name')}"  # type: ignore[misc]

    @classmethod
    def availability(cls, command: Any = None, address: Any = None, **options: Any) -> tuple[bool, str]:
        if command or address:
            return True, "ok"
        return False, "no worker given; " + HOW.format(worker=worker_path())

    # -- transport
    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._closed:
            raise RemoteWorkerError("remote: the worker connection is closed")
        if self._freed:
            body["free"], self._freed = self._freed, []
        try:
            wire.write_message(self._w, body)
            reply = wire.read_message(self._r)
        except (BrokenPipeError, ConnectionError, OSError):
            reply = None
        except wire.ProtocolError as e:
            raise RemoteWorkerError(f"remote: the worker broke the protocol: {e} (did the model print "
                                    "to the protocol stream?)") from None
        if reply is None:
            raise RemoteWorkerError(f"remote: the worker went away during {body.get('op')!r}"
                                    f"{self._exit_status()}; its messages are on stderr above")
        if not reply.get("ok"):
            if reply.get("where") == "model":
                raise RemoteModelError(str(reply.get("error")), str(reply.get("traceback", "")))
            raise RemoteWorkerError(f"remote: {reply.get('error')}")
        return reply

    def _exit_status(self) -> str:
        if self._proc is None:
            return ""
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return " (still running)"
        return f" (exit code {code})"

    def _handle(self, handle_id: int | None) -> RemoteHandle | None:
        if handle_id is None:
            return None
        h = RemoteHandle(handle_id)
        weakref.finalize(h, self._freed.append, h.id)
        return h

    # -- the contract
    def fingerprint(self) -> dict[str, Any]:
        """The served model's fingerprint; the transport is not part of the model's identity."""
        return {"name": "remote", "served": self.served.get("fingerprint", {}),
                "protocol": f"{wire.PROTOCOL}/{wire.VERSION}"}

    def dump_state(self, state: Any) -> None:
        return None  # the state lives in the worker

    def encode(self, image: np.ndarray) -> RemoteHandle:
        reply = self._request({"op": "encode", "image": np.ascontiguousarray(image, np.uint8)})
        return self._handle(reply["state"])  # type: ignore[return-value]

    def _wire_request(self, state: Any, prompts: Prompts, memory: Any) -> dict[str, Any]:
        missing = prompts.kinds() - self.capabilities.prompts
        if missing:
            raise UsageError(f"remote model {self.served.get('name')!r} does not accept "
                             f"{', '.join(sorted(missing))} prompts")
        if not isinstance(state, RemoteHandle):
            raise TypeError("remote: decode needs the state returned by this adapter's encode")
        return {"state": state.id, "prompts": prompts_to_wire(prompts),
                "memory": memory.id if isinstance(memory, RemoteHandle) else None}

    def _prediction(self, p: dict[str, Any]) -> Prediction:
        extra = p.get("extra") or {}
        if extra.get("candidate_memory") is not None:  # handles too, as `memory` (output=oracle)
            extra["candidate_memory"] = [self._handle(h) for h in extra["candidate_memory"]]
        return Prediction(mask=p.get("mask"), prob=p.get("prob"), score=p.get("score"),
                          memory=self._handle(p.get("memory")), extra=extra)

    def decode(self, state: Any, prompts: Prompts, memory: Any = None) -> Prediction:
        reply = self._request({"op": "decode", **self._wire_request(state, prompts, memory)})
        return self._prediction(reply["prediction"])

    def decode_batch(self, requests: Sequence[DecodeRequest]) -> list[Prediction]:
        """The served model's own `decode_batch` in one request when the worker offers it (a
        batching model, e.g. SEEM's ``spatial_batch`` / ``grounding_batch``, then batches as it
        does in-process); otherwise, and for models fed the GT, one ``decode`` per request."""
        if not self.batched or (self.uses_ground_truth and any(r.target is not None for r in requests)):
            return super().decode_batch(requests)
        wire_reqs = [self._wire_request(r.state, r.prompts, r.memory) for r in requests]
        reply = self._request({"op": "decode_batch", "requests": wire_reqs})
        preds = reply.get("predictions")
        if not isinstance(preds, list) or len(preds) != len(requests):
            raise RemoteWorkerError(f"remote: decode_batch answered {type(preds).__name__} for "
                                    f"{len(requests)} requests")
        return [self._prediction(p) for p in preds]

    def set_target(self, gt: np.ndarray) -> None:
        self._request({"op": "set_target", "gt": np.asarray(gt, bool)})

    def set_categories(self, categories: list[dict[str, Any]]) -> None:
        cats = [{"id": int(c["id"]), "name": str(c["name"]), "isthing": int(c.get("isthing", 1))}
                for c in categories]
        if cats != getattr(self, "_categories_sent", None):
            self._request({"op": "set_categories", "categories": cats})
            self._categories_sent = cats

    def close(self) -> None:
        if self._closed:
            return
        try:
            self._request({"op": "close"})
        except SeemBenchError:
            pass
        finally:
            self._closed = True
            for f in (self._w, self._r):
                try:
                    f.close()
                except OSError:
                    pass
            if self._sock is not None:
                self._sock.close()
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()

    def __del__(self) -> None:
        # A harness that forgot close() must not leave a worker process behind.
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None and not getattr(self, "_closed", True):
            proc.kill()

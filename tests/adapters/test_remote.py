"""The remote model bridge: wire format, worker session, and real worker processes.

The decisive checks: a run through a second Python process serving a baseline gives records
identical (timings aside) to the in-process run of the same baseline; a model served by a worker
receives `Prompts` identical, field by field and array by array, to the harness's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from adapter_helpers import random_image

from seem_bench.adapters import remote_worker as wire
from seem_bench.adapters.registry import build_model
from seem_bench.adapters.remote import (
    RemoteModelError,
    RemoteWorkerError,
    prompts_to_wire,
    worker_path,
)
from seem_bench.errors import SeemBenchError, UsageError
from seem_bench.prompts.types import Box, Click, Polygon, Prompts, RefImage, Scribble
from seem_bench.runner import RunConfig, load_records, run, strip_timings
from seem_bench.tasks import get_task

WORKER = str(worker_path())


def _roundtrip(body):
    buf = io.BytesIO()
    wire.write_message(buf, body)
    buf.seek(0)
    out = wire.read_message(buf)
    assert wire.read_message(buf) is None  # clean end of stream
    return out


def test_wire_round_trip_is_exact_for_dtypes_and_shapes():
    arrays = {"b": np.array([[True, False]]), "u8": random_image(3, 4), "f4": np.float32([1.5, -0.0, np.inf]),
              "be": np.arange(3, dtype=">i4"), "f8": np.zeros((0, 2)), "s": np.float64(2.0)}
    out = _roundtrip({"arrays": arrays, "n": None, "t": (1, "x")})
    for k in ("b", "u8", "f4", "be", "f8"):
        assert out["arrays"][k].dtype == arrays[k].dtype and out["arrays"][k].shape == arrays[k].shape
        np.testing.assert_array_equal(out["arrays"][k], arrays[k])
    assert out["arrays"]["s"] == 2.0 and out["t"] == [1, "x"] and out["n"] is None
    out["arrays"]["u8"][0, 0, 0] = 7  # received arrays are writable
    non_contig = np.arange(12).reshape(3, 4).T
    np.testing.assert_array_equal(_roundtrip(non_contig), non_contig)


def test_wire_rejects_garbage_and_truncation():
    with pytest.raises(wire.ProtocolError, match="does not start"):
        wire.read_message(io.BytesIO(b"hello world, not a frame"))
    buf = io.BytesIO()
    wire.write_message(buf, {"x": np.zeros(100)})
    with pytest.raises(wire.ProtocolError, match="ended inside"):
        wire.read_message(io.BytesIO(buf.getvalue()[:-8]))
    with pytest.raises(wire.ProtocolError):
        wire.write_message(io.BytesIO(), {"x": object()})


def _canon(v):
    """Every field of a (nested) dataclass, compare=False ones included; arrays by dtype, shape, bytes."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {"$type": type(v).__name__, **{f.name: _canon(getattr(v, f.name)) for f in dataclasses.fields(v)}}
    if isinstance(v, np.ndarray):
        return {"$nd": [v.dtype.str, list(v.shape), hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()]}
    if isinstance(v, (list, tuple)):
        return [_canon(x) for x in v]
    return [type(v).__name__, v]


def _digest(prompts):
    return hashlib.sha256(json.dumps(_canon(prompts), sort_keys=True).encode()).hexdigest()


def _full_prompts():
    """`Prompts` with every field set away from its default (checked: a new field must be added here)."""
    rng = np.random.default_rng(3)
    p = Prompts(clicks=[Click(3, 4, True), Click(0, 9, False)], click_radius=1, box=Box(1.5, 2.0, 30.0, 40.0),
                scribbles=[Scribble(np.array([[1.25, 2.0], [3, 4]]), False, mask=rng.random((6, 7)) > 0.5),
                           Scribble(np.array([[0.0, 1.0], [2, 2], [5, 5]]))],
                polygons=[Polygon(np.array([[0.0, 0], [5, 0], [5, 5]]), mask=rng.random((6, 7)) > 0.7),
                          Polygon(np.array([[1.0, 1], [4, 1], [4, 4]]), positive=False)],
                text="the dog", ref_image=RefImage(random_image(4, 5), np.eye(4, 5, dtype=bool), "s/1"))
    default = Prompts()
    for f in dataclasses.fields(Prompts):
        assert _canon(getattr(p, f.name)) != _canon(getattr(default, f.name)), f"set Prompts.{f.name} here"
    return p


def test_prompts_survive_the_wire_exactly():
    p = _full_prompts()
    wired = prompts_to_wire(p)
    assert set(wired) == {f.name for f in dataclasses.fields(Prompts)}
    back = wire.wire_to_prompts(_roundtrip(wired))
    assert _digest(back) == _digest(p) and _canon(back) == _canon(p)
    assert back.click_radius == 1 and back.scribbles[0].positive is False and back.scribbles[1].mask is None
    np.testing.assert_array_equal(back.polygons[0].mask, p.polygons[0].mask)
    assert _digest(wire.wire_to_prompts(_roundtrip(prompts_to_wire(Prompts())))) == _digest(Prompts())
    # A prompt field the worker's seem-bench does not know is refused, not dropped (empty ones pass).
    assert wire.wire_to_prompts({**prompts_to_wire(Prompts()), "future": None}).kinds() == set()
    with pytest.raises(wire.ProtocolError, match="future"):
        wire.wire_to_prompts({**prompts_to_wire(Prompts()), "future": [1]})


_ECHO_MODULE = """
import dataclasses
import hashlib
import json

import numpy as np

from seem_bench.adapters.base import Adapter, Capabilities, Prediction
from seem_bench.adapters.registry import MODELS
from seem_bench.adapters.remote_worker import _SeemBenchModel


{canon}

{digest}

class EchoAdapter(Adapter):
    name = "echo"
    capabilities = Capabilities({{"interactive"}}, {{"point", "box", "scribble", "polygon", "text", "ref_image"}},
                                composition=True, memory=True)

    def encode(self, image):
        return image.shape[:2]

    def decode(self, state, prompts, memory=None):
        cands = [np.zeros(state, bool), np.ones(state, bool)]
        return Prediction(mask=cands[0], memory=("mem", len(prompts.clicks)),
                          extra={{"digest": _digest(prompts), "memory_seen": repr(memory), "candidates": cands,
                                 "candidate_memory": [("cand", 0), ("cand", 1)]}})


class Model(_SeemBenchModel):
    # served as `--model echo` would be: the worker turns the wire dict back into Prompts
    def __init__(self):
        MODELS.register("echo", EchoAdapter)
        super().__init__("echo")
"""


def test_worker_side_model_receives_identical_prompts(tmp_path):
    (tmp_path / "echo_model.py").write_text(
        _ECHO_MODULE.format(canon=inspect.getsource(_canon), digest=inspect.getsource(_digest)))
    copy = tmp_path / "remote_worker.py"
    copy.write_text(Path(WORKER).read_text())
    model = build_model("remote", command=f"{sys.executable} {copy} --adapter echo_model:Model")
    try:
        state = model.encode(random_image(6, 7))
        for p in (_full_prompts(), Prompts(clicks=[Click(1, 2, True)])):
            out = model.decode(state, p)
            assert out.extra["digest"] == _digest(p)
        # Candidate memories stay in the worker behind handles and can be fed back (output=oracle).
        handles = out.extra["candidate_memory"]
        assert [type(h).__name__ for h in handles] == ["RemoteHandle", "RemoteHandle"]
        assert len(out.extra["candidates"]) == 2 and out.extra["candidates"][1].all()
        again = model.decode(state, p, handles[1])
        assert again.extra["memory_seen"] == repr(("cand", 1))
    finally:
        model.close()
    assert model._proc.returncode == 0


class _Toy:
    name = "toy"
    capabilities = {"tasks": ["interactive"], "prompts": ["point"], "composition": False, "memory": True}

    def encode(self, image):
        return image.shape[:2]

    def decode(self, state, prompts, memory):
        if prompts["clicks"][-1][0] < 0:
            raise ValueError("negative x")
        return {"mask": np.ones(state, bool), "memory": ("m", len(prompts["clicks"]))}


def test_session_handles_and_errors_in_process():
    s = wire.Session(_Toy())
    assert s.handle({"op": "hello", "protocol": wire.PROTOCOL, "version": wire.VERSION})["ok"]
    bad = s.handle({"op": "hello", "protocol": wire.PROTOCOL, "version": 99})
    assert not bad["ok"] and bad["where"] == "protocol" and "v99" in bad["error"]
    st = s.handle({"op": "encode", "image": random_image(3, 4)})["state"]
    r = s.handle({"op": "decode", "state": st, "prompts": {"clicks": [[1, 1, 1]]}, "memory": None})
    assert r["ok"] and r["prediction"]["mask"].shape == (3, 4) and r["prediction"]["memory"] is not None
    err = s.handle({"op": "decode", "state": st, "prompts": {"clicks": [[-1, 1, 1]]}, "memory": None})
    assert not err["ok"] and err["where"] == "model" and err["error"] == "ValueError: negative x"
    assert "Traceback" in err["traceback"]
    assert len(s.objects) == 2
    s.handle({"op": "close", "free": [st, r["prediction"]["memory"]]})
    assert s.objects == {}
    gone = s.handle({"op": "decode", "state": st, "prompts": {"clicks": [[1, 1, 1]]}})
    assert not gone["ok"] and "unknown state handle" in gone["error"]


class _ToyBatch(_Toy):
    def decode_batch(self, items):
        if any(p["clicks"][-1][0] < 0 for _, p, _ in items):
            return []  # a wrong answer: one prediction short
        return [dict(self.decode(st, p, m), score=float(i)) for i, (st, p, m) in enumerate(items)]


def test_session_decode_batch_is_offered_only_by_batching_models():
    plain = wire.Session(_Toy())
    assert plain.handle({"op": "hello", "protocol": wire.PROTOCOL, "version": wire.VERSION})["model"][
        "decode_batch"] is False
    st = plain.handle({"op": "encode", "image": random_image(3, 4)})["state"]
    no = plain.handle({"op": "decode_batch", "requests": [{"state": st, "prompts": {"clicks": [[1, 1, 1]]}}]})
    assert not no["ok"] and no["where"] == "protocol" and "no decode_batch" in no["error"]
    s = wire.Session(_ToyBatch())
    assert s.handle({"op": "hello", "protocol": wire.PROTOCOL, "version": wire.VERSION})["model"]["decode_batch"]
    st = s.handle({"op": "encode", "image": random_image(3, 4)})["state"]
    reqs = [{"state": st, "prompts": {"clicks": [[1, 1, 1]] * (k + 1)}, "memory": None} for k in range(3)]
    r = s.handle({"op": "decode_batch", "requests": reqs})
    assert r["ok"] and [p["score"] for p in r["predictions"]] == [0.0, 1.0, 2.0]
    mems = [p["memory"] for p in r["predictions"]]
    assert len(set(mems)) == 3 and [s.objects[m] for m in mems] == [("m", 1), ("m", 2), ("m", 3)]
    again = s.handle({"op": "decode_batch", "requests": [{"state": st, "prompts": {"clicks": [[1, 1, 1]]},
                                                          "memory": mems[0]}]})
    assert again["ok"] and len(again["predictions"]) == 1
    short = s.handle({"op": "decode_batch", "requests": [{"state": st, "prompts": {"clicks": [[-1, 1, 1]]}}]})
    assert not short["ok"] and short["where"] == "model" and "list of 1 predictions" in short["error"]


def test_remote_decode_batch_is_one_request_with_the_in_process_answers():
    """A served seem-bench model offers decode_batch: one request per call, same masks."""
    from seem_bench.adapters.base import DecodeRequest

    local = build_model("disks")
    remote = build_model("remote", command=f"{sys.executable} {WORKER} --model disks")
    try:
        assert remote.batched and remote.capabilities.max_batch == 64
        ops = []
        send = remote._request
        remote._request = lambda body: (ops.append(body["op"]), send(body))[1]
        img = random_image(40, 50)
        st_r, st_l = remote.encode(img), local.encode(img)
        prompts = [Prompts(clicks=[Click(5 + 7 * k, 9, True), Click(30, 20 + k, k % 2 == 0)]) for k in range(4)]
        got = remote.decode_batch([DecodeRequest(st_r, p) for p in prompts])
        want = local.decode_batch([DecodeRequest(st_l, p) for p in prompts])
        assert ops == ["encode", "decode_batch"]
        assert all(np.array_equal(g.mask, w.mask) for g, w in zip(got, want, strict=True))
    finally:
        remote.close()


def _interactive(rounds: int):
    return get_task("interactive").with_overrides([f"max_rounds={rounds}"])


def test_remote_run_records_equal_the_in_process_run(demo_root, tmp_path):
    """GrabCut with memory on, through a real worker process, against GrabCut in process."""
    task = _interactive(4)
    kw = dict(task=task, data_root=demo_root, limit=3, progress=False)
    run(RunConfig(model="grabcut", out_dir=tmp_path / "local", **kw))
    summary = run(RunConfig(model="remote", model_options={"command": f"{sys.executable} {WORKER} --model grabcut"},
                            out_dir=tmp_path / "remote", **kw))
    skip = {"run_id", "fingerprint"}
    local = [{k: v for k, v in strip_timings(r).items() if k not in skip} for r in load_records(tmp_path / "local")]
    remote = [{k: v for k, v in strip_timings(r).items() if k not in skip} for r in load_records(tmp_path / "remote")]
    assert len(local) == 3 and all(r["status"] == "ok" for r in local)
    assert local == remote
    assert summary["model"]["fingerprint"]["served"]["name"] == "grabcut"


def test_duck_typed_worker_needs_no_seem_bench_and_survives_prints(tmp_path):
    mod = tmp_path / "toy_model.py"
    mod.write_text(textwrap.dedent('''
        import sys
        import numpy as np

        class Model:
            name = "toy"
            capabilities = {"tasks": ["interactive"], "prompts": ["point"], "composition": False,
                            "memory": False}

            def __init__(self, radius="2"):
                self.r = int(radius)
                print("loading weights...")  # must not corrupt the protocol stream

            def fingerprint(self):
                return {"name": "toy", "radius": self.r}

            def encode(self, image):
                assert not any(m.startswith("seem_bench") for m in sys.modules), "worker imported seem_bench"
                return image.shape[:2]

            def decode(self, state, prompts, memory):
                print("decoding", prompts["clicks"])
                h, w = state
                yy, xx = np.mgrid[:h, :w]
                m = np.zeros((h, w), bool)
                for x, y, pos in prompts["clicks"]:
                    m |= (xx - x) ** 2 + (yy - y) ** 2 <= self.r ** 2
                if prompts["clicks"][-1][0] == 0:
                    raise ZeroDivisionError("x == 0")
                return {"mask": m, "score": 0.5}
    '''))
    # Run the copied worker file, as a user would in the model's environment.
    copy = tmp_path / "remote_worker.py"
    copy.write_text(Path(WORKER).read_text())
    # -E -s: no PYTHONPATH, no user site; the worker's own directory (with toy_model) is on sys.path.
    model = build_model("remote", command=f"{sys.executable} -E -s {copy} --adapter toy_model:Model --opt radius=1")
    try:
        assert model.fingerprint()["served"] == {"name": "toy", "radius": 1}
        assert not model.capabilities.memory and not model.uses_ground_truth
        state = model.encode(random_image(5, 6))
        out = model.decode(state, Prompts(clicks=[Click(2, 2, True)]))
        expect = np.zeros((5, 6), bool)
        expect[1:4, 2] = expect[2, 1:4] = True
        np.testing.assert_array_equal(out.mask, expect)
        assert out.score == 0.5 and out.memory is None
        with pytest.raises(RemoteModelError, match="ZeroDivisionError: x == 0") as e:
            model.decode(state, Prompts(clicks=[Click(0, 1, True)]))
        assert not isinstance(e.value, SeemBenchError)  # the runner records it and goes on
        assert model.decode(state, Prompts(clicks=[Click(1, 1, True)])).mask.sum() == 5  # still alive
        with pytest.raises(UsageError, match="does not accept box"):
            model.decode(state, Prompts(box=Box(0, 0, 2, 2)))
    finally:
        model.close()
    assert model._proc.returncode == 0


def test_socket_worker_and_dead_worker(tmp_path):
    sock = tmp_path / "w.sock"
    proc = subprocess.Popen([sys.executable, WORKER, "--model", "disks", "--listen", f"unix:{sock}", "--once"],
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.05)
        remote = build_model("remote", address=f"unix:{sock}")
        local = build_model("disks")
        img = random_image(40, 50)
        p = Prompts(clicks=[Click(10, 12, True), Click(12, 12, False)])
        np.testing.assert_array_equal(remote.decode(remote.encode(img), p).mask,
                                      local.decode(local.encode(img), p).mask)
        remote.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(RemoteWorkerError, match="went away during 'hello'.*exit code 3"):
        build_model("remote", command=f"{sys.executable} -c \"raise SystemExit(3)\"")
    with pytest.raises(UsageError, match="exactly one of"):
        build_model("remote", command="x", address="unix:/nowhere")
    with pytest.raises(UsageError, match="worker's command line"):
        build_model("remote", command="x", checkpoint="w.pt")

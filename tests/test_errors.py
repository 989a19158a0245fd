"""Every exception seem-bench raises survives pickling (worker processes send them back)."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from seem_bench.adapters.remote import RemoteModelError, RemoteWorkerError
from seem_bench.errors import DataError, MissingDependencyError, SeemBenchError, UsageError

ERRORS = [SeemBenchError("a  b\nc"), UsageError("bad --set"), MissingDependencyError("no torch"),
          DataError("x/y.png", "mask PNG not found"), RemoteWorkerError("worker died")]


@pytest.mark.parametrize("err", ERRORS, ids=lambda e: type(e).__name__)
def test_round_trip_keeps_class_message_code_and_fields(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err) and back.args == err.args
    assert back.exit_code == err.exit_code and back.__dict__ == err.__dict__


def test_data_error_keeps_path_and_problem():
    back = pickle.loads(pickle.dumps(DataError("x/y.png", "truncated")))
    assert (back.path, back.problem, str(back)) == ("x/y.png", "truncated", "x/y.png: truncated")


def test_remote_model_error_keeps_the_worker_traceback():
    back = pickle.loads(pickle.dumps(RemoteModelError("ValueError: x", "Traceback ...")))
    assert (str(back), back.worker_traceback) == ("ValueError: x", "Traceback ...")


def _raise_data_error(path: str) -> None:
    raise DataError(path, "cannot read mask PNG")


def test_data_error_crosses_a_process_pool():
    with ProcessPoolExecutor(2) as pool, pytest.raises(DataError) as e:
        pool.submit(_raise_data_error, "r/seq/00002.png").result()
    assert e.value.path == "r/seq/00002.png" and str(e.value) == "r/seq/00002.png: cannot read mask PNG"

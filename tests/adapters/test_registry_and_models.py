"""The registry (names, plugins, did-you-mean), capability checks and `seem-bench models`."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import pytest

from seem_bench import registry as registry_mod
from seem_bench.adapters.base import Capabilities, check_capabilities
from seem_bench.adapters.registry import MODELS, build_model, model_class
from seem_bench.cli import main as cli_main
from seem_bench.cli.models_cmd import describe_models
from seem_bench.errors import UsageError
from seem_bench.registry import Registry

EXPECTED = {"sam_b", "sam_l", "sam_h", "sam2_t", "sam2_s", "sam2_b", "sam2_l", "seem_t", "seem_b", "seem_l",
            "seem_t_v0", "seem_l_v0", "remote", "grabcut", "random-walker", "oracle", "disks"}


def test_builtin_names_and_did_you_mean():
    assert EXPECTED <= set(MODELS.names())
    with pytest.raises(UsageError, match="Did you mean 'sam_b'"):
        model_class("sam-b")
    with pytest.raises(UsageError, match="Did you mean 'seem_t'"):
        build_model("seem-t")


def test_entry_point_plugins_are_listed_and_built(monkeypatch):
    eps = [EntryPoint(name="my-model", value="seem_bench.baselines.sanity:DisksModel", group="seem_bench.models"),
           EntryPoint(name="broken", value="no_such_package.mod:Model", group="seem_bench.models")]
    monkeypatch.setattr(registry_mod, "entry_points", lambda group: eps if group == "seem_bench.models" else [])
    reg = Registry("model", entry_point_group="seem_bench.models")
    reg.register("disks", "seem_bench.baselines.sanity:DisksModel")
    assert reg.names() == ["broken", "disks", "my-model"]
    assert reg.get("my-model").name == "disks"
    monkeypatch.setattr("seem_bench.adapters.registry.MODELS", reg)
    info = describe_models()
    assert info["my-model"]["runnable"] and not info["broken"]["runnable"]
    assert "cannot import: ModuleNotFoundError" in info["broken"]["reason"]


def test_capability_checks_class_instance_and_deferred():
    from seem_bench.baselines.sanity import DisksModel

    check_capabilities(DisksModel, "interactive", {"point"})
    with pytest.raises(UsageError, match="does not support task 'referring'"):
        check_capabilities(DisksModel(), "referring", {"text"})
    with pytest.raises(UsageError, match="has no memory prompt"):
        check_capabilities(model_class("random-walker"), "interactive", {"point"}, memory=True)
    with pytest.raises(UsageError, match="does not accept text"):
        check_capabilities(model_class("sam_b"), "interactive", {"point", "text"})

    class TextOrPoint(DisksModel):
        name = "text-or-point"
        capabilities = Capabilities({"interactive"}, {"point", "text"}, composition=False)

    check_capabilities(TextOrPoint, "interactive", {"text"})
    with pytest.raises(UsageError, match="cannot compose text with point"):
        check_capabilities(TextOrPoint, "interactive", {"point", "text"})
    remote_cls = model_class("remote")
    check_capabilities(remote_cls, "referring", {"text"})  # deferred: decided by the worker
    assert Capabilities.from_json(Capabilities({"a"}, {"point"}, memory=True).to_json()) == \
        Capabilities({"a"}, {"point"}, memory=True)
    assert remote_cls.capabilities.to_json()["deferred"] is True


def test_models_tells_what_is_runnable(tiny_sam_checkpoint, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SEEM_BENCH_SEEM_ENV", str(tmp_path / "no-seem-env"))  # SEEM: test_seem_real.py
    info = describe_models(checkpoint=str(tiny_sam_checkpoint))
    assert EXPECTED <= set(info)
    for name in ("grabcut", "random-walker", "oracle", "disks"):
        assert info[name]["runnable"], name
    # The tiny file is not a ViT-B: sam_b is not runnable with it as is, but is with arch=auto.
    assert not info["sam_b"]["runnable"] and "not SAM vit_b" in info["sam_b"]["reason"]
    assert describe_models(["sam_b"], checkpoint=str(tiny_sam_checkpoint), arch="auto")["sam_b"]["runnable"]
    assert info["sam_b"]["checkpoint"] == str(tiny_sam_checkpoint)
    for name in ("seem_t", "seem_b", "seem_l", "seem_t_v0", "seem_l_v0"):
        assert not info[name]["runnable"] and "scripts/seem_env.sh" in info[name]["reason"]
    assert not info["remote"]["runnable"] and "command=" in info["remote"]["reason"]
    assert info["oracle"]["uses_ground_truth"] and not info["grabcut"]["uses_ground_truth"]
    # Without any checkpoint SAM says where it looked.
    bare = describe_models(["sam_h"])["sam_h"]
    assert not bare["runnable"] and "sam_vit_h_4b8939.pth" in bare["reason"]
    assert cli_main(["models", "--json", "sam_b", "--checkpoint", str(tiny_sam_checkpoint),
                     "--model-opt", "arch=auto"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sam_b"]["runnable"] and out["sam_b"]["tasks"] == ["interactive"]
    assert out["sam_b"]["prompts"] == ["box", "point"] and out["sam_b"]["memory"] is True
    assert cli_main(["models", "no-such-model"]) == 2


def test_register_refuses_a_name_collision():
    reg = Registry("model")
    reg.register("disks", "seem_bench.baselines.sanity:DisksModel")
    reg.register("disks", "seem_bench.baselines.sanity:DisksModel")  # the same entry again: fine
    with pytest.raises(UsageError, match="model 'disks' is already registered .*sanity:DisksModel.*"
                                         "cannot register other.mod:Model"):
        reg.register("disks", "other.mod:Model")
    assert reg.raw("disks") == "seem_bench.baselines.sanity:DisksModel"

"""The referring loop hands all sentences of an image to one `Adapter.decode_batch` call.

That is what lets SEEM's ``grounding_batch=image`` decode them in one pass, as SEEM's evaluator
does (tests/adapters/test_seem_grounding_fidelity.py); adapters without a batched text decode
(the default `decode_batch`) keep their one-decode-per-sentence records.
"""

from __future__ import annotations

from seem_bench.baselines.sanity import NoisyOracleModel

from seem_bench.data.registry import load_dataset
from seem_bench.loops.referring import ReferringKind
from seem_bench.prompts.types import Prompts
from seem_bench.tasks import get_task


class _Recording(NoisyOracleModel):
    """The noisy oracle, recording each decode_batch call's texts."""

    def __init__(self, **options):
        super().__init__(**options)
        self.calls: list[list[str]] = []

    def decode_batch(self, requests):
        self.calls.append([r.prompts.text for r in requests])
        return super().decode_batch(requests)


def test_one_decode_batch_call_per_image_in_ref_order_same_records(demo_root):
    ds = load_dataset("refcoco", demo_root / "refer", "val")
    task = get_task("referring").with_overrides(["sentences=all-sentences"])
    kind = ReferringKind()
    model = _Recording()
    for sample in ds.samples[:3]:
        before = len(model.calls)
        recs = kind.run_sample(model, model.encode, sample, task, 0)
        assert len(model.calls) == before + 1  # one call for the whole image
        assert model.calls[-1] == [r["sentence"] for r in recs]
        assert [r["unit"] for r in recs] == kind.units(sample, task)  # ref order, then sentence order
        # the same records as one decode per sentence (set_target + decode, the old loop)
        for inst in sample.instances:
            model.set_target(inst.mask())
            for r in (r for r in recs if r["instance_id"] == inst.instance_id):
                pred = model.decode(model.encode(sample.image()), Prompts(text=r["sentence"])).binary(0.5)
                gt = inst.mask()
                assert (r["intersection"], r["union"]) == (int((gt & pred).sum()), int((gt | pred).sum()))

"""Referenced-image (exemplar) prompts: which other image and mask stand for an object.

- COCO (`ExemplarIndex`): the exemplar of an object is an instance of the *same category* from a
  *different image*, crowd instances excluded. Candidates are sorted by (sample id, instance id)
  and one is drawn with ``prompt_rng(seed, sample_id, instance_id, 0).integers(n)``: a fixed
  choice for a given seed on any machine, independent of sample order or sharding. An object
  whose category appears in no other image has no exemplar (`select_exemplar` raises
  `NoExemplarError`, naming the category).
- DAVIS (`first_frame_reference`): frame 0 of the sequence and the object's mask there; every
  later frame is segmented from it (SEEM's demo: frames independent, no temporal memory).

>>> from seem_bench.data.types import Instance, Sample
>>> import numpy as np
>>> mk = lambda sid, iid, cat: Instance(iid, lambda: np.ones((2, 2), bool), category_id=cat)
>>> s = [Sample(f"img{i}", "demo", None, 2, 2, (mk(f"img{i}", "a", 1),)) for i in range(3)]
>>> idx = ExemplarIndex(s)
>>> idx.choose(s[0], s[0].instances[0], seed=0)[0].sample_id in ("img1", "img2")
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError
from seem_bench.prompts.seeding import prompt_rng
from seem_bench.prompts.types import RefImage


class ExemplarIndex:
    """Category -> candidate exemplars over a dataset's samples (built once, O(instances))."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        by_cat: dict[object, list[tuple[str, str, Sample, Instance]]] = defaultdict(list)
        for s in samples:
            for inst in s.instances:
                if inst.category_id is not None and not inst.iscrowd:
                    by_cat[inst.category_id].append((s.sample_id, inst.instance_id, s, inst))
        self._by_cat = {c: sorted(v, key=lambda t: (t[0], t[1])) for c, v in by_cat.items()}

    def candidates(self, sample: Sample, inst: Instance) -> list[tuple[Sample, Instance]]:
        """Same-category, non-crowd instances of other images, sorted by (sample, instance) id."""
        return [(s, i) for sid, _, s, i in self._by_cat.get(inst.category_id, ())
                if sid != sample.sample_id]

    def choose(self, sample: Sample, inst: Instance, seed: int) -> tuple[Sample, Instance] | None:
        """The exemplar of ``inst`` (see module docstring), or ``None`` if there is none."""
        cands = self.candidates(sample, inst)
        if not cands:
            return None
        rng = prompt_rng(seed, sample.sample_id, inst.instance_id, 0)
        return cands[int(rng.integers(len(cands)))]

    def ref_image(self, sample: Sample, inst: Instance, seed: int) -> RefImage | None:
        """The chosen exemplar loaded as a `RefImage` (image and mask read now)."""
        chosen = self.choose(sample, inst, seed)
        if chosen is None:
            return None
        s, i = chosen
        return RefImage(image=s.image(), mask=i.mask(), source=f"{s.sample_id}/{i.instance_id}")


class NoExemplarError(LookupError):
    """No other image holds an instance of the object's category."""


_LAST_INDEX: tuple[Dataset, ExemplarIndex] | None = None


def select_exemplar(dataset: Dataset, sample: Sample, inst: Instance, *, seed: int
                    ) -> tuple[Sample, Instance]:
    """The exemplar ``(sample, instance)`` of ``inst`` over ``dataset`` (index built once per
    dataset object and kept for the next call)."""
    global _LAST_INDEX
    if _LAST_INDEX is None or _LAST_INDEX[0] is not dataset:
        _LAST_INDEX = (dataset, ExemplarIndex(dataset.samples))
    chosen = _LAST_INDEX[1].choose(sample, inst, seed)
    if chosen is None:
        raise NoExemplarError(f"no exemplar for {sample.sample_id}/{inst.instance_id}: category "
                              f"{inst.category_id} appears in no other image")
    return chosen


def first_frame_reference(video: Sample, instance_id: str) -> RefImage:
    """DAVIS: frame 0 of ``video`` and object ``instance_id``'s mask on it."""
    if not video.frames:
        raise DataError(video.image_path or video.sample_id, "not a video sample (no frames)")
    first = video.frames[0]
    for inst in first.instances:
        if inst.instance_id == instance_id:
            mask = inst.mask()
            if not mask.any():
                raise DataError(first.image_path or first.sample_id,
                                f"object {instance_id} is absent from the first frame")
            return RefImage(image=first.image(), mask=mask, source=f"{first.sample_id}/{instance_id}")
    raise DataError(first.image_path or first.sample_id, f"first frame has no object {instance_id!r}")

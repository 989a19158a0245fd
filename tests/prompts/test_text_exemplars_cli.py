"""Sentence rules, class text, exemplar selection, and the ``protocols`` verb."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from seem_bench.cli import main as cli_main
from seem_bench.data.types import Dataset, Instance, Sample
from seem_bench.errors import DataError, UsageError
from seem_bench.prompts.exemplars import (
    ExemplarIndex,
    NoExemplarError,
    first_frame_reference,
    select_exemplar,
)
from seem_bench.prompts.text import select_sentences, text_for


def test_sentence_rules():
    sents = ["The man on the LEFT", "left guy", "person in red"]
    assert select_sentences(sents, "all-sentences") == [(0, sents[0]), (1, "left guy"), (2, "person in red")]
    assert select_sentences(sents, "first-sentence") == [(0, "the man on the left")]
    assert select_sentences([], "first-sentence") == []
    with pytest.raises(UsageError, match="unknown sentence rule"):
        select_sentences(sents, "random-sentence")


def test_text_for_modes():
    inst = Instance("1", lambda: None, category_id=3, sentences=("A Cat",), meta={"category_name": "cat"})
    assert text_for(inst, "none") is None
    assert text_for(inst, "class") == "cat."
    assert text_for(inst, "class", {"3": "kitty"}) == "kitty."
    assert text_for(inst, "sentence") == "a cat"
    chosen = Instance("1", lambda: None, sentences=("A Cat", "b"), meta={"sentence": "b"})
    assert text_for(chosen, "sentence") == "b"
    with pytest.raises(UsageError, match="unknown text mode"):
        text_for(inst, "caption")


def _mask(v):
    return np.full((2, 2), v, bool)


def _coco_like():
    samples = []
    for i, cats in enumerate([(1, 2), (1,), (2, 2), (1, 3)]):
        insts = tuple(Instance(f"a{i}{k}", partial(_mask, True), category_id=c, iscrowd=(i, k) == (3, 0))
                      for k, c in enumerate(cats))
        samples.append(Sample(f"img{i}", "coco", partial(np.zeros, (2, 2, 3), np.uint8), 2, 2, insts))
    return samples


def test_exemplar_same_category_other_image_non_crowd_seeded():
    samples = _coco_like()
    idx = ExemplarIndex(samples)
    s0, i0 = samples[0], samples[0].instances[0]  # category 1 in img0
    cands = [(s.sample_id, i.instance_id) for s, i in idx.candidates(s0, i0)]
    assert cands == [("img1", "a10")]  # img3's category-1 instance is a crowd
    s2, i2 = samples[2], samples[2].instances[0]  # category 2 in img2: only img0 elsewhere
    assert [(s.sample_id, i.instance_id) for s, i in idx.candidates(s2, i2)] == [("img0", "a01")]
    picks = {idx.choose(samples[1], samples[1].instances[0], seed)[0].sample_id for seed in range(40)}
    assert picks == {"img0"}  # img3's is a crowd: the only candidate
    s0b = samples[0].instances[1]  # category 2 from img0: candidates img2 (two instances)
    chosen = {idx.choose(samples[0], s0b, seed)[1].instance_id for seed in range(60)}
    assert chosen == {"a20", "a21"}  # seeded uniform over both
    assert idx.choose(samples[0], s0b, 5) == idx.choose(samples[0], s0b, 5)
    ds = Dataset("coco", None, None, samples)
    with pytest.raises(NoExemplarError, match="category 3"):
        select_exemplar(ds, samples[3], samples[3].instances[1], seed=0)
    ref = idx.ref_image(samples[0], i0, 0)
    assert ref.source == "img1/a10" and ref.mask.all()


def test_davis_first_frame_reference():
    def frame(i, present):
        inst = Instance("1", partial(_mask, present))
        return Sample(f"seq/{i:05d}", "davis", partial(np.full, (2, 2, 3), i, np.uint8), 2, 2, (inst,))

    video = Sample("seq", "davis", None, 2, 2, frames=(frame(0, True), frame(1, True)))
    ref = first_frame_reference(video, "1")
    assert ref.source == "seq/00000/1" and ref.image.max() == 0 and ref.mask.all()
    with pytest.raises(DataError, match="no object '2'"):
        first_frame_reference(video, "2")
    absent = Sample("seq", "davis", None, 2, 2, frames=(frame(0, False),))
    with pytest.raises(DataError, match="absent from the first frame"):
        first_frame_reference(absent, "1")


def test_protocols_verb(capsys):
    assert cli_main(["protocols", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info["click"]) == {"ritm", "seem", "seem-kornia", "seem-official", "sam", "sam-random"}
    assert set(info["first_prompt"]) == {"box", "box-jitter", "seem-box", "davis-robot",
                                         "davis-robot-0.15", "seem-scribble", "polygon"}
    assert info["click"]["seem"]["params"]["click_stop_iou"] == 0.925
    assert info["click"]["seem-kornia"]["params"]["dt"] == "kornia"
    assert info["click"]["seem-official"]["params"]["batch_size"] == 5
    assert info["first_prompt"]["davis-robot-0.15"]["params"] == {"kernel_size": 0.15}
    assert cli_main(["protocols"]) == 0
    assert "seem-box v1 [box -> point]" in capsys.readouterr().out

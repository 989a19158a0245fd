"""The interactive loop: protocol step -> adapter decode -> IoU -> record, per round.

Hot path. The image is encoded once per sample by the runner; here each round costs one prompt
simulation (one or two distance transforms), one decode and one IoU per object.

All objects of a sample (and, with ``--batch-size B``, of B samples) advance together, round
by round, with one batched decode per round (`SampleRun` + `seem_bench.loops.lockstep`). SEEM's
evaluator couples the objects of an image: it decodes every object each round and stops the
image once *every* object has IoU > 0.9, carrying the last IoU over to the remaining rounds.
Other protocols do not look across objects, so for them the interleaving changes nothing; the
per-object protocol state lives in `ObjectState`.

Per round and object:

1. Round 1: the first prompt of kind ``first_prompt`` (``point`` = the protocol's first click;
   ``box | scribble | polygon`` = the `FIRST_PROMPTS` simulator ``first_prompt_protocol``),
   plus the composed text (``text = none | class | sentence``). Rounds >= 2: one click.
2. No new click when the protocol's ``click_stop_iou`` is reached (SEEM: IoU >= 0.925, compared
   in float32 as SEEM's torch code does; that IoU is against the click target, which is the
   filled box after ``seem-box``, with ignore pixels *not* excluded, as SEEM computes it on
   binary instance masks), or when ``negatives=off`` leaves no false negative.
   The object is still decoded that round (SEEM decodes the whole batch every iteration).
3. Decode with every prompt so far; ``memory=on`` passes the previous round's
   ``Prediction.memory``. Binary mask = ``prob > pred_thr`` when the model gives ``prob``.
   ``output=oracle`` (``sam``): the best of ``Prediction.extra["candidates"]`` by IoU with the
   GT (first on ties); its memory is ``extra["candidate_memory"][best]`` when given.
   ``output=first``: the first candidate; ``top`` (= ``best-score``): ``Prediction.mask``.
4. IoU with ignore pixels excluded (`mask_iou`). ``iou_target`` stops that object once reached.
5. Image stop (``image_stop_iou``, SEEM 0.9): after a round in which every object of the sample
   has float32 IoU > 0.9 (`seem_image_iou`: an empty union is NaN, which never stops), every
   object gets the remaining rounds up to ``max_rounds`` as repeats of its last IoU
   (``prompt = {"repeat": "image_stop_iou"}``, ``model_s = 0``).

With ``save_masks`` (``run --save-masks final|all``) the record holds the object's final
predicted mask as COCO RLE (``"mask"``), and with ``all`` every round record its own ``"mask"``:
what `seem-bench plot --samples` draws (reports never re-run the model).

Round records: ``{"round", "prompt", "iou", "model_s"}`` where ``prompt`` is what the round
added: ``{"click": [x, y, positive]}``, ``{"box": [...]}``, ``{"scribbles": [...]}``,
``{"polygon": {...}}``, ``{"text": "..."}``, ``{"skip": reason}`` for a round without a new
prompt, ``{"fallback": reason}`` when a first-prompt simulator gave nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from seem_bench.adapters.base import Adapter, DecodeRequest, Prediction
from seem_bench.data.types import Instance, Sample
from seem_bench.errors import UsageError
from seem_bench.loops.lockstep import lockstep
from seem_bench.metrics.detection import encode_mask
from seem_bench.metrics.iou import mask_iou
from seem_bench.params import InteractiveParams
from seem_bench.prompts.distance import box_union, mask_box
from seem_bench.prompts.first import FIRST_PROMPTS, default_first_prompt
from seem_bench.prompts.protocols import ClickProtocol
from seem_bench.prompts.sampling import Sampling, sampling_from
from seem_bench.prompts.seeding import prompt_rng
from seem_bench.prompts.text import text_for
from seem_bench.prompts.types import Click, Prompts
from seem_bench.schema import InstanceRecord, RoundRecord


def _f32_ge(a: float, b: float) -> bool:
    return bool(np.float32(a) >= np.float32(b))


def seem_keep_iou(target: np.ndarray, pred: np.ndarray) -> np.float32:
    """IoU as SEEM's ``prepare_next_spaital_mask`` computes it for the 0.925 keep rule.

    ``I / (U + 1e-8)`` on binary masks (void not excluded) in float32: ``1e-8`` vanishes
    against ``U >= 1`` in float32, so this is ``float32(I) / float32(U)``, and 0 when ``U = 0``
    (where `mask_iou` would say 1).
    """
    inter = np.float32(np.count_nonzero(target & pred))
    union = np.float32(np.count_nonzero(target | pred)) + np.float32(1e-8)
    return np.float32(inter / union)


def seem_image_iou(gt: np.ndarray, pred: np.ndarray, ignore: np.ndarray | None) -> np.float32:
    """IoU as SEEM's ``get_iou`` computes it for the image stop: ``I / U`` in float32 with void
    excluded, NaN (never > 0.9) for an empty union where `mask_iou` would say 1."""
    valid = np.ones_like(gt) if ignore is None else ~ignore
    inter = np.count_nonzero(gt & pred & valid)
    union = np.count_nonzero((gt | pred) & valid)
    return np.float32(np.nan) if union == 0 else np.float32(inter) / np.float32(union)


@dataclass
class LoopConfig:
    """Effective loop settings: protocol defaults updated by the task's ``params``."""

    max_rounds: int
    iou_target: float | None
    pred_thr: float
    memory: bool
    negatives: bool
    first_prompt: str
    first_sim: str | None
    text: str | None
    class_names: dict[Any, str] | None
    output: str
    click_stop_iou: float | None
    image_stop_iou: float | None
    blob_radius: int
    save_masks: str | None = None  # None | "final" | "all": predicted masks as COCO RLE in the record
    sampling: Sampling | None = None  # sampled clicks (draws >= 1); None = deterministic
    options: dict[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def build(cls, protocol: ClickProtocol, params: dict[str, Any]) -> LoopConfig:
        """One source for every setting: the kind's declared parameters (`InteractiveParams`,
        defaults and types) and the protocol's own options, both updated by ``params``. The
        clicker and the prompts given to the model read the same ``blob_radius`` from here."""
        declared = InteractiveParams.declared()
        loop = InteractiveParams.from_params({k: v for k, v in params.items() if k in declared},
                                             f"protocol {protocol.name!r}")
        opts = {**protocol.options({k: v for k, v in params.items() if k not in declared}),
                **loop.to_dict()}
        kind = str(opts.get("first_prompt") or "point")
        sim = loop.first_prompt_protocol or default_first_prompt(kind, protocol.name)
        if kind == "point" and sim:
            raise UsageError(f"first_prompt_protocol {sim!r} needs first_prompt box, scribble "
                             "or polygon, not point")
        if sim is not None and FIRST_PROMPTS.get(sim).kind != kind:
            raise UsageError(f"first_prompt_protocol {sim!r} makes {FIRST_PROMPTS.get(sim).kind} "
                             f"prompts, but first_prompt is {kind!r}")
        return cls(
            max_rounds=loop.max_rounds, iou_target=loop.iou_target,
            pred_thr=float(opts.get("pred_thr", 0.5)), memory=loop.memory,
            negatives=loop.negatives, first_prompt=kind, first_sim=sim,
            text=loop.text, class_names=opts.get("class_names"), output=loop.output,
            click_stop_iou=opts.get("click_stop_iou"), image_stop_iou=opts.get("image_stop_iou"),
            blob_radius=int(opts.get("blob_radius", 0)), save_masks=loop.save_masks,
            sampling=sampling_from(opts), options=opts)


@dataclass
class ObjectState:
    """One object's protocol state across rounds (everything a click decision depends on).

    Kept per object, never per image, so that a lockstep batch can interleave any objects: the
    order in which objects are stepped does not change any object's record.
    """

    inst: Instance
    gt: np.ndarray
    ignore: np.ndarray | None
    prompts: Prompts
    target: np.ndarray  # what clicks aim at: the GT, or the filled box after seem-box
    rng_key: tuple  # (seed, sample_id, instance_id, draw): seeds the prompts
    prompted: np.ndarray | None = None
    pred: np.ndarray | None = None
    memory: Any = None
    rounds: list[RoundRecord] = field(default_factory=list)
    target_iou: float = 0.0
    done: bool = False
    added: dict[str, Any] = field(default_factory=dict)  # this round's prompt record entry
    candidates: list[Click] = field(default_factory=list)  # worst-of-M: this round's clicks
    # (r0, r1, c0, c1) boxes: ``box`` holds the GT and the click target, ``win`` also the last
    # prediction. Every per-click count and transform runs on ``win``: outside it the GT, the
    # target and the prediction are all empty, so no FN/FP pixel, intersection or union pixel
    # lies there (ignore and prompted pixels only ever subtract from those), and the numbers are
    # the full frame's. An empty box is the 1x1 crop at (0, 0) (all-empty: same answers).
    box: tuple[int, int, int, int] = (0, 1, 0, 1)
    win: tuple[int, int, int, int] = (0, 1, 0, 1)

    def set_box(self) -> None:
        """Recompute ``box`` from the GT and the target (after the first prompt may set it)."""
        target = None if self.target is self.gt else mask_box(self.target)
        self.box = box_union(mask_box(self.gt), target) or (0, 1, 0, 1)
        self.win = self.box

    def crop(self, a: np.ndarray | None, box: tuple[int, int, int, int] | None = None
             ) -> np.ndarray | None:
        """``a`` (an (H, W) mask of this object, or ``None``) cut to ``box`` (default ``win``)."""
        r0, r1, c0, c1 = self.win if box is None else box
        return None if a is None else a[r0:r1, c0:c1]


def _choose_output(out: Prediction, gt: np.ndarray, ignore: np.ndarray | None, cfg: LoopConfig
                   ) -> tuple[np.ndarray, Any]:
    if cfg.output == "oracle" and out.extra.get("candidates"):
        cands = [np.asarray(c) for c in out.extra["candidates"]]
        masks = [c > cfg.pred_thr if c.dtype.kind == "f" else c.astype(bool) for c in cands]
        best = int(np.argmax([mask_iou(gt, m, ignore) for m in masks]))
        mem = out.extra.get("candidate_memory")
        return masks[best], (mem[best] if mem is not None else out.memory)
    if cfg.output == "first" and out.extra.get("candidates"):  # the decoder's first multimask output
        first = np.asarray(out.extra["candidates"][0])
        mem = out.extra.get("candidate_memory")
        return (first > cfg.pred_thr if first.dtype.kind == "f" else first.astype(bool),
                mem[0] if mem is not None else out.memory)
    return out.binary(cfg.pred_thr), out.memory  # top / best-score: the adapter's top-ranked mask


def _clicks(o: ObjectState, protocol: ClickProtocol, cfg: LoopConfig, sampling: Sampling | None,
            rng: np.random.Generator | None, *, first: bool) -> Click | None:
    """The round's click; with ``worst_of = M > 1`` also M - 1 more candidates (drawn from the
    same generator, in order) left in ``o.candidates`` for the decode step to choose from."""
    clicked = () if first else o.prompts.clicks
    if sampling is None and not (first and protocol.first_random):  # on the crop (see ObjectState)
        box = o.box if first else o.win
        gt = o.crop(o.gt if first else o.target, box)
        pred = np.zeros_like(gt) if first else o.crop(o.pred, box)
        click = protocol.click(gt, pred, o.crop(o.ignore, box), clicked, first=first,
                               prompted=None if first else o.crop(o.prompted, box), rng=rng,
                               options=cfg.options, origin=(box[0], box[2]))
        o.candidates = []
        return click
    gt, pred = (o.gt, np.zeros_like(o.gt)) if first else (o.target, o.pred)
    n = 1 if sampling is None else sampling.worst_of
    cands = [protocol.click(gt, pred, o.ignore, clicked, first=first, prompted=None if first else o.prompted,
                            rng=rng, options=cfg.options, sampling=sampling) for _ in range(n)]
    o.candidates = cands if n > 1 and cands[0] is not None else []
    return cands[0]


def _first_prompt(o: ObjectState, protocol: ClickProtocol, cfg: LoopConfig, rng_key: tuple,
                  sampling: Sampling | None = None) -> dict[str, Any]:
    """Put the round-1 prompt into ``o``; returns its record entry. ``rng_key``: (seed,
    sample id, instance id, draw)."""
    seed, sample_id, instance_id, draw = rng_key
    rng = prompt_rng(seed, sample_id, instance_id, 1, draw)
    record: dict[str, Any] = {}
    if cfg.first_sim is not None:
        first = FIRST_PROMPTS.get(cfg.first_sim)(o.gt, o.ignore, rng, cfg.options)
        if first is not None:
            o.prompts.clicks.extend(first.clicks)
            o.prompts.box = first.box
            o.prompts.scribbles.extend(first.scribbles)
            o.prompts.polygons.extend(first.polygons)
            o.prompted = first.prompted
            if first.click_target is not None:
                o.target = first.click_target
            record.update(first.record)
        else:
            record["fallback"] = f"{cfg.first_sim} gave no prompt: protocol's first click"
    o.set_box()
    if not record or "fallback" in record:
        click = _clicks(o, protocol, cfg, sampling, rng, first=True)
        o.prompts.clicks.append(click)
        record["click"] = click.to_json()
    return record


def _next_click(o: ObjectState, protocol: ClickProtocol, cfg: LoopConfig,
                sampling: Sampling | None = None, rng: np.random.Generator | None = None
                ) -> dict[str, Any]:
    """Add round r's click to ``o`` if the rules allow one; returns its record entry."""
    o.candidates = []
    if cfg.click_stop_iou is not None and _f32_ge(o.target_iou, cfg.click_stop_iou):
        return {"skip": "click_stop_iou"}
    click = _clicks(o, protocol, cfg, sampling, rng, first=False)
    if click is None:
        return {"skip": "no_false_negative"}
    o.prompts.clicks.append(click)
    return {"click": click.to_json()}


class SampleRun:
    """The objects of one encoded sample, stepped round by round by `lockstep` (or `run_sample`).

    ``prompt(o, r)`` adds round ``r``'s prompt to object ``o`` and returns its `DecodeRequest`;
    ``accept(o, r, out, dt)`` scores the decode; ``end_round(r)`` applies the image-level stop
    rule once every live object of the sample has been accepted for round ``r``.

    ``draw``: 0 is the deterministic protocol; ``d >= 1`` places the clicks by the run's
    sampled-click model (``cfg.sampling``, `seem_bench.prompts.sampled`), seeded per (seed,
    sample, object, round, draw). Each draw of a sample is a `SampleRun` of its own (its objects
    are their own slots in a lockstep batch; SEEM's image stop couples the objects of one draw).
    Worst-of-M (``worst_of > 1``): ``prompt`` returns the M candidate requests of the round, all
    decoded in the same batch, and ``accept`` gets their M predictions and keeps the one with
    the lowest IoU (the first on ties); the record keeps every candidate and its IoU, and
    ``model_s`` is the sum over the M decodes.
    """

    def __init__(self, adapter: Adapter, state: Any, sample: Sample, instances: list[Instance],
                 protocol: ClickProtocol, cfg: LoopConfig, seed: int, draw: int = 0) -> None:
        self.state, self.sample, self.protocol, self.cfg = state, sample, protocol, cfg
        self.uses_gt = adapter.uses_ground_truth
        self.seed, self.draw = seed, draw
        self.sampling = cfg.sampling if draw > 0 else None
        self.objects: list[ObjectState] = []
        for inst in instances:
            gt = inst.mask()
            self.objects.append(ObjectState(
                inst=inst, gt=gt, ignore=inst.ignore(), target=gt,
                rng_key=(seed, sample.sample_id, inst.instance_id, draw),
                prompts=Prompts(click_radius=cfg.blob_radius,
                                text=text_for(inst, cfg.text, cfg.class_names))))

    @property
    def coupled(self) -> bool:
        """Whether the stop rule looks across objects (then a sample's objects stay together)."""
        return self.cfg.image_stop_iou is not None

    def live(self, r: int) -> list[ObjectState]:
        """Objects that get a decode in round ``r``."""
        return [] if r > self.cfg.max_rounds else [o for o in self.objects if not o.done]

    def prompt(self, o: ObjectState, r: int) -> DecodeRequest | list[DecodeRequest]:
        if r == 1:
            o.added = _first_prompt(o, self.protocol, self.cfg, o.rng_key, self.sampling)
            if o.prompts.text is not None:
                o.added["text"] = o.prompts.text
        else:
            rng = None if self.sampling is None else prompt_rng(*o.rng_key[:3], r, self.draw)
            o.added = _next_click(o, self.protocol, self.cfg, self.sampling, rng)
        memory = o.memory if self.cfg.memory else None
        target = o.gt if self.uses_gt else None
        if o.candidates:  # worst-of-M: one request per candidate click, each its own prompts
            return [DecodeRequest(self.state, replace(o.prompts, clicks=[*o.prompts.clicks[:-1], c]),
                                  memory, target) for c in o.candidates]
        return DecodeRequest(self.state, o.prompts, memory, target)

    def _scored(self, o: ObjectState, out: Prediction
                ) -> tuple[np.ndarray, Any, float, tuple[int, int, int, int]]:
        """The round's mask (as the decode returned it), memory, IoU and crop window."""
        pred, memory = _choose_output(out, o.gt, o.ignore, self.cfg)
        if pred.shape != o.gt.shape:
            raise ValueError(f"model returned a {pred.shape} mask for a {o.gt.shape} image")
        win = box_union(o.box, mask_box(pred))
        return pred, memory, mask_iou(o.crop(o.gt, win), o.crop(pred, win), o.crop(o.ignore, win)), win

    def accept(self, o: ObjectState, r: int, out: Prediction | list[Prediction],
               dt: float | list[float]) -> None:
        cfg = self.cfg
        if isinstance(out, list):  # worst-of-M: the lowest-IoU candidate is the round's click
            scored = [self._scored(o, one) for one in out]
            ious = [iou for _, _, iou, _ in scored]
            k = min(range(len(ious)), key=ious.__getitem__)  # the first on ties
            pred, o.memory, iou, o.win = scored[k]
            o.prompts.clicks[-1] = o.candidates[k]
            o.added["click"] = o.candidates[k].to_json()
            o.added["candidates"] = [c.to_json() for c in o.candidates]
            o.added["candidate_ious"] = ious
            dt = math.fsum(dt) if isinstance(dt, list) else dt
        else:
            pred, o.memory, iou, o.win = self._scored(o, out)
        o.pred = pred
        if cfg.click_stop_iou is not None:
            o.target_iou = seem_keep_iou(o.crop(o.target), o.crop(pred))
        o.rounds.append({"round": r, "prompt": o.added, "iou": iou, "model_s": dt})
        if cfg.save_masks == "all":
            o.rounds[-1]["mask"] = encode_mask(pred)
        if (cfg.iou_target is not None and iou >= cfg.iou_target) or r >= cfg.max_rounds:
            o.done = True

    def end_round(self, r: int) -> None:
        cfg = self.cfg
        if cfg.image_stop_iou is None or any(o.pred is None for o in self.objects):
            return
        if all(seem_image_iou(o.crop(o.gt), o.crop(o.pred), o.crop(o.ignore)) > np.float32(cfg.image_stop_iou)
               for o in self.objects):
            for o in self.objects:
                last = o.rounds[-1]["iou"]
                o.rounds.extend({"round": k, "prompt": {"repeat": "image_stop_iou"}, "iou": last,
                                 "model_s": 0.0} for k in range(len(o.rounds) + 1, cfg.max_rounds + 1))
                o.done = True

    def records(self) -> list[InstanceRecord]:
        out: list[InstanceRecord] = []
        for o in self.objects:
            ious = [rd["iou"] for rd in o.rounds]
            rec: InstanceRecord = {"instance_id": o.inst.instance_id, "category_id": o.inst.category_id,
                                   "rounds": o.rounds, "ious": ious, "final_iou": ious[-1], "status": "ok"}
            if self.cfg.save_masks is not None:
                rec["mask"] = encode_mask(o.pred)  # the last decoded prediction (repeats decode nothing)
            out.append(rec)
        return out


def run_sample(adapter: Adapter, state: Any, sample: Sample, instances: list[Instance],
               protocol: ClickProtocol, params: dict[str, Any], seed: int, draw: int = 0
               ) -> list[InstanceRecord]:
    """Records for ``instances`` of one encoded sample, in order.

    ``draw``: 0 is the deterministic protocol; ``1..draws`` place the clicks by the run's
    sampled-click model (`seem_bench.prompts.sampled`), seeded per (seed, sample, object,
    round, draw).

    ``params``: task parameters overriding the protocol's defaults: ``max_rounds``,
    ``iou_target``, ``pred_thr``, ``memory``, ``negatives`` and, when given, ``first_prompt``,
    ``first_prompt_protocol``, ``text``, ``class_names``, ``output`` and protocol options
    (``dt``, ...). The runner passes every instance of the sample when any of them still needs
    a record (a resumed run recomputes the others deterministically and keeps only the missing
    records), so protocols that couple the objects of one image (SEEM's evaluator) see all.
    This is `lockstep` over one sample, without overlap.
    """
    if protocol.params.get("grid"):  # seem-official: SEEM's evaluator on the network grid
        from seem_bench.loops import seem_official

        return seem_official.run_sample(adapter, state, sample, instances, protocol, params, seed)
    run = SampleRun(adapter, state, sample, instances, protocol, LoopConfig.build(protocol, params), seed,
                    draw)
    lockstep(adapter, [run], overlap=False)
    return run.records()

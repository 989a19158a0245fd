"""The transformers model family: ``--model hf:<arch>`` (``pip install 'seem-bench[hf]'``).

=====================  ===========================  ==============================================
name                   transformers class           tasks
=====================  ===========================  ==============================================
``hf:sam3``            ``Sam3Model``                concept (noun phrase -> all instances), referring
``hf:sam2.1_t|s|b+|l`` ``Sam2Model``                interactive (points, boxes)
``hf:edgetam``         ``EdgeTamModel``             interactive
``hf:sam3_tracker``    ``Sam3TrackerModel``         interactive
``hf:sam_hq_b|l|h``    ``SamHQModel``               interactive
``hf:clipseg``         ``CLIPSegForImage...``       referring (text)
``hf:seggpt``          ``SegGptForImage...``        ref-image (exemplar)
``hf:mask2former``     ``Mask2FormerForUniv...``    generic (panoptic, semantic, instances)
``hf:eomt``            ``EomtForUniversal...``      generic (panoptic, semantic, instances)
``hf:oneformer``       ``OneFormerForUniv...``      generic (one forward per task token)
=====================  ===========================  ==============================================

Weights: ``--checkpoint DIR`` (a local ``from_pretrained`` directory) or ``--checkpoint random``
(seeded; ``--model-opt config=tiny`` for a few-layer build): see `seem_bench.baselines.hf.base`.
Modules import transformers only when a model is built, so ``seem-bench models`` stays cheap.
"""

#: registry name -> "module:class" (`seem_bench.adapters.registry` registers these)
HF_MODELS = {
    "hf:sam3": "seem_bench.baselines.hf.sam3:HfSam3",
    "hf:sam2.1_t": "seem_bench.baselines.hf.promptable:HfSam21Tiny",
    "hf:sam2.1_s": "seem_bench.baselines.hf.promptable:HfSam21Small",
    "hf:sam2.1_b+": "seem_bench.baselines.hf.promptable:HfSam21BasePlus",
    "hf:sam2.1_l": "seem_bench.baselines.hf.promptable:HfSam21Large",
    "hf:edgetam": "seem_bench.baselines.hf.promptable:HfEdgeTam",
    "hf:sam3_tracker": "seem_bench.baselines.hf.promptable:HfSam3Tracker",
    "hf:sam_hq_b": "seem_bench.baselines.hf.promptable:HfSamHQBase",
    "hf:sam_hq_l": "seem_bench.baselines.hf.promptable:HfSamHQLarge",
    "hf:sam_hq_h": "seem_bench.baselines.hf.promptable:HfSamHQHuge",
    "hf:clipseg": "seem_bench.baselines.hf.clipseg:HfClipSeg",
    "hf:seggpt": "seem_bench.baselines.hf.seggpt:HfSegGpt",
    "hf:mask2former": "seem_bench.baselines.hf.generic:HfMask2Former",
    "hf:eomt": "seem_bench.baselines.hf.generic:HfEomt",
    "hf:oneformer": "seem_bench.baselines.hf.generic:HfOneFormer",
}

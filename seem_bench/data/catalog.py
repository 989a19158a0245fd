"""What each built-in dataset looks like on disk and where it is published (``seem-bench data list``).

``builder`` is a ``"module:function"`` taking ``(root, split, problems)``: the loader with a
`Problems` sink, which ``seem-bench data check`` uses to list every index problem instead of
stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    summary: str
    tree: str
    source: str
    splits: tuple[str, ...]
    builder: str
    kind: str = "image"  # "image" or "video" (samples with frames)


_COCO_TREE_PAN = """\
coco/
  annotations/panoptic_val2017.json
  panoptic_val2017/000000000139.png ...     (RGB; id = R + 256*G + 256^2*B)
  val2017/000000000139.jpg ..."""

_REFER_TREE = """\
refer/                                       (REFER data_root)
  {name}/refs({split_by}).p                  (pickle of refs)
  {name}/instances.json                      (COCO-style images/annotations/categories)
  images/mscoco/images/train2014/COCO_train2014_000000000009.jpg ...
or a folder of Hugging Face *.parquet / *.arrow tables (see docs/data.md)"""

_DAVIS_TREE = """\
DAVIS/
  ImageSets/{year}/val.txt
  JPEGImages/480p/<seq>/00000.jpg ...
  Annotations/480p/<seq>/00000.png ...      (palette PNG; 255 = void)"""

_SACO_TREE = """\
SA-Co/
  {files}
  images/<file_name> ...                    (or <subset>/test/*.parquet, the Hugging Face layout)"""

_SACO_SUBSETS = ("metaclip", "sa1b", "crowded", "fg_food", "fg_sports_equipment", "attributes",
                 "wiki_common", "demo")

CATALOG: dict[str, DatasetInfo] = {i.name: i for i in (
    DatasetInfo("coco_panoptic", "COCO panoptic (133 categories), one instance per segment",
                _COCO_TREE_PAN, "https://cocodataset.org/#download (2017 Val images, "
                "2017 Panoptic Train/Val annotations: unzip panoptic_val2017.zip into coco/)",
                ("val2017", "train2017"), "seem_bench.data.coco:build_coco_panoptic"),
    DatasetInfo("coco_instances", "COCO instances (polygons, RLE, crowd) via pycocotools",
                "coco/\n  annotations/instances_val2017.json\n  val2017/000000000139.jpg ...",
                "https://cocodataset.org/#download (2017 Train/Val annotations)",
                ("val2017", "train2017"), "seem_bench.data.coco:build_coco_instances"),
    DatasetInfo("coco_semantic", "COCO semantic, 133 contiguous classes derived from panoptic, 255 = ignore",
                _COCO_TREE_PAN, "same files as coco_panoptic", ("val2017", "train2017"),
                "seem_bench.data.coco:build_coco_semantic"),
    DatasetInfo("coco_interactive", "COCO panoptic non-crowd segments on seem-bench's 600-image v1 subset "
                "(not the SEEM paper's unreleased COCO-mini)", _COCO_TREE_PAN, "same files as coco_panoptic",
                ("val2017",), "seem_bench.data.coco_interactive:build_coco_interactive"),
    DatasetInfo("refcoco", "RefCOCO (UNC) referring expressions",
                _REFER_TREE.format(name="refcoco", split_by="unc"),
                "https://github.com/lichengunc/refer (refcoco.zip) + COCO train2014 images",
                ("val", "testA", "testB", "train"), "seem_bench.data.refer:build_refcoco"),
    DatasetInfo("refcoco+", "RefCOCO+ (UNC) referring expressions, no location words",
                _REFER_TREE.format(name="refcoco+", split_by="unc"),
                "https://github.com/lichengunc/refer (refcoco+.zip) + COCO train2014 images",
                ("val", "testA", "testB", "train"), "seem_bench.data.refer:build_refcoco_plus"),
    DatasetInfo("refcocog", "RefCOCOg referring expressions (UMD and Google partitions)",
                _REFER_TREE.format(name="refcocog", split_by="umd") + "\n  (and/or refcocog/refs(google).p)",
                "https://github.com/lichengunc/refer (refcocog.zip) + COCO train2014 images",
                ("umd/val", "umd/test", "google/val", "umd/train", "google/train"),
                "seem_bench.data.refer:build_refcocog"),
    DatasetInfo("davis2017", "DAVIS 2017 semi-supervised video object segmentation (multi-object)",
                _DAVIS_TREE.format(year="2017"),
                "https://davischallenge.org/davis2017/code.html (DAVIS-2017-trainval-480p.zip)",
                ("val", "train", "test-dev"), "seem_bench.data.davis:build_davis2017", "video"),
    DatasetInfo("davis2016", "DAVIS 2016 single-object video segmentation (objects merged)",
                _DAVIS_TREE.format(year="2016") + "\n  (or the 2016 release: ImageSets/480p/val.txt, 0/255 masks)",
                "https://davischallenge.org/davis2016/code.html, or ImageSets/2016 of the 2017 trainval zip",
                ("val", "train"), "seem_bench.data.davis:build_davis2016", "video"),
    DatasetInfo("saco_gold", "SA-Co/Gold promptable concept segmentation (image, noun phrase) pairs, 3 annotators",
                _SACO_TREE.format(files="gt-annotations/gold_<subset>_merged_{a,b,c}[_release]_test.json"),
                "https://huggingface.co/datasets/facebook/SACo-Gold (+ images per scripts/eval/gold/README.md of "
                "facebookresearch/sam3)", _SACO_SUBSETS, "seem_bench.data.saco:build_saco_gold_checked"),
    DatasetInfo("saco_silver", "SA-Co/Silver promptable concept segmentation pairs (one annotator)",
                _SACO_TREE.format(files="silver_<subset>_merged_test.json"),
                "https://huggingface.co/datasets/facebook/SACo-Silver", _SACO_SUBSETS,
                "seem_bench.data.saco:build_saco_silver_checked"),
    DatasetInfo("grabcut", "GrabCut interactive set (50 images; 128 = ignore band)",
                "GrabCut/\n  data_GT/<name>.jpg|.bmp ...\n  boundary_GT/<name>.bmp ...",
                "RITM's datasets/GrabCut.zip (https://github.com/SamsungLabs/ritm_interactive_segmentation#datasets)",
                ("-",), "seem_bench.data.clicksets:build_grabcut"),
    DatasetInfo("berkeley", "Berkeley interactive set (96 images / 100 instances; 128 = ignore)",
                "Berkeley/\n  images/<name>.jpg ...\n  masks/<name>.png ...",
                "RITM's datasets/Berkeley.zip", ("-",), "seem_bench.data.clicksets:build_berkeley"),
    DatasetInfo("davis345", "DAVIS-345 interactive frames (one object per image)",
                "DAVIS345/\n  img/<name>.jpg ...\n  gt/<name>.png ...     (any channel > 0 = object)",
                "RITM's datasets/DAVIS.zip (unzip as DAVIS345/ to keep it apart from DAVIS 2017)",
                ("-",), "seem_bench.data.clicksets:build_davis345"),
    DatasetInfo("coco_mval", "COCO-MVal interactive set (800 instances)",
                "COCO_MVal/\n  img/<name>.jpg ...\n  gt/<name>.png ...",
                "RITM's datasets/COCO_MVal.zip", ("-",), "seem_bench.data.clicksets:build_coco_mval"),
    DatasetInfo("sbd", "SBD instances (val: 2857 images / 6671 instances), GTinst .mat",
                "SBD/\n  val.txt\n  img/<name>.jpg ...\n  inst/<name>.mat ...      (GTinst.Segmentation)",
                "http://home.bharathh.info/pubs/codes/SBD/download.html (benchmark.tgz: benchmark_RELEASE/dataset/)",
                ("val", "train"), "seem_bench.data.sbd:build_sbd"),
    DatasetInfo("pascalvoc", "PASCAL VOC 2012 val instances (SegmentationObject; grey 220 = void)",
                "PascalVOC/                                  (= VOCdevkit/VOC2012)\n"
                "  ImageSets/Segmentation/val.txt\n  JPEGImages/<name>.jpg ...\n"
                "  SegmentationObject/<name>.png ...         (palette PNG)",
                "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/ (VOCtrainval_11-May-2012.tar)",
                ("val", "train", "test"), "seem_bench.data.voc:build_pascalvoc"),
    DatasetInfo("mose", "MOSE complex video object segmentation (valid: first-frame annotations only)",
                "MOSE/\n  <split>/JPEGImages/<video>/00000.jpg ...\n"
                "  <split>/Annotations/<video>/00000.png ...   (palette PNG, pixel = object id)",
                "https://henghuiding.github.io/MOSE/ (train.tar.gz, valid.tar.gz)",
                ("valid", "train"), "seem_bench.data.vos_layouts:build_mose", "video"),
    DatasetInfo("sav", "SA-V video segmentation (val / test; masklets at 6 fps)",
                "SA-V/\n  sav_<split>/sav_<split>.txt\n  sav_<split>/JPEGImages_24fps/<video>/00000.jpg ...\n"
                "  sav_<split>/Annotations_6fps/<video>/<obj>/00000.png ...   (binary, one folder per object)",
                "https://ai.meta.com/datasets/segment-anything-video (sav_val.tar, sav_test.tar)",
                ("val", "test"), "seem_bench.data.vos_layouts:build_sav", "video"),
    DatasetInfo("lvos", "LVOS long-term video object segmentation (v1 / v2 layout)",
                "LVOS/\n  <split>/JPEGImages/<video>/00000001.jpg ...\n"
                "  <split>/Annotations/<video>/00000001.png ...   (palette PNG, 255 = void)\n"
                "  <split>/<split>_meta.json                     (objects per video)",
                "https://lingyihongfd.github.io/lvos.github.io/",
                ("valid", "train", "test"), "seem_bench.data.vos_layouts:build_lvos", "video"),
)}

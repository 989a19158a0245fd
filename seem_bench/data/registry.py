"""Dataset registry: name -> loader ``(root: Path, split: str | None) -> Dataset``.

Entries are lazy ``"module:function"`` strings, so listing datasets imports nothing heavy.
Third-party loaders can register the same way (``DATASETS.register(name, "pkg.mod:fn")``).

>>> from seem_bench.data.registry import load_dataset
>>> ds = load_dataset("grabcut", "/data/GrabCut")            # doctest: +SKIP
>>> ds = load_dataset("coco_panoptic", "/data/coco", subset="coco_mini_600.txt")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from seem_bench.data.types import Dataset
from seem_bench.registry import Registry

DATASETS: Registry = Registry("dataset", entry_point_group="seem_bench.datasets")
DATASETS.register("coco_panoptic", "seem_bench.data.coco:load_coco_panoptic")
DATASETS.register("coco_instances", "seem_bench.data.coco:load_coco_instances")
DATASETS.register("coco_semantic", "seem_bench.data.coco:load_coco_semantic")
DATASETS.register("refcoco", "seem_bench.data.refer:load_refcoco")
DATASETS.register("refcoco+", "seem_bench.data.refer:load_refcoco_plus")
DATASETS.register("refcocog", "seem_bench.data.refer:load_refcocog")
DATASETS.register("davis2017", "seem_bench.data.davis:load_davis2017")
DATASETS.register("davis2016", "seem_bench.data.davis:load_davis2016")
DATASETS.register("grabcut", "seem_bench.data.clicksets:load_grabcut")
DATASETS.register("berkeley", "seem_bench.data.clicksets:load_berkeley")
DATASETS.register("davis345", "seem_bench.data.clicksets:load_davis345")
DATASETS.register("coco_mval", "seem_bench.data.clicksets:load_coco_mval")
DATASETS.register("sbd", "seem_bench.data.sbd:load_sbd")
DATASETS.register("pascalvoc", "seem_bench.data.voc:load_pascalvoc")
DATASETS.register("mose", "seem_bench.data.vos_layouts:load_mose")
DATASETS.register("sav", "seem_bench.data.vos_layouts:load_sav")
DATASETS.register("lvos", "seem_bench.data.vos_layouts:load_lvos")
DATASETS.register("coco_interactive", "seem_bench.data.coco_interactive:load_coco_interactive")
DATASETS.register("saco_gold", "seem_bench.data.saco:load_saco_gold")
DATASETS.register("saco_silver", "seem_bench.data.saco:load_saco_silver")

#: Where each dataset lives under a ``--data-root`` holding several (the demo data's layout,
#: and RITM's folder names for the click sets).
DEFAULT_SUBDIR = {
    "coco_panoptic": "coco", "coco_instances": "coco", "coco_semantic": "coco",
    "refcoco": "refer", "refcoco+": "refer", "refcocog": "refer",
    "davis2017": "DAVIS", "davis2016": "DAVIS",
    "grabcut": "GrabCut", "berkeley": "Berkeley", "davis345": "DAVIS345", "coco_mval": "COCO_MVal",
    "sbd": "SBD", "pascalvoc": "PascalVOC",
    "mose": "MOSE", "sav": "SA-V", "lvos": "LVOS",
    "coco_interactive": "coco",
}
DEFAULT_SUBDIR.update({"saco_gold": "SA-Co", "saco_silver": "SA-Co"})


def load_dataset(name: str, root: str | Path, split: str | None = None,
                 subset: str | Path | None = None) -> Dataset:
    """Load dataset ``name`` from ``root`` (the dataset's own directory).

    ``subset``: an id-list file (see `seem_bench.data.subset`); only the listed samples are kept
    and the file's sha256 is added to ``dataset.fingerprint["subset"]``.
    """
    ds = DATASETS.get(name)(Path(root), split)
    if subset is not None:
        from seem_bench.data.subset import apply_subset

        ds = apply_subset(ds, subset)
    return ds


#: Other folder names a dataset is published under, tried after `DEFAULT_SUBDIR` when that is
#: absent, each with a marker that tells the layout apart: RITM's ``datasets/DAVIS.zip`` unpacks
#: DAVIS-345 (``img/`` + ``gt/``) into ``DAVIS/``, the folder name DAVIS 2017 uses too.
ALT_SUBDIRS: dict[str, tuple[tuple[str, str], ...]] = {"davis345": (("DAVIS", "img"),)}


def resolve_root(name: str, data_root: str | Path) -> Path:
    """The dataset directory: ``data_root/<subdir>`` if it exists (or an `ALT_SUBDIRS` folder
    holding its layout), else ``data_root`` itself."""
    base = Path(data_root)
    sub = base / DEFAULT_SUBDIR.get(name, name)
    if sub.is_dir():
        return sub
    for alt, marker in ALT_SUBDIRS.get(name, ()):
        if (base / alt / marker).is_dir():
            return base / alt
    return base

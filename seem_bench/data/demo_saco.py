"""The demo's SA-Co/Gold subset ``demo``: seeded scenes as image / noun-phrase pairs.

Written in the exact SA-Co/Gold layout (`seem_bench.data.saco`) under ``DIR/SA-Co``::

    DIR/SA-Co/images/saco_demo_<k>.jpg
    DIR/SA-Co/gt-annotations/gold_demo_merged_{a,b,c}_release_test.json

Phrases per image: the five shape names (positive where the shape is visible) and
"<colour> <shape>" phrases, topped up with absent ones until at least 75 % of the pairs are
negative (SA-Co/Gold's share). The three annotators disagree the way real ones do: ``b`` misses
the smallest instance of some phrases, ``c`` marks a group as one crowd region on some, and one
pair per file is not exhaustively annotated in ``c`` (the reference drops it from every version).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seem_bench.data import writers
from seem_bench.data.scenes import CATEGORIES, make_scene

N_SACO = 6
NEGATIVE_SHARE = 0.75
_SHAPES = {c["id"]: c["name"] for c in CATEGORIES if c["isthing"]}
_COLOURS = ("brown", "green", "blue", "grey", "purple", "yellow", "teal", "tan")


def write_saco_demo(out: Path, rng: np.random.Generator, n: int = N_SACO) -> None:
    """``n`` seeded scenes as SA-Co/Gold subset ``demo`` under ``out/SA-Co``."""
    root = out / "SA-Co"
    pairs: list[dict] = []
    anns: list[list[dict]] = [[], [], []]
    not_exhaustive_c: set[int] = set()
    pid, aid = 1, 1
    for k in range(n):
        scene = make_scene(rng, 240, 320)
        h, w = scene.image.shape[:2]
        name = f"saco_demo_{k:04d}.jpg"
        writers.write_jpeg(root / "images" / name, scene.image)
        phrases: dict[str, list] = {}
        for cid, shape in _SHAPES.items():
            phrases[shape] = [o for o in scene.objects if o.category_id == cid]
        for colour in _COLOURS:
            for cid, shape in _SHAPES.items():
                phrases[f"{colour} {shape}"] = [o for o in scene.objects
                                                if o.category_id == cid and o.color_word == colour]
        positives = [p for p, objs in phrases.items() if objs and " " not in p]
        positives += [p for p, objs in phrases.items() if objs and " " in p][:1]
        negatives = [p for p, objs in phrases.items() if not objs]
        n_neg = max(int(np.ceil(len(positives) * NEGATIVE_SHARE / (1 - NEGATIVE_SHARE))), 2)
        chosen = positives + [negatives[i] for i in sorted(rng.choice(len(negatives), n_neg, replace=False))]
        file_pairs = []
        for phrase in sorted(chosen):
            objs = phrases[phrase]
            pairs.append({"id": pid, "file_name": name, "text_input": phrase, "height": h, "width": w})
            file_pairs.append(pid)
            smallest = min(range(len(objs)), key=lambda i: int(objs[i].mask.sum())) if objs else None
            drop_b = len(objs) >= 2 and rng.random() < 0.5
            crowd_c = len(objs) >= 2 and rng.random() < 0.3
            for v in range(3):
                if v == 2 and crowd_c:  # one crowd region over the whole group
                    group = np.logical_or.reduce([o.mask for o in objs])
                    items = [(group, 1)]
                else:
                    items = [(o.mask, 0) for i, o in enumerate(objs) if not (v == 1 and drop_b and i == smallest)]
                for m, crowd in items:
                    anns[v].append({"id": aid, "image_id": pid, "category_id": 1,
                                    "segmentation": writers.mask_to_rle(m, compressed=True),
                                    "area": float(m.sum()), "bbox": writers.bbox_of(m), "iscrowd": crowd})
                    aid += 1
            pid += 1
        not_exhaustive_c.add(file_pairs[int(rng.integers(len(file_pairs)))])
    for v, letter in enumerate("abc"):
        images = [{**p, "is_instance_exhaustive": not (v == 2 and p["id"] in not_exhaustive_c)} for p in pairs]
        writers.write_json(root / "gt-annotations" / f"gold_demo_merged_{letter}_release_test.json",
                           {"info": {"description": "seem-bench SA-Co demo"}, "images": images,
                            "annotations": anns[v], "categories": [{"id": 1, "name": "object"}]})

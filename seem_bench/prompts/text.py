"""Text prompts: referring-sentence rules and class-name composition.

Sentence rules (SPEC §2 ``text``):

- ``all-sentences`` (LAVT / ReLA standard): every sentence of a ref is its own sample, as written
  in the dataset's ``raw`` field (those models' uncased BERT tokenizers lower-case it themselves).
- ``first-sentence`` (SEEM / X-Decoder evaluator): one sample per ref, sentence 0 only, its
  ``raw`` text lower-cased (``refcoco_dataset_mapper``: ``[x['raw'].lower() for x in
  sentences]``, then the evaluator keeps element 0).

Composition (SPEC §2): any visual protocol may add text; ``text=class`` gives the class name
followed by a full stop, ``"{name}."``, as SEEM's interactive-grounding mode builds it
(``prompt_engineering(name, topk=1, suffix='.')`` picks the template ``"{}."``);
``text=sentence`` gives the object's referring sentence under the ``first-sentence`` rule
(loaders that expand ``all-sentences`` put the chosen sentence in ``meta["sentence"]``).

>>> select_sentences(["The Red car", "left car"], "first-sentence")
[(0, 'the red car')]
>>> class_text("dog")
'dog.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from seem_bench.errors import UsageError

if TYPE_CHECKING:  # a type only: the task schema reads SENTENCE_RULES without numpy
    from seem_bench.data.types import Instance

SENTENCE_RULES = ("all-sentences", "first-sentence")
TEXT_MODES = ("none", "class", "sentence")


def select_sentences(sentences: Sequence[str], rule: str) -> list[tuple[int, str]]:
    """``(index, text)`` of the sentences a rule evaluates, in dataset order."""
    if rule == "all-sentences":
        return list(enumerate(sentences))
    if rule == "first-sentence":
        return [(0, sentences[0].lower())] if sentences else []
    raise UsageError(f"unknown sentence rule {rule!r}; known: {', '.join(SENTENCE_RULES)}")


def class_text(name: str) -> str:
    """SEEM's class prompt: ``"{name}."``."""
    return f"{name}."


def text_for(inst: Instance, mode: str | None, class_names: Mapping[Any, str] | None = None
             ) -> str | None:
    """The text composed with an object's visual prompts under ``mode`` (none/class/sentence).

    Class names come from ``class_names[category_id]`` (string or int keys), else from
    ``inst.meta["category_name"]``.
    """
    if mode in (None, "none", False):
        return None
    if mode == "class":
        names = class_names or {}
        name = names.get(inst.category_id, names.get(str(inst.category_id)))
        name = name if name is not None else inst.meta.get("category_name")
        if name is None:
            raise UsageError(f"text=class: no class name for instance {inst.instance_id!r} "
                             f"(category {inst.category_id}); pass params['class_names']")
        return class_text(str(name))
    if mode == "sentence":
        if "sentence" in inst.meta:
            return str(inst.meta["sentence"])
        chosen = select_sentences(inst.sentences, "first-sentence")
        if not chosen:
            raise UsageError(f"text=sentence: instance {inst.instance_id!r} has no sentence")
        return chosen[0][1]
    raise UsageError(f"unknown text mode {mode!r}; known: {', '.join(TEXT_MODES)}")

"""``seem-bench protocols``: every prompt protocol with its version and parameters."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("protocols", help="list prompt protocols, their versions and parameters",
                       description="List the click protocols (a task's `protocol`) and the first-round "
                                   "box/scribble/polygon simulators (a task's `first_prompt_protocol`) "
                                   "with version, parameters and the reference each follows. "
                                   "Details: docs/protocols.md.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def describe_protocols() -> dict[str, Any]:
    """``{"click": {name: {...}}, "first_prompt": {name: {...}}, "video": {name: {...}}}``, JSON-serialisable."""
    from seem_bench.params import VideoInteractiveParams
    from seem_bench.prompts.first import FIRST_PROMPTS
    from seem_bench.prompts.protocols import PROTOCOLS
    from seem_bench.prompts.video_protocols import VIDEO_PROTOCOLS

    clicks = {name: {**p.to_json(), "description": p.description, "reference": p.reference,
                     **({"report_ks": list(p.report_ks)} if p.report_ks else {})}
              for name, p in PROTOCOLS.items()}
    first = {name: {**s.to_json(), "description": s.description, "reference": s.reference}
             for name, s in FIRST_PROMPTS.items()}
    defaults = {k: p.default for k, p in VideoInteractiveParams.declared().items()}
    video = {name: {**v.to_json(defaults), "description": v.description} for name, v in VIDEO_PROTOCOLS.items()}
    return {"click": clicks, "first_prompt": first, "video": video}


def main(args: argparse.Namespace) -> int:
    info = describe_protocols()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    for title, group in (("click protocols (task field `protocol`)", info["click"]),
                         ("first-prompt simulators (param `first_prompt_protocol`)", info["first_prompt"]),
                         ("video protocols (video-interactive param `video_protocol`)", info["video"])):
        print(title + ":")
        for name, d in group.items():
            kind = f" [{d['kind']} -> {d['gives']}]" if "kind" in d else ""
            print(f"  {name} v{d['version']}{kind}: {d['description']}")
            if d["params"]:
                print("      " + " ".join(f"{k}={v}" for k, v in d["params"].items()))
    return 0

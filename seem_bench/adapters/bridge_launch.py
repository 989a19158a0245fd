"""Start ``remote_worker`` in another Python environment with *this* seem-bench's code (stdlib only).

Run as a script by the environment's interpreter (see `seem_bench.adapters.seem_bridge`)::

    /env/bin/python bridge_launch.py --package seem_bench=/src/seem_bench \\
        --package seem_bench.baselines=/src/baselines -- --model seem_t --opt device=cpu

With ``--cli`` the arguments after ``--`` go to the ``seem-bench`` command line instead, run
inside the environment (models then run in-process there; used by the tests to compare both).

Each ``--package NAME=DIR`` is imported from DIR under NAME before anything else, so the worker
serves exactly the adapter code of the harness that launched it (an editable checkout maps
``baselines/`` into ``seem_bench.baselines``), without installing seem-bench into the
environment and without putting the harness's site-packages on its path.
"""

import importlib.util
import os
import sys

# Python put this file's folder first on sys.path; its modules (registry, cache, ...) must not
# shadow top-level modules of the served model's code.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]


def load_package(name, directory):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory])
    if spec is None or spec.loader is None:
        raise SystemExit(f"bridge_launch: no package {name!r} in {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def main(argv):
    if "--" not in argv:
        raise SystemExit("usage: bridge_launch.py --package NAME=DIR ... -- WORKER_ARGS")
    split = argv.index("--")
    own, rest = argv[:split], argv[split + 1:]
    packages = []
    cli = False
    while own:
        flag = own.pop(0)
        if flag == "--cli":
            cli = True
            continue
        if flag != "--package" or not own or "=" not in own[0]:
            raise SystemExit(f"bridge_launch: unexpected argument {flag!r}")
        packages.append(own.pop(0).split("=", 1))
    for name, directory in sorted(packages, key=lambda p: p[0].count(".")):  # parents first
        load_package(name, directory)
    if cli:
        from seem_bench.cli import main as cli_main

        return cli_main(rest)
    from seem_bench.adapters import remote_worker

    return remote_worker.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

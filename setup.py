"""Package discovery: `seem_bench/` plus the top-level design-card folders mapped into it.

`baselines/`, `tasks/` and `leaderboards/` live at the repository root (the user's layout) but are
installed as `seem_bench.baselines`, `seem_bench.taskdefs` and `seem_bench.leaderboards`, so a
non-editable install finds them from any working directory.
"""

from setuptools import find_packages, setup

MAPPED = {"baselines": "seem_bench.baselines", "tasks": "seem_bench.taskdefs",
          "leaderboards": "seem_bench.leaderboards"}

packages = find_packages(include=["seem_bench", "seem_bench.*"])
package_dir = {"seem_bench": "seem_bench"}
for folder, name in MAPPED.items():
    packages.append(name)
    package_dir[name] = folder
    for sub in find_packages(where=folder):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(packages=packages, package_dir=package_dir)

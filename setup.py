"""Package layout that pyproject.toml cannot express statically.

The repository keeps the design card's top level (`loaders/`, `api/`, and the data
folders `ontology/`, `shapes/`, `queries/`, `demo/`) while everything imports as one
package, `regiongraph`. Subpackages are discovered so a new folder needs no edit here.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
CODE_ROOTS = {"regiongraph": "regiongraph", "regiongraph.loaders": "loaders", "regiongraph.api": "api"}
DATA_ROOTS = {f"regiongraph._data.{name}": name for name in ("ontology", "shapes", "queries", "demo")}


def code_packages() -> dict[str, str]:
    found: dict[str, str] = {}
    for package, folder in CODE_ROOTS.items():
        found[package] = folder
        for sub in find_packages(str(ROOT / folder)):
            if package == "regiongraph" and sub.split(".")[0] in ("loaders", "api"):
                continue
            found[f"{package}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return found


PACKAGE_DIRS = {
    name: folder for name, folder in {**code_packages(), **DATA_ROOTS}.items()
    if (ROOT / folder).is_dir()
}

setup(
    packages=list(PACKAGE_DIRS),
    package_dir=PACKAGE_DIRS,
    package_data={
        **{name: ["**/*"] for name in DATA_ROOTS if name in PACKAGE_DIRS},
        "regiongraph": ["py.typed"],
        **{name: ["templates/**/*", "static/**/*", "*.json", "*.html"] for name in PACKAGE_DIRS
           if name.startswith(("regiongraph.api", "regiongraph.web"))},
    },
    include_package_data=False,
)

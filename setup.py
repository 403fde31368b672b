"""Package layout that pyproject.toml cannot express statically.

The repository keeps the design card's top level (`loaders/`, `api/`, and the data
folders `ontology/`, `shapes/`, `queries/`, `demo/`) while everything imports as one
package, `regiongraph`. Subpackages are discovered so a new folder needs no edit here.
"""

import runpy
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

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



class BuildPyWithVendor(build_py):
    """Copy the front-end files the pages serve from node_modules into the built package.

    A wheel must serve YASGUI, cytoscape and the API docs with no checkout around, but
    built files never enter git: they are copied here, into the build directory only,
    from what `npm ci` installed. Editable installs read node_modules in place.
    """

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        paths = runpy.run_path(str(ROOT / "regiongraph" / "paths.py"))
        target = Path(self.build_lib) / "regiongraph" / paths["VENDOR_FOLDER"]
        shutil.rmtree(target, ignore_errors=True)  # nothing stale from an earlier build
        for folder, names in paths["NPM_FILES"].items():
            for name in names:
                source = ROOT / "node_modules" / folder / name
                if not source.is_file():
                    raise SystemExit(f"{source}: missing; run `npm ci` before building the wheel")
                (target / folder).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target / folder / name)


setup(
    cmdclass={"build_py": BuildPyWithVendor},
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

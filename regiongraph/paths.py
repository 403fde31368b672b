"""The one way to find the bundled data folders (ontology, shapes, queries, demo).

In a checkout or an editable install they sit at the repository root; in a built
wheel they ship as `regiongraph/_data/<name>`. Callers never build these paths.
"""

from importlib import resources
from pathlib import Path

DATA_FOLDERS = ("ontology", "shapes", "queries", "demo")


def data_path(name: str) -> Path:
    """Return the folder of bundled data called `name` (e.g. "ontology")."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {', '.join(DATA_FOLDERS)}")
    packaged = Path(str(resources.files("regiongraph"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name


def npm_path() -> Path:
    """Where the front-end libraries installed from package-lock.json live.

    `npm ci` at the repository root fills `node_modules/`; a deployment may point
    REGIONGRAPH_NODE_MODULES elsewhere. Pages never load anything from a CDN.
    """
    from regiongraph.settings import Settings

    configured = Settings().node_modules
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "node_modules"

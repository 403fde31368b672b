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


# The front-end files the pages serve: folder under node_modules → the files needed from it.
# Only these are served, and a built wheel carries exactly these (setup.py copies them from
# node_modules at build time into `regiongraph/_vendor/`, never into the source tree).
NPM_FILES = {
    "@zazuko/yasgui/build": ("yasgui.min.js", "yasgui.min.css"),
    "cytoscape/dist": ("cytoscape.min.js",),
    "swagger-ui-dist": ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
    "redoc/bundles": ("redoc.standalone.js",),
    "leaflet/dist": ("leaflet.js", "leaflet.css"),
    "leaflet/dist/images": ("layers.png", "layers-2x.png", "marker-icon.png",
                            "marker-icon-2x.png", "marker-shadow.png"),
    "leaflet.markercluster/dist": ("leaflet.markercluster.js", "MarkerCluster.css",
                                   "MarkerCluster.Default.css"),
}
VENDOR_FOLDER = "_vendor"


def npm_path() -> Path:
    """Where the front-end libraries installed from package-lock.json live.

    REGIONGRAPH_NODE_MODULES wins when set; then the copies an installed wheel carries
    (`regiongraph/_vendor/`); then `node_modules/` of a checkout, where `npm ci` puts
    them. Pages never load anything from a CDN.
    """
    from regiongraph.settings import Settings

    configured = Settings().node_modules
    if configured:
        return Path(configured)
    packaged = Path(str(resources.files("regiongraph"))) / VENDOR_FOLDER
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "node_modules"

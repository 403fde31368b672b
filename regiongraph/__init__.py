"""regiongraph: one knowledge graph of a region's public-sector data assets.

Data flows one way: loaders yield quads, the store keeps them, and the kernel
(reasoning, validation, analyses, exports) reads the store through one interface.
The API and the CLI only parse requests and call the kernel.
"""

__version__ = "0.1.0"

from regiongraph.paths import data_path
from regiongraph.settings import Settings, get_settings
from regiongraph.store import Store, open_store

__all__ = ["Settings", "Store", "__version__", "data_path", "get_settings", "open_store"]

from tests.exports.conftest import demo_index, served  # noqa: F401  (the demo on loopback)
from tests.harvest.conftest import settings, store  # noqa: F401  (fresh on-disk stores)

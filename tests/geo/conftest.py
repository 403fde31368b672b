from tests.harvest.conftest import settings, store  # noqa: F401  (fresh on-disk stores)

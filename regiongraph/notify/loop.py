"""The server's delivery loop: webhooks and e-mail every `notify_interval` seconds."""

import logging
import threading
from collections.abc import Callable

from regiongraph.notify.deliver import deliver_pending
from regiongraph.settings import Settings
from regiongraph.store import Store

log = logging.getLogger(__name__)


def start_delivery_loop(store: Store, settings: Settings) -> Callable[[], None]:
    """Start delivering in a daemon thread; returns the function that stops it."""
    if settings.notify_interval <= 0:
        return lambda: None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(settings.notify_interval):
            try:
                deliver_pending(store, settings)
            except Exception:
                log.exception("notification delivery failed; retried next round")

    threading.Thread(target=run, name="notify-delivery", daemon=True).start()
    return stop.set

"""One module per concern, each exposing `router`; `api.app` includes them all."""

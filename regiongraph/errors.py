"""Errors a user can act on: they say what was wrong and where, and the CLI prints
them as one line (the traceback only with --verbose). Raise these, or subclasses,
for bad input; anything else is a bug and keeps its traceback."""


class RegiongraphError(Exception):
    """Base of every error the CLI reports as one line."""

"""`regiongraph` and `python -m regiongraph`: one CLI, commands found by module.

Every module in this package except `app` registers commands on `app.app`.
Errors derived from RegiongraphError print as one line and exit 2 (1 is kept for
"ran fine, found violations"); `--verbose` shows the traceback.
"""

import pkgutil
import sys
from importlib import import_module

from regiongraph.cli.app import app, console


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name != "app":
            import_module(f"{__name__}.{module.name}")


def main() -> None:
    from regiongraph.errors import RegiongraphError

    _discover()
    verbose = "--verbose" in sys.argv or "-v" in sys.argv
    try:
        code = app(standalone_mode=False, prog_name="regiongraph")
        if isinstance(code, int) and code:
            sys.exit(code)
    except RegiongraphError as error:
        if verbose:
            raise
        console.print(f"[red]error:[/red] {error}", markup=True, highlight=False)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as error:  # click usage errors and aborts
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            sys.exit(error.exit_code)
        if isinstance(error, click.exceptions.Abort):
            sys.exit(130)
        if isinstance(error, click.exceptions.Exit):
            sys.exit(error.exit_code)
        if verbose:
            raise
        console.print(f"[red]error:[/red] {type(error).__name__}: {error} (--verbose shows where)")
        sys.exit(2)
    finally:
        from regiongraph.cli.app import STATE

        if STATE is not None:
            STATE.close()

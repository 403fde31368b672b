"""`regiongraph notify deliver`: one round of webhook and e-mail delivery.

The server delivers on its own every `notify_interval` seconds; this is for a store no
server holds (a cron job, or tests), and shows what each attempt got.
"""

import typer

from regiongraph.cli.app import app, out, state

notify = typer.Typer(help="Notifications: deliver webhooks and e-mail.", no_args_is_help=True)
app.add_typer(notify, name="notify")


@notify.command()
def deliver() -> None:
    """Try every due webhook and e-mail delivery once."""
    from regiongraph.notify.deliver import deliver_pending

    current = state()
    attempts = deliver_pending(current.store(), current.settings)
    for attempt in attempts:
        out.print(f"{'ok' if attempt.ok else 'retry'}\t{attempt.channel}\t{attempt.event}\t"
                  f"{attempt.detail}")
    out.print(f"{sum(a.ok for a in attempts)} delivered, "
              f"{sum(not a.ok for a in attempts)} to retry")

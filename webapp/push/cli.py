"""CLI: `vapid-keys`, `reminders send-due` (one pass, for cron), `reminders run` (a loop)."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from . import delivery


def register_push_cli(app: Flask) -> None:
    @app.cli.command("vapid-keys")
    @click.option("--force", is_flag=True,
                  help="Replace an existing key pair (every device must then subscribe again).")
    def vapid_keys(force):
        """Generate the VAPID key pair for web push into the instance folder (once)."""
        from ..models import PushSubscription

        try:
            public = delivery.generate_vapid_keys(current_app.instance_path, force=force)
        except FileExistsError as exc:
            raise click.ClickException(
                f"VAPID keys already exist ({exc}). Use --force to replace them; every "
                "device then has to turn notifications on again.") from exc
        if force:
            # Subscriptions are bound to the old public key; the push services would refuse us.
            removed = db.session.execute(db.delete(PushSubscription)).rowcount
            db.session.commit()
            click.echo(f"Removed {removed} subscriptions made with the old key.")
        click.echo(f"VAPID keys written to {current_app.instance_path}.")
        click.echo(f"Public key (applicationServerKey): {public}")

    reminders = AppGroup("reminders", help="Push reminders: plan and send (DESIGN §6).")

    @reminders.command("send-due")
    @click.option("--limit", default=50, show_default=True, help="Reminders claimed per batch.")
    @click.option("--no-plan", is_flag=True, help="Only send; skip planning the staff reminders.")
    def send_due_command(limit, no_plan):
        """One pass: plan today's staff reminders, then send everything due (for cron)."""
        report = run_pass(limit=limit, plan=not no_plan)
        click.echo(f"Reminders: {report}")
        for error in report.errors:
            click.echo(f"  {error}", err=True)

    @reminders.command("plan")
    def plan_command():
        """Plan today's staff reminders (also done by send-due and run)."""
        from ..reminders import plan_daily

        plan_daily(db.session)
        db.session.commit()
        click.echo("Planned.")

    @reminders.command("run")
    @click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600),
                  help="Seconds between passes.")
    @click.option("--limit", default=50, show_default=True)
    def run_command(interval, limit):
        """Loop: plan and send every INTERVAL seconds until SIGTERM or Ctrl-C."""
        stop = threading.Event()

        def _stop(signum, _frame):
            click.echo(f"Signal {signum}: stopping after this pass.")
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        click.echo(f"Reminder scheduler started (every {interval} s).")
        run_loop(stop, interval=interval, limit=limit)
        click.echo("Reminder scheduler stopped.")

    app.cli.add_command(reminders)


def run_pass(limit: int = 50, plan: bool = True):
    from ..admin.stored_figures import fill_closed_months, fill_open_months
    from ..housing.facts_store import refresh as refresh_housing_facts
    from ..models import utcnow
    from ..reminders import plan_daily
    from ..staff.worklist_store import refresh_stale
    from ..timeutil import local_today
    from .outbox import send_due

    if plan:
        plan_daily(db.session)
        db.session.commit()
        # Idag's stored worklist and housing's facts: the day's rows ready before the first
        # view (issue 17).
        refresh_stale(local_today(), utcnow())
        refresh_housing_facts(local_today())
        db.session.rollback()  # only read here: the rows are stored in their own transaction
    report = send_due(limit=limit)
    if plan:
        # After sending (reminders are due now, figures are not): months closed since the last
        # pass are stored before anyone opens the figures page, and so are the open months
        # as of today (after midnight, and after entries that reached them).
        fill_closed_months()
        fill_open_months()
    return report


def run_loop(stop: threading.Event, interval: float, limit: int = 50,
             passes: int | None = None) -> int:
    """Run passes until `stop` is set (or `passes` ran); a failing pass is logged, not fatal."""
    done = 0
    while not stop.is_set():
        try:
            report = run_pass(limit=limit)
            if report.sent or report.failed or report.errors:
                click.echo(f"Reminders: {report}")
        except Exception:  # a database blip must not end the service
            db.session.rollback()
            current_app.logger.exception("reminders: pass failed")
        finally:
            db.session.remove()
        done += 1
        if passes is not None and done >= passes:
            break
        stop.wait(interval)
    return done

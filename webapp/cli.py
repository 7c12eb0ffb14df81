"""CLI commands: `flask --app webapp seed-demo | create-admin` (DESIGN §10)."""
from __future__ import annotations

import click
from flask import Flask

from .extensions import db


def register_cli(app: Flask) -> None:
    from .push.cli import register_push_cli

    register_push_cli(app)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Create the demo organisation, users and data (idempotent)."""
        from .demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP, seed_demo

        created = seed_demo()
        click.echo("Demo created." if created else "Demo already present.")
        click.echo(f"Demo logins (password '{DEMO_PASSWORD}'):")
        for username, role in DEMO_LOGINS:
            click.echo(f"  {username:8} {role}")
        click.echo(f"TOTP secret for admin, anna, soc, bostad: {DEMO_TOTP}")

    @app.cli.command("create-admin")
    @click.option("--username", prompt=True)
    @click.option("--name", "display_name", prompt="Full name")
    @click.option("--organisation", prompt="Organisation name")
    @click.option("--preset", type=click.Choice(["goteborg", "stockholm", "helsingborg"]),
                  default="goteborg", show_default=True)
    @click.option("--join", is_flag=True,
                  help="Add the admin to an organisation that already exists (its preset stays).")
    @click.password_option()
    def create_admin(username, display_name, organisation, preset, join, password):
        """Bootstrap a real installation: an organisation and its first admin."""
        from .auth.credentials import hash_password, password_problem
        from .checklist_defaults import ensure_checklist_v2, ensure_default_template
        from .models import Organisation, User

        problem = password_problem(password)
        if problem:
            raise click.ClickException(problem)
        if db.session.scalar(db.select(User).where(User.username == username)):
            raise click.ClickException(f"Användarnamnet {username!r} finns redan.")
        org = db.session.scalar(db.select(Organisation).where(Organisation.name == organisation))
        # An existing name is refused unless --join says so: a typo must not put a new
        # municipality's admin inside another municipality (nor silently drop --preset).
        if org is not None and not join:
            raise click.ClickException(
                f"Organisationen {organisation!r} finns redan. Lägg till --join för att ge den "
                "en administratör till, eller välj ett annat namn för en ny organisation.")
        if org is None and join:
            raise click.ClickException(f"Organisationen {organisation!r} finns inte.")
        if org is None:
            org = Organisation(name=organisation)
            org.apply_preset(preset)
            db.session.add(org)
            db.session.flush()
            ensure_default_template(org)
            ensure_checklist_v2(org)
        db.session.add(User(organisation_id=org.id, username=username, display_name=display_name,
                            role="admin", password_hash=hash_password(password)))
        db.session.commit()
        click.echo(f"Admin {username} created in {org.name}. Sign in and enrol the second "
                   "factor; the admin's home then lists the first-day steps.")

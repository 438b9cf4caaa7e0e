"""``manage.py create_user USERNAME --role ROLE --team TEAM --password PASSWORD [--email E]``

Creates the user, or updates role, team, password and e-mail of an existing one
(idempotent: running it twice leaves one user). The team is created if needed.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.roles import Role
from crm import services
from crm.models import User


class Command(BaseCommand):
    help = "Create or update a user with a role and a team (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True,
                            help="One of: " + ", ".join(Role.values))
        parser.add_argument("--team", default="",
                            help="Team name; created if it does not exist. Empty for no team.")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default=None)

    def handle(self, *args, username: str, role: str, team: str, password: str, email: str | None, **options):
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}. Choose one of: {', '.join(Role.values)}.")
        if not password:
            raise CommandError("--password must not be empty.")
        team_obj = services.team_get_or_create(name=team.strip()) if team.strip() else None
        user = User.objects.filter(username=username).first()
        try:
            if user is None:
                user = services.user_create(username=username, password=password, role=role, team=team_obj,
                                            email=email or "")
                verb = "Created"
            else:
                data = {"role": role, "team": team_obj, "password": password}
                if email is not None:
                    data["email"] = email
                user = services.user_update(user=user, data=data)
                verb = "Updated"
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        team_label = user.team.name if user.team else "no team"
        self.stdout.write(f"{verb} user {user.username} ({user.role}, {team_label}).")

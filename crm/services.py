"""Writes. Each runs in a transaction and validates the whole change first, so
nothing is half-written."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access
from core.clock import day_deadline
from core.events import event_emit
from core.services import row_save
from crm import validation
from crm.models import (Contact, Customer, FollowUp, Interaction, Product, Team, Transaction, TransactionLine, User,
                        tags_encode)

CUSTOMER_FIELDS = (
    "source", "external_id", "name", "kind", "industry", "size", "region", "owner", "team", "first_deal_date",
    "preferred_channel", "tags", "phone", "email", "id_number", "address", "birthday", "notes",
    *("contact_window_start", "contact_window_end", "preferred_topics", "settled_notes", "core_need"),
    "sms_opt_out",
    "referred_by",
)


def _check_people(*, actor, customer: Customer, before: tuple[int | None, int | None] = (None, None)) -> None:
    """A new owner or team must be one the actor may name (core.access); keeping the
    current ones is always allowed."""
    owner_id, team_id = before
    access.check_choices(
        owner=(access.assignable_users_for(actor), customer.owner_id if customer.owner_id != owner_id else None),
        team=(access.assignable_teams_for(actor), customer.team_id if customer.team_id != team_id else None))


def _check_referrer(*, actor, customer: Customer, before: int | None = None) -> None:
    """A new referrer is a customer the actor can see, not the customer itself, and is
    recorded before the customer's first purchase (the referral bonus is earned when
    that purchase lands: care.points_services). Keeping the current one is always allowed."""
    referrer_id = customer.referred_by_id
    if referrer_id is None or referrer_id == before:
        return
    from crm.selectors import referrer_choices_for

    access.check_choices(referred_by=(referrer_choices_for(actor), referrer_id))
    if customer.pk is not None and referrer_id == customer.pk:
        raise ValidationError({"referred_by": [_("A customer cannot refer themselves.")]})
    if customer.pk is not None and Transaction.objects.filter(customer_id=customer.pk,
                                                              kind=Transaction.Kind.PURCHASE).exists():
        raise ValidationError({"referred_by": [
            _("This customer has already bought: a referrer is recorded before the first purchase.")]})


def _apply(customer: Customer, data: dict[str, Any]) -> list[str]:
    changed = []
    for field, value in data.items():
        if field not in CUSTOMER_FIELDS:
            continue
        if field == "tags":
            value = tags_encode(value if isinstance(value, (list, tuple)) else str(value or "").split(","))
        if value is None and field not in ("owner", "team", "first_deal_date", "birthday", "contact_window_start",
                                           "contact_window_end", "referred_by"):
            value = ""
        setattr(customer, field, value)
        changed.append(field)
    return changed


@transaction.atomic
def customer_create(*, actor, data: dict[str, Any], now: datetime) -> Customer:
    """Owner defaults to the creator, team to the owner's team."""
    customer = Customer(created_at=now)
    _apply(customer, data)
    if customer.owner_id is None and "owner" not in data:
        customer.owner = actor if not access.is_support(actor) else None
    if customer.team_id is None and customer.owner is not None:
        customer.team_id = customer.owner.team_id
    _check_people(actor=actor, customer=customer)
    _check_referrer(actor=actor, customer=customer)
    customer.full_clean()
    customer.save()
    event_emit("customer.created", customer, now=now)
    return customer


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: dict[str, Any]) -> Customer:
    before = (customer.owner_id, customer.team_id)
    referrer_before = customer.referred_by_id
    changed = _apply(customer, data)
    if "owner" in changed and "team" not in data and customer.owner is not None:
        customer.team_id = customer.owner.team_id
        changed.append("team")
    _check_people(actor=actor, customer=customer, before=before)
    _check_referrer(actor=actor, customer=customer, before=referrer_before)
    customer.full_clean()
    customer.save(update_fields=[*set(changed), "updated_at"] if changed else ["updated_at"])
    event_emit("customer.updated", customer)
    return customer


def customer_delete(*, actor, customer: Customer) -> None:
    customer.delete()


@transaction.atomic
def customer_upsert_by_external_id(*, actor, source: str, external_id: str, data: dict[str, Any],
                                   now: datetime, scope) -> tuple[Customer, bool]:
    """Idempotent create-or-update keyed on (source, external_id).

    ``scope`` is the caller's readable customers: an existing row outside it is
    reported as a conflict rather than silently overwritten or revealed."""
    existing = Customer.objects.select_for_update().filter(source=source, external_id=external_id).first()
    data = {**data, "source": source, "external_id": external_id}
    if existing is None:
        return customer_create(actor=actor, data=data, now=now), True
    if not scope.filter(pk=existing.pk).exists():
        raise ValidationError({"external_id": [_("This external ID belongs to a customer you cannot edit.")]})
    return customer_update(actor=actor, customer=existing, data=data), False


def customer_bulk_upsert(*, actor, rows: list[dict[str, Any]], now: datetime) -> tuple[bool, list[dict[str, Any]]]:
    """All-or-nothing upsert of parsed rows keyed on (source, external_id).

    Each row is ``{"external_id": ..., "data": {...}}`` when it parsed, or
    ``{"external_id": ..., "errors": {...}}`` when it did not. Returns
    ``(written, results)``, one result per row: ``created`` / ``updated`` (with
    ``id``) when everything was written; otherwise nothing is written, the rows in
    error keep their errors and every other row is ``not_written``."""
    results: list[dict[str, Any]] = [
        {"index": index, "external_id": row.get("external_id"), "status": "error", "errors": row["errors"]}
        if row.get("errors") is not None else
        {"index": index, "external_id": row.get("external_id"), "status": "valid"}
        for index, row in enumerate(rows)]
    if any(r["status"] == "error" for r in results):
        return False, _not_written(results)
    scope = Customer.objects.for_user(actor)
    try:
        with transaction.atomic():
            for result, row in zip(results, rows):
                data = dict(row["data"])
                source = data.pop("source", "") or ""
                external_id = data.pop("external_id")
                try:
                    customer, created = customer_upsert_by_external_id(
                        actor=actor, source=source, external_id=external_id, data=data, now=now, scope=scope)
                except ValidationError as exc:
                    result.update(status="error", errors=exc.message_dict if hasattr(exc, "error_dict")
                                  else {"non_field_errors": exc.messages})
                    raise
                result.update(status="created" if created else "updated", id=customer.pk)
    except ValidationError:
        return False, _not_written(results)
    return True, results


def _not_written(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for result in results:
        if result["status"] != "error":
            result["status"] = "not_written"
            result.pop("id", None)
    return results


@transaction.atomic
def contact_save(*, contact: Contact, data: dict[str, Any]) -> Contact:
    for field, value in data.items():
        setattr(contact, field, "" if value is None and field in ("phone", "email", "title") else value)
    contact.full_clean()
    row_save(contact, fields=data)
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )
    event_emit("contact.saved", contact)
    return contact


@transaction.atomic
@transaction.atomic
def transaction_save(*, txn: Transaction, data: dict[str, Any]) -> Transaction:
    """Create or change a transaction. ``lines`` (a list of ``{product, quantity,
    amount}``), when given, replaces its product lines: each product once, and the
    lines add up to the transaction's amount (a ValidationError on ``lines`` otherwise)."""
    data = dict(data)
    lines = data.pop("lines", None)
    creating = txn.pk is None
    for field, value in data.items():
        setattr(txn, field, value)
    txn.full_clean()
    if lines is not None:
        transaction_lines_check(amount=txn.amount, lines=lines)
    row_save(txn, fields=data)
    if lines is not None:
        TransactionLine.objects.filter(transaction=txn).delete()
        TransactionLine.objects.bulk_create([
            TransactionLine(transaction=txn, product=line["product"], quantity=line.get("quantity") or 1,
                            amount=line["amount"]) for line in lines])
    if creating:
        event_emit("transaction.created", txn)
    return txn


def transaction_lines_check(*, amount, lines: list[dict[str, Any]]) -> None:
    """Each product once per transaction; the lines add up to ``amount``."""
    seen, errors = set(), []
    for number, line in enumerate(lines, start=1):
        if line["product"].pk in seen:
            errors.append(_("Line %(n)s: this product is on another line already.") % {"n": number})
        seen.add(line["product"].pk)
    total = sum((line["amount"] for line in lines), start=type(amount)(0))
    if lines:
        try:
            validation.lines_total_check(total=total, amount=amount)
        except ValidationError as e:
            errors.extend(e.messages)
    if errors:
        raise ValidationError({"lines": errors})


def product_save(*, product: Product, data: dict[str, Any]) -> Product:
    """Create or change a catalogue entry (the code is unique)."""
    for field, value in data.items():
        setattr(product, field, value)
    product.full_clean()
    row_save(product, fields=data)
    return product


def _check_interaction_people(*, actor, data: dict[str, Any]) -> None:
    """Staff and next-action owner are people the actor may name (core.access)."""
    people = access.assignable_users_for(actor)
    access.check_choices(**{f: (people, data[f]) for f in ("staff", "next_action_owner") if data.get(f) is not None})


@transaction.atomic
def interaction_log(*, actor, customer: Customer, data: dict[str, Any], now: datetime | None = None
                    ) -> Interaction:
    """Record a follow-up (回访). The logged-in user is the staff member unless given.
    Entered live (``now`` given: page and API) the next action cannot be due in the
    past; imported history only not before the record itself."""
    _check_interaction_people(actor=actor, data=data)
    interaction = Interaction(customer=customer, staff=data.pop("staff", None) or actor)
    for field, value in data.items():
        setattr(interaction, field, value)
    _check_next_action_due(interaction, now=now)
    interaction.full_clean()
    interaction.save()
    # Talking to the customer clears what was pending with them.
    # A back-dated record does not clear what was raised after it.
    FollowUp.objects.filter(customer=customer, done_at__isnull=True,
                            created_at__lte=interaction.occurred_at).update(
        done_at=interaction.occurred_at, done_by=interaction
    )
    if interaction.next_action and interaction.next_action_due:
        followup_create(
            customer=customer, owner=interaction.next_action_owner or interaction.staff,
            source=FollowUp.Source.NEXT_ACTION, reason=interaction.next_action,
            due_at=day_deadline(interaction.next_action_due), now=interaction.occurred_at,
            origin=f"crm.interaction:{interaction.pk}",
        )
    event_emit("interaction.created", interaction)
    return interaction


def _check_next_action_due(interaction: Interaction, *, now: datetime | None) -> None:
    from django.utils import timezone

    due = interaction.next_action_due
    if due is None:
        return
    if now is not None and due < timezone.localdate(now):
        raise ValidationError({"next_action_due": [_("The next action cannot be due in the past.")]})
    if interaction.occurred_at and due < timezone.localdate(interaction.occurred_at):
        raise ValidationError({"next_action_due": [_("The next action cannot be due before the follow-up itself.")]})


def followup_create(*, customer: Customer, owner: User | None, source: str, due_at: datetime, now: datetime,
                    reason: str = "", reason_kind: str = "", reason_params: dict | None = None,
                    origin: str = "") -> FollowUp:
    """Open a follow-up. Idempotent on ``origin``: a second call returns the first row.

    ``reason`` is a person's own words (kept as typed); a reason the system words is
    ``reason_kind`` + ``reason_params`` (a ``core.notifications.text_kind``), rendered
    in the reader's language (``FollowUp.reason_text``); its ``reason`` column then
    holds the text in the site's language, for admin and search."""
    if origin:
        existing = FollowUp.objects.filter(origin=origin).first()
        if existing:
            return existing
    if reason_kind:
        from core.notifications import text_in

        reason = text_in(reason_kind, reason_params or {})
    return FollowUp.objects.create(customer=customer, owner=owner or customer.owner, source=source,
                                   reason=reason[:300], reason_kind=reason_kind,
                                   reason_params=reason_params if reason_kind else None,
                                   due_at=due_at, created_at=now, origin=origin)


@transaction.atomic
def interaction_update(*, actor, interaction: Interaction, data: dict[str, Any], now: datetime | None = None
                       ) -> Interaction:
    """Change a record. A person it already names may stay; a new one must be one
    the actor may name."""
    _check_interaction_people(actor=actor, data={
        f: v for f, v in data.items() if f in ("staff", "next_action_owner")
        and getattr(v, "pk", v) != getattr(interaction, f"{f}_id")})
    changed_due = "next_action_due" in data and data["next_action_due"] != interaction.next_action_due
    for field, value in data.items():
        setattr(interaction, field, value)
    if changed_due:
        _check_next_action_due(interaction, now=now)
    interaction.full_clean()
    row_save(interaction, fields=data)
    return interaction


@transaction.atomic
def user_create(*, username: str, password: str, role: str, team: Team | None, email: str = "",
                first_name: str = "", last_name: str = "") -> User:
    user = User(username=username, role=role, team=team, email=email, first_name=first_name,
                last_name=last_name, is_staff=(role == access.Role.ADMIN), is_superuser=(role == access.Role.ADMIN))
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> User:
    password = data.pop("password", None)
    for field, value in data.items():
        setattr(user, field, value)
    if "role" in data:
        user.is_staff = user.is_superuser = user.role == access.Role.ADMIN
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    row_save(user, fields=[*data, *(["is_staff", "is_superuser"] if "role" in data else []),
                 *(["password"] if password else [])])
    return user


@transaction.atomic
def user_save(*, actor: User, user: User | None, data: dict[str, Any]) -> User:
    """The user form of the admin pages: creates ``user`` when None, else updates it (a
    blank password keeps the old one). An admin cannot remove their own admin access."""
    if user is None:
        user = user_create(username=data["username"], password=data["password"], role=data["role"],
                           team=data["team"], email=data["email"], first_name=data["first_name"],
                           last_name=data["last_name"])
        if not data["is_active"]:
            user_update(user=user, data={"is_active": False})
        return user
    if user.pk == actor.pk and (not data["is_active"] or data["role"] != access.Role.ADMIN):
        raise ValidationError({"role": [_("You cannot remove your own admin access.")]})
    update = {k: data[k] for k in ("username", "first_name", "last_name", "email", "role", "team", "is_active")}
    if data["password"]:
        update["password"] = data["password"]
    return user_update(user=user, data=update)


def team_get_or_create(*, name: str) -> Team:
    team, _created = Team.objects.get_or_create(name=name)
    return team


@transaction.atomic
def team_rename(*, team: Team, name: str) -> Team:
    team.name = name
    team.full_clean()
    team.save(update_fields=["name"])
    return team


def api_token_for(*, user: User) -> str:
    """The user's API token (made at their first token sign-in)."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token.key

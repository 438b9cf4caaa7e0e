"""Writes of the care layer. Nothing here reads the clock: ``as_of`` / ``now`` come in."""
from __future__ import annotations

import calendar
import datetime as dt
from string import Formatter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from care import selectors
from care.holidays import default_holidays
from care.models import CareSettings, CareTask, Holiday, MembershipPerk, Occasion
from core.clock import day_deadline

GREETING_FIELDS = {"birthday": {"name", "perk"}, "holiday": {"name", "holiday", "perk"}}
BATCH = 500


def greeting_check(template: str, *, occasion: str) -> None:
    """A greeting may use only its occasion's placeholders (a typo would reach the customer)."""
    allowed = GREETING_FIELDS[occasion]
    try:
        names = {field for _text, field, _spec, _conv in Formatter().parse(template) if field is not None}
    except ValueError:
        raise ValidationError(_("Unbalanced braces in the greeting."), code="greeting") from None
    if unknown := sorted(names - allowed):
        raise ValidationError(
            _("Unknown placeholder %(names)s; use %(allowed)s.") % {
                "names": ", ".join("{%s}" % n for n in unknown),
                "allowed": ", ".join("{%s}" % n for n in sorted(allowed))}, code="greeting")


def greeting_render(template: str, **values) -> str:
    return template.format_map(values).strip()


def birthday_on(birthday: dt.date, year: int) -> dt.date:
    """The day a birthday is celebrated in ``year``: 29 February falls on the 28th in a common year."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def _birthday_match(days: list[dt.date], prefix: str = "") -> tuple[Q, dict[tuple[int, int], dt.date]]:
    """A Q for birthdays celebrated on one of ``days`` and the celebration day of each (month, day)."""
    celebrated: dict[tuple[int, int], dt.date] = {}
    for day in days:
        celebrated[(day.month, day.day)] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            celebrated[(2, 29)] = day
    match = Q(pk__in=[])
    for month, dom in celebrated:
        match |= Q(**{f"{prefix}birthday__month": month, f"{prefix}birthday__day": dom})
    return match, celebrated


@transaction.atomic
def care_tasks_generate(*, as_of: dt.date, now: dt.datetime) -> int:
    """Open the care tasks due on ``as_of``: birthdays (customer's, and its key
    contact's) within ``birthday_days_ahead``, and holidays of the calendar within
    ``holiday_days_ahead``, for every customer with an owner. Each is a follow-up
    in the owner's queue, due today, with its greeting and the perk of the
    customer's membership level. Set-based (a few queries per batch, none per
    customer); safe to re-run: an occasion already opened is skipped by the
    unique constraint. Returns the number of tasks opened."""
    from crm.models import Contact, Customer

    settings = selectors.care_settings_get()
    perks = selectors.perks_by_level()
    birthday_days = [as_of + dt.timedelta(days=i) for i in range(settings.birthday_days_ahead + 1)]
    planned: list[dict] = []

    customer_match, celebrated = _birthday_match(birthday_days)
    for c in (Customer.objects.filter(customer_match, owner__isnull=False)
              .select_related("segment").only("id", "name", "owner_id", "birthday", "segment__membership_level")):
        planned.append(_plan(c, contact=None, occasion=Occasion.BIRTHDAY,
                             day=celebrated[(c.birthday.month, c.birthday.day)], settings=settings, perks=perks))
    contact_match, celebrated = _birthday_match(birthday_days)
    for k in (Contact.objects.filter(contact_match, is_primary=True, customer__owner__isnull=False)
              .select_related("customer", "customer__segment")
              .only("id", "name", "birthday", "customer__id", "customer__name", "customer__owner_id",
                    "customer__segment__membership_level")):
        planned.append(_plan(k.customer, contact=k, occasion=Occasion.BIRTHDAY,
                             day=celebrated[(k.birthday.month, k.birthday.day)], settings=settings, perks=perks))

    holidays = list(Holiday.objects.filter(date__gte=as_of,
                                           date__lte=as_of + dt.timedelta(days=settings.holiday_days_ahead)))
    if holidays:
        customers = list(Customer.objects.filter(owner__isnull=False).select_related("segment")
                         .only("id", "name", "owner_id", "segment__membership_level"))
        for holiday in holidays:
            planned.extend(_plan(c, contact=None, occasion=Occasion.HOLIDAY, day=holiday.date, settings=settings,
                                 perks=perks, holiday=holiday) for c in customers)
    opened = 0
    for start in range(0, len(planned), BATCH):
        opened += _open(planned[start:start + BATCH], as_of=as_of, now=now)
    return opened


def _membership(customer) -> str:
    from segmentation.models import CustomerSegment

    try:
        return customer.segment.membership_level
    except CustomerSegment.DoesNotExist:
        return ""


def _plan(customer, *, contact, occasion: str, day: dt.date, settings: CareSettings, perks: dict,
          holiday: Holiday | None = None) -> dict:
    perk_row = perks.get(_membership(customer))
    perk = ""
    if perk_row is not None:
        perk = perk_row.birthday_perk if occasion == Occasion.BIRTHDAY else perk_row.holiday_perk
    name = contact.name if contact else customer.name
    if occasion == Occasion.BIRTHDAY:
        greeting = greeting_render(settings.birthday_greeting, name=name, perk=perk)
    else:
        greeting = greeting_render(holiday.greeting, name=name, holiday=holiday.name, perk=perk)
    person_key = f"contact:{contact.pk}" if contact else ""
    return {"customer": customer, "contact": contact, "person_key": person_key, "occasion": occasion, "day": day,
            "holiday": holiday, "greeting": greeting, "perk": perk,
            "origin": f"care:{occasion}:{customer.pk}:{person_key}:{day.isoformat()}"}


def _open(batch: list[dict], *, as_of: dt.date, now: dt.datetime) -> int:
    """Insert the batch's follow-ups and tasks; occasions already opened are skipped."""
    from crm.models import FollowUp

    existing = set(FollowUp.objects.filter(origin__in=[p["origin"] for p in batch]).values_list("origin", flat=True))
    fresh = [p for p in batch if p["origin"] not in existing]
    if not fresh:
        return 0
    due = day_deadline(as_of)
    FollowUp.objects.bulk_create([
        FollowUp(customer_id=p["customer"].pk, owner_id=p["customer"].owner_id, source=FollowUp.Source.CARE,
                 reason=_reason(p), due_at=due, created_at=now, origin=p["origin"]) for p in fresh],
        ignore_conflicts=True)
    ids = dict(FollowUp.objects.filter(origin__in=[p["origin"] for p in fresh]).values_list("origin", "pk"))
    tasks = [CareTask(customer_id=p["customer"].pk, contact=p["contact"], person_key=p["person_key"],
                      occasion=p["occasion"], occasion_date=p["day"], holiday=p["holiday"],
                      holiday_name=p["holiday"].name if p["holiday"] else "", greeting=p["greeting"], perk=p["perk"],
                      followup_id=ids[p["origin"]], created_at=now) for p in fresh]
    return len(CareTask.objects.bulk_create(tasks, ignore_conflicts=True))


def _reason(plan: dict) -> str:
    """Stored on the follow-up (its list elsewhere); the queue shows the task's own text."""
    who = plan["contact"].name if plan["contact"] else plan["customer"].name
    if plan["occasion"] == Occasion.BIRTHDAY:
        return f"{who} 生日 {plan['day']:%m-%d}"
    return f"{plan['holiday'].name} {plan['day']:%m-%d}"


@transaction.atomic
def holiday_defaults_ensure(*, year: int) -> int:
    """Fill ``year`` with the default Chinese public holidays while it has none
    (a year the lead already edited is left alone). Returns the number added."""
    if Holiday.objects.filter(date__year=year).exists():
        return 0
    rows = [Holiday(date=day, name=name) for day, name in default_holidays(year)]
    return len(Holiday.objects.bulk_create(rows, ignore_conflicts=True))


def _require_care_admin(actor) -> None:
    from django.core.exceptions import PermissionDenied

    from core import access

    if not access.can_configure_care(actor):
        raise PermissionDenied("Only a team lead or an admin may change the care settings.")


@transaction.atomic
def care_settings_update(*, actor, data: dict, perks: dict[str, tuple[str, str]], now: dt.datetime) -> CareSettings:
    """Days ahead, the birthday greeting and each level's perks, saved together
    (team lead or admin); a bad greeting refuses the whole change."""
    _require_care_admin(actor)
    if "birthday_greeting" in data:
        try:
            greeting_check(data["birthday_greeting"], occasion="birthday")
        except ValidationError as exc:
            raise ValidationError({"birthday_greeting": exc.messages}) from None
    obj, _created = CareSettings.objects.select_for_update().get_or_create(pk=1)
    for field, value in data.items():
        setattr(obj, field, value)
    obj.updated_at, obj.updated_by = now, actor
    obj.full_clean()
    obj.save()
    for level, (birthday, holiday) in perks.items():
        MembershipPerk.objects.update_or_create(membership_level=level,
                                                defaults={"birthday_perk": birthday, "holiday_perk": holiday})
    return obj


@transaction.atomic
def holiday_calendar_update(*, actor, year: int, rows: list[dict]) -> None:
    """Save a year of the calendar as edited: each row ``{"id", "date", "name",
    "greeting", "delete"}`` (``id`` None for a new day). Checked as a whole first:
    errors come back as ``{"<index>.<field>": [...]}``, nothing half-saved."""
    _require_care_admin(actor)
    errors: dict[str, list[str]] = {}
    kept_days: dict[dt.date, int] = {}
    for index, row in enumerate(rows):
        if row.get("delete"):
            continue
        if row["date"].year != year:
            errors.setdefault(f"{index}.date", []).append(
                _("This calendar is for %(year)s.") % {"year": year})
        if row["date"] in kept_days:
            errors.setdefault(f"{index}.date", []).append(_("Another holiday is already on this day."))
        kept_days[row["date"]] = index
        try:
            greeting_check(row["greeting"], occasion="holiday")
        except ValidationError as exc:
            errors.setdefault(f"{index}.greeting", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    existing = {h.pk: h for h in Holiday.objects.select_for_update().filter(date__year=year)}
    delete_ids = [row["id"] for row in rows if row.get("delete") and row.get("id") in existing]
    Holiday.objects.filter(pk__in=delete_ids).delete()
    try:
        with transaction.atomic():
            for row in rows:
                if row.get("delete"):
                    continue
                holiday = existing.get(row.get("id")) or Holiday()
                holiday.date, holiday.name, holiday.greeting = row["date"], row["name"], row["greeting"]
                holiday.full_clean(validate_unique=False, validate_constraints=False)
                holiday.save()
    except IntegrityError:
        # Two rows swapping their days: save one move at a time.
        raise ValidationError(_("Two holidays cannot swap days in one save; move one at a time.")) from None


@transaction.atomic
def talking_points_update(*, actor, points: dict[str, str], now: dt.datetime) -> None:
    """Each tier's talking points (team lead or admin). A tier left empty is refused:
    the queue would show a customer without anything to say."""
    from care.models import TalkingPoints
    from segmentation.models import Tier

    _require_care_admin(actor)
    tiers = dict(Tier.choices)
    errors = {f"points_{tier}": [_("Give at least one talking point.")] for tier, text in points.items()
              if tier in tiers and not text.strip()}
    if unknown := [tier for tier in points if tier not in tiers]:
        errors[None] = [_("Unknown tier %(tier)s.") % {"tier": ", ".join(unknown)}]
    if errors:
        raise ValidationError({k or "__all__": v for k, v in errors.items()})
    for tier, text in points.items():
        TalkingPoints.objects.update_or_create(tier=tier, defaults={"points": text.strip(), "updated_at": now,
                                                                    "updated_by": actor})

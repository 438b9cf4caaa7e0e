"""One definition of each field rule of the CRM records, used by the API
serializers, the browser forms and the import (crm.importing).

Every rule is a plain function of one value that returns the cleaned value or
raises ``django.core.exceptions.ValidationError``; the record checks
(``customer_check`` …) apply them to a dict and collect the messages per field.
The import applies the same functions to the distinct values of a column
(``series_apply``), so a file and a form can never disagree. Time is an
argument: "not in the future" compares with the ``today`` the caller gives."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ------------------------------------------------------------------ text


def text_clean(value: Any) -> str:
    """Trim and fold full-width characters to half-width (NFKC): '１３８' → '138'."""
    if value is None:
        return ""
    value = str(value)
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


# ------------------------------------------------------------------ phone

_PHONE_SEPARATORS = re.compile(r"[\s\-().（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_LANDLINE_DIGITS = re.compile(r"0\d{9,11}")
PHONE_HELP = _("Use a mobile number (13812345678), a landline with its area code (010-12345678) "
               "or an international number (+44 20 7946 0958).")


def phone_normalize(value: Any) -> str:
    """'' stays ''. Chinese mobile → 13812345678; landline → 010-12345678
    (3-digit area codes are 010 and 02x, all others 4 digits); other
    countries → E.164 (+441632960961). Anything else is an error."""
    raw = text_clean(value)
    if not raw:
        return ""
    v = _PHONE_SEPARATORS.sub("", raw)
    if v.startswith("0086"):
        v = "+86" + v[4:]
    if v.startswith("+86"):
        v = v[3:]
        if not _MOBILE.fullmatch(v) and not v.startswith("0"):
            v = "0" + v  # +86 10 12345678: the trunk 0 is dropped in international form
    elif v.startswith("+"):
        if _E164.fullmatch(v):
            return v
        v = ""
    if _MOBILE.fullmatch(v):
        return v
    if _LANDLINE_DIGITS.fullmatch(v):
        area_len = 3 if v[1] in "12" else 4
        number = v[area_len:]
        if 7 <= len(number) <= 8 and number[0] != "0":
            return f"{v[:area_len]}-{number}"
    raise ValidationError(_("“%(value)s” is not a phone number. %(help)s"), code="invalid_phone",
                          params={"value": raw, "help": PHONE_HELP})


# ------------------------------------------------------------------ e-mail


def email_normalize(value: Any) -> str:
    """Django's e-mail validator, on the trimmed, lower-cased address."""
    v = text_clean(value).lower()
    if not v:
        return ""
    try:
        django_validate_email(v)
    except ValidationError:
        raise ValidationError(_("“%(value)s” is not a valid e-mail address."), code="invalid_email",
                              params={"value": v}) from None
    return v


# ------------------------------------------------------------------ ID numbers

_RESIDENT_ID = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Unified social credit code (统一社会信用代码, GB 32100) of an organisation: 18 characters.
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9-]{4,30}")
# Documents other than the resident ID card are stored marked: "passport:E12345678".
OTHER_DOCUMENTS = {
    "passport": ("passport", "护照"),
    "hk_macau": ("hk_macau", "港澳通行证", "回乡证"),
    "taiwan": ("taiwan", "台胞证", "台湾居民来往大陆通行证"),
    "foreign": ("foreign", "外国人永久居留证", "永久居留证"),
    "other": ("other", "其他", "其它"),
}
_DOCUMENT_ALIASES = {alias: key for key, aliases in OTHER_DOCUMENTS.items() for alias in aliases}


def resident_id_check_digit(body17: str) -> str:
    """GB 11643: weighted sum of the first 17 digits mod 11 picks the 18th character."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS)) % 11]


def id_number_normalize(value: Any, *, kind: str = "person") -> str:
    """A person's 18-character resident ID (valid birth date and GB 11643 check
    digit), an organisation's unified social credit code, or another document
    marked with its type (``passport:E12345678``, ``护照:E12345678``)."""
    v = re.sub(r"\s", "", text_clean(value)).upper()
    if not v:
        return ""
    if ":" in v:
        prefix, number = v.split(":", 1)
        key = _DOCUMENT_ALIASES.get(prefix.lower()) or _DOCUMENT_ALIASES.get(prefix)
        if key is None:
            raise ValidationError(
                _("Unknown document type “%(prefix)s”. Mark other documents as %(types)s followed by the number."),
                code="invalid_document", params={"prefix": prefix, "types": ", ".join(f"{k}:" for k in OTHER_DOCUMENTS)})
        if not _DOCUMENT_NUMBER.fullmatch(number):
            raise ValidationError(_("A document number has 4 to 30 letters or digits."), code="invalid_document")
        return f"{key}:{number}"
    if kind == "company":
        if _CREDIT_CODE.fullmatch(v):
            return v
        raise ValidationError(
            _("An organisation's ID is its 18-character unified social credit code; mark other documents "
              "as %(types)s followed by the number."),
            code="invalid_credit_code", params={"types": ", ".join(f"{k}:" for k in OTHER_DOCUMENTS)})
    if not _RESIDENT_ID.fullmatch(v):
        raise ValidationError(
            _("A resident ID card number has 18 characters (17 digits and a digit or X); mark other documents "
              "as %(types)s followed by the number."),
            code="invalid_id_number", params={"types": ", ".join(f"{k}:" for k in OTHER_DOCUMENTS)})
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in this ID card number is not a valid date."),
                              code="invalid_id_number") from None
    if resident_id_check_digit(v[:17]) != v[17]:
        raise ValidationError(_("The check digit of this ID card number is wrong: check the number."),
                              code="invalid_id_number")
    return v


# ------------------------------------------------------------------ dates and amounts

_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DATETIME = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
                       r"(Z|[+-]\d{2}:?\d{2})?)?")
DATE_HELP = _("Enter a date as YYYY-MM-DD, e.g. 2026-03-31.")


def date_parse(value: Any) -> date | None:
    """'' → None; '2026-03-31', '2026/3/31', '2026年3月31日' → date. A date that
    does not exist (1990-02-30) says so, instead of blaming the format."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    v = text_clean(value)
    if not v:
        return None
    m = _DATE.fullmatch(v)
    if not m:
        raise ValidationError(_("“%(value)s” is not a date. %(help)s"), code="invalid_date",
                              params={"value": v, "help": DATE_HELP})
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a valid date."), code="invalid_date",
                              params={"value": v}) from None


def datetime_parse(value: Any) -> datetime | None:
    """'' → None; '2026-03-31 14:30' (local time), ISO 8601 with an offset, or a
    bare date (local midnight) → aware datetime."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    v = text_clean(value)
    if not v:
        return None
    m = _DATETIME.fullmatch(v)
    if not m:
        raise ValidationError(_("“%(value)s” is not a date and time. Enter it as YYYY-MM-DD HH:MM."),
                              code="invalid_datetime", params={"value": v})
    try:
        parsed = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a valid date."), code="invalid_date",
                              params={"value": v}) from None
    try:
        if m[7]:
            from django.utils.dateparse import parse_datetime

            aware = parse_datetime(f"{parsed.isoformat()}{m[7]}")
        else:
            aware = timezone.make_aware(parsed)
        aware.astimezone(dt_timezone.utc)  # a time at the calendar's edge may leave it in UTC
        timezone.localtime(aware)
    except (ValueError, OverflowError):
        raise ValidationError(_("“%(value)s” is not a valid date."), code="invalid_date",
                              params={"value": v}) from None
    return aware


def not_in_future(value: date | datetime | None, *, today: date) -> None:
    """Transactions, interactions and birthdays happened on or before ``today``."""
    if value is None:
        return
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    if day > today:
        raise ValidationError(_("%(day)s is in the future (today is %(today)s)."), code="future",
                              params={"day": day.isoformat(), "today": today.isoformat()})


_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")


def _decimal(v: str, message, *, code: str) -> Decimal:
    try:
        return Decimal(v)
    except InvalidOperation:
        raise ValidationError(message, code=code, params={"value": v}) from None


def amount_parse(value: Any) -> Decimal | None:
    """'1,200.50', '¥1200.5' → Decimal('1200.50'); must be greater than 0, 2 decimals at most."""
    if isinstance(value, str) and _PLAIN_AMOUNT.fullmatch(value):
        d = Decimal(value)  # the common case, already clean: skip the clean-up below
        if d > 0:
            return d.quantize(Decimal("0.01"))
    if isinstance(value, Decimal):
        d = value
    else:
        v = re.sub(r"[\s,¥￥]|CNY|RMB|元", "", text_clean(value), flags=re.I)
        if not v:
            return None
        d = _decimal(v, _("“%(value)s” is not an amount. Enter a number such as 1200.50."), code="invalid_amount")
    if not d.is_finite():
        raise ValidationError(_("Enter a number such as 1200.50."), code="invalid_amount")
    if d <= 0:
        raise ValidationError(_("The amount must be greater than 0 (a refund is a positive amount of kind "
                                "refund)."), code="amount_not_positive")
    if d.as_tuple().exponent < -2:
        raise ValidationError(_("An amount has at most 2 decimal places."), code="invalid_amount")
    if d >= Decimal("1e12"):
        raise ValidationError(_("The amount is too large."), code="invalid_amount")
    return d.quantize(Decimal("0.01"))


def quantity_parse(value: Any) -> int | None:
    """'3', '３', '3.0' → 3; a whole number of at least 1 (a transaction line's quantity)."""
    v = text_clean(value)
    if not v:
        return None
    d = _decimal(v, _("“%(value)s” is not a quantity. Enter a whole number such as 2."), code="invalid_quantity")
    if not d.is_finite() or d != d.to_integral_value() or d < 1:
        raise ValidationError(_("The quantity is a whole number of at least 1."), code="invalid_quantity")
    if d > 2_147_483_647:
        raise ValidationError(_("The quantity is too large."), code="invalid_quantity")
    return int(d)


def lines_total_check(*, total: Decimal, amount: Decimal) -> None:
    """A transaction's product lines add up to its amount (the API's rule and the import's)."""
    if total != amount:
        raise ValidationError(_("The lines add up to %(total)s, the transaction's amount is %(amount)s.")
                              % {"total": total, "amount": amount}, code="lines_total")


def paid_on_check(*, occurred_on: date | None, paid_on: date | None) -> None:
    if occurred_on is not None and paid_on is not None and paid_on < occurred_on:
        raise ValidationError(_("Paid on (%(paid)s) cannot be before the transaction date (%(date)s)."),
                              code="paid_before_occurred",
                              params={"paid": paid_on.isoformat(), "date": occurred_on.isoformat()})


# ------------------------------------------------------------------ choices


def choice_message(choices, *, placeholder: str = "%(value)s") -> str:
    """'“x” is not a valid choice. Choose one of: a (A), b (B).' — the list is
    built now, in the active language; ``placeholder`` is the caller's (Django
    forms use %(value)s, DRF {input})."""
    listed = ", ".join(f"{value} ({label})" if str(label) != str(value) else str(value)
                       for value, label in choices if value != "")
    return str(_("“%(value)s” is not a valid choice. Choose one of: %(choices)s.")) % {
        "value": placeholder, "choices": listed}


def choice_normalize(value: Any, *, choices, aliases: dict[str, str] | None = None) -> str:
    """A choice's value, its label in any language we speak, or an alias → value."""
    v = text_clean(value)
    if not v:
        return ""
    values = {str(c) for c, _label in choices}
    if v in values:
        return v
    if v.lower() in values:
        return v.lower()
    table = choice_aliases(choices)
    table.update(aliases or {})
    if v in table or v.lower() in table:
        return table.get(v) or table[v.lower()]
    raise ValidationError(choice_message(choices) % {"value": v}, code="invalid_choice")


def choice_aliases(choices) -> dict[str, str]:
    from django.conf import settings
    from django.utils import translation

    table: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in choices:
                table[str(label)] = str(value)
                table[str(label).lower()] = str(value)
    return table


# ------------------------------------------------------------------ records

Errors = dict[str, list[str]]


def _run(errors: Errors, field: str, fn: Callable[[], Any]):
    try:
        return fn()
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return None


def customer_check(data: dict[str, Any], *, today: date, kind: str | None = None,
                   window: tuple | None = None) -> tuple[dict, Errors]:
    """Normalise phone, e-mail and ID number of a customer's (partial) data and
    check its dates. ``kind`` is the stored kind when ``data`` has none; ``window``
    the stored (start, end) of the contact window when ``data`` changes one end."""
    out, errors = dict(data), {}
    if "phone" in out:
        out["phone"] = _run(errors, "phone", lambda: phone_normalize(data["phone"]))
    if "email" in out:
        out["email"] = _run(errors, "email", lambda: email_normalize(data["email"]))
    if "id_number" in out:
        kind = out.get("kind") or kind or "company"
        out["id_number"] = _run(errors, "id_number", lambda: id_number_normalize(data["id_number"], kind=kind))
    if out.get("birthday") is not None:
        _run(errors, "birthday", lambda: not_in_future(out["birthday"], today=today))
    if "contact_window_start" in out or "contact_window_end" in out:
        _run(errors, "contact_window_end", lambda: contact_window_check(
            out.get("contact_window_start", window[0] if window else None),
            out.get("contact_window_end", window[1] if window else None)))
    return out, errors


def contact_window_check(start, end) -> None:
    """A preferred contact window has both ends, and ends after it starts (same day)."""
    if (start is None) != (end is None):
        raise ValidationError(_("Give both ends of the contact window, or neither."), code="window_half")
    if start is not None and end <= start:
        raise ValidationError(_("The contact window must end after it starts."), code="window_order")


def contact_check(data: dict[str, Any], *, today: date | None = None) -> tuple[dict, Errors]:
    out, errors = dict(data), {}
    if today is not None and out.get("birthday") is not None:
        _run(errors, "birthday", lambda: not_in_future(out["birthday"], today=today))
    if "phone" in out:
        out["phone"] = _run(errors, "phone", lambda: phone_normalize(data["phone"]))
    if "email" in out:
        out["email"] = _run(errors, "email", lambda: email_normalize(data["email"]))
    return out, errors


def transaction_check(data: dict[str, Any], *, today: date, occurred_on: date | None = None,
                      paid_on: date | None = None) -> tuple[dict, Errors]:
    """``occurred_on`` / ``paid_on``: the stored values when ``data`` changes only one."""
    out, errors = dict(data), {}
    if out.get("amount") is not None:
        out["amount"] = _run(errors, "amount", lambda: amount_parse(data["amount"]))
    occurred = out.get("occurred_on", occurred_on)
    paid = out.get("paid_on", paid_on)
    _run(errors, "occurred_on", lambda: not_in_future(occurred, today=today))
    _run(errors, "paid_on", lambda: paid_on_check(occurred_on=occurred, paid_on=paid))
    return out, errors


def interaction_check(data: dict[str, Any], *, today: date) -> tuple[dict, Errors]:
    out, errors = dict(data), {}
    if out.get("occurred_at") is not None:
        _run(errors, "occurred_at", lambda: not_in_future(out["occurred_at"], today=today))
    return out, errors


# ------------------------------------------------------------------ columns (the import)


def series_apply(series, fn: Callable[[Any], Any]):
    """Apply a rule to each distinct value of a pandas Series once.

    Returns (values, messages): two object Series aligned with ``series``; a
    message where the rule refused the value (its value is then None). The
    results are spread back to the rows by the factorised codes (numpy take),
    not by a Python loop over the rows."""
    import numpy as np
    import pandas as pd

    arr = series.to_numpy(dtype=object)
    codes, uniques = pd.factorize(arr)  # missing values (None, NaN) get -1
    uniques = list(uniques)
    na = codes == -1
    if na.any():
        codes = codes.copy()
        codes[na] = len(uniques)
        uniques.append(None)
    good = np.empty(len(uniques), dtype=object)
    bad = np.empty(len(uniques), dtype=object)
    for i, u in enumerate(uniques):
        try:
            good[i] = fn(u)
        except ValidationError as exc:
            bad[i] = " ".join(exc.messages)
    values = pd.Series(good.take(codes), index=series.index, dtype=object)
    if not any(m is not None for m in bad):
        return values, pd.Series(None, index=series.index, dtype=object)
    return values, pd.Series(bad.take(codes), index=series.index, dtype=object)

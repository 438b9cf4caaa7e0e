"""Validate a whole file, set-based, into a *stage*: the exact rows a commit writes.

Per chunk of rows: clean and check the columns (specs), drop duplicates within
the file, then look up what the rows refer to with one query per referenced
table (customers by external ID, existing records by (source, external_id),
owners, teams). A stage row is the complete database row: an update is the
stored row with the file's non-empty cells laid over it, a create has the
model's defaults; personal fields are sealed (core.crypto) before anything
leaves this module. Unchanged rows and duplicates are counted, not staged."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core import access, crypto
from core.fields import EncryptedTextField
from crm.importing import reading, specs
from crm import validation
from crm.models import Customer, Product, Team, Transaction, TransactionLine, User

# Import field → model column where the names differ.
COLUMN_OF = {"customer_external_id": "customer_id", "owner": "owner_id", "team": "team_id",
             "referred_by_external_id": "referred_by_id", "transaction_external_id": "transaction_id",
             "product_code": "product_id"}
UPSERT_ENTITIES = ("customers", "transactions")


@dataclass
class Stage:
    entity: str
    columns: list[str]  # the model's columns, in the order of every frame ("id" first: the pk of an update)
    update_columns: list[str]
    frames: list[pd.DataFrame] = field(default_factory=list)  # database text, None = NULL
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated


@dataclass
class Validation:
    stage: Stage
    errors: pd.DataFrame  # row, field, message
    rows: int

    @property
    def error_rows(self) -> int:
        return int(self.errors["row"].nunique()) if len(self.errors) else 0

    @property
    def ok(self) -> bool:
        return self.error_rows == 0

    def summary(self) -> dict[str, int]:
        return {"created": self.stage.created, "updated": self.stage.updated, "unchanged": self.stage.unchanged,
                "errors": self.error_rows}


@dataclass
class Context:
    actor: Any
    entity: str
    mapping: dict[str, str]
    today: date
    now: datetime
    default_team_id: int | None
    seen: dict = field(default_factory=dict)  # dedup key → (row, hash), across chunks
    stored_ids: dict = field(default_factory=dict)  # (model, sources) → whether any record has an external ID
    occurrences: dict = field(default_factory=dict)  # natural key → rows of it staged so far, across chunks
    lines: dict = field(default_factory=dict)  # transaction lines: transaction id → {product id: (row, amount)}


def model_columns(model) -> list[str]:
    return ["id", *[f.attname for f in model._meta.concrete_fields if f.attname != "id"]]


def values_in(values) -> RawSQL:
    """A subquery of the given strings (or ids) with ONE parameter (no IN list per row)."""
    values = list(values)
    ids = bool(values) and all(isinstance(v, int) for v in values)
    values = [int(v) for v in values] if ids else [str(v) for v in values]
    if connection.vendor == "postgresql":
        return RawSQL(f"SELECT unnest(%s::{'bigint' if ids else 'text'}[])", (values,))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(values),))


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column as plain Python strings ('' where empty), object dtype (pandas'
    own string dtype is iterated value by value, far slower)."""
    if name not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    col = frame[name].astype(object)
    col = col.where(col.notna(), "")
    if pd.api.types.infer_dtype(col.to_numpy(), skipna=False) != "string":
        col = pd.Series([v if isinstance(v, str) else str(v) for v in col.to_numpy()], index=frame.index,
                        dtype=object)
    return col


def _has(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name].notna() & (frame[name].astype(object) != "")


# ---------------------------------------------------------------- duplicates within the file


def _dedup_key(entity: str, frame: pd.DataFrame) -> pd.Series | None:
    ext = _text(frame, "external_id")
    if entity == "customers":
        return ("e" + _text(frame, "source") + "\x1f" + ext).where(ext != "", "n" + _text(frame, "name") + "\x1f"
                                                                   + _text(frame, "phone"))
    if entity == "transactions":
        return ("e" + _text(frame, "source") + "\x1f" + ext).where(ext != "", None)
    if entity == "transaction_lines":
        return "l" + _text(frame, "source") + "\x1f" + _text(frame, "transaction_external_id") + "\x1f" + \
            _text(frame, "product_code")
    if entity == "contacts":
        return "c" + _text(frame, "customer_external_id") + "\x1f" + _text(frame, "name") + "\x1f" + \
            _text(frame, "phone")
    return "i" + _text(frame, "customer_external_id") + "\x1f" + frame.get("occurred_at", pd.Series(
        "", index=frame.index)).astype(str) + "\x1f" + _text(frame, "summary")


def _deduplicate(ctx: Context, chunk: pd.DataFrame, frame: pd.DataFrame, errors: specs.Errors) -> pd.Series:
    """Rows to skip: the same record as an earlier row (same key, same cells).
    The same external ID with other cells is an error (which row should win is
    the user's call). Set look-ups, so a million keys cost about a second."""
    keys = _dedup_key(ctx.entity, frame)
    skip = pd.Series(False, index=frame.index)
    if keys is None:
        return skip
    hashes = pd.util.hash_pandas_object(chunk[list(ctx.mapping)], index=False).to_numpy()
    rows = frame.index.to_numpy()
    seen = ctx.seen
    conflicts: dict[int, str] = {}
    for i in np.flatnonzero([k is not None and k == k and k in seen for k in keys.to_numpy(dtype=object)]
                            if len(seen) else np.zeros(0, dtype=int)):
        key = keys.iat[i]
        first_row, first_hash = seen[key]
        if first_hash == hashes[i] or key[0] not in "el":
            skip.iat[i] = True
        else:
            conflicts[rows[i]] = _conflict_message(key, first_row)
    fresh = keys.notna() & ~skip & ~frame.index.isin(list(conflicts))
    dup_in_chunk = fresh & keys.duplicated(keep="first")
    dup_positions = np.flatnonzero(dup_in_chunk.to_numpy())
    first_of = {}
    if len(dup_positions):
        firsts = np.flatnonzero((fresh & ~dup_in_chunk).to_numpy())
        first_of = dict(zip(keys.to_numpy(dtype=object)[firsts], firsts))
    for i in dup_positions:
        key = keys.iat[i]
        first = first_of[key]
        if hashes[first] == hashes[i] or key[0] not in "el":
            skip.iat[i] = True
        else:
            conflicts[rows[i]] = _conflict_message(key, rows[first])
    new = fresh & ~dup_in_chunk
    seen.update(zip(keys[new].to_numpy(dtype=object), zip(rows[new.to_numpy()], hashes[new.to_numpy()])))
    errors.add("product_code" if ctx.entity == "transaction_lines" else "external_id",
               pd.Series(conflicts, dtype=object))
    return skip


def _conflict_message(key: str, row) -> str:
    if key[0] == "l":
        return _("Same transaction and product as row %(row)s, with other values.") % {"row": row}
    return _("Same external ID as row %(row)s, with other values.") % {"row": row}


# ---------------------------------------------------------------- look-ups (one query per table)


def _customer_ids(ctx: Context, frame: pd.DataFrame, errors: specs.Errors,
                  column: str = "customer_external_id") -> pd.Series:
    """customer_external_id (or another column naming a customer by external ID, e.g. the
    referrer's) → id among the customers the actor may edit."""
    ext = _text(frame, column)
    wanted = sorted(set(ext) - {""})
    found: dict[str, list[int]] = {}
    if wanted:
        rows = Customer.objects.for_user(ctx.actor).filter(external_id__in=values_in(wanted)).values_list(
            "external_id", "id")
        for e, pk in rows:
            found.setdefault(e, []).append(pk)
    unique = pd.Series({e: pks[0] for e, pks in found.items() if len(pks) == 1}, dtype=object)
    ids = ext.map(unique).astype(object) if len(unique) else pd.Series(None, index=ext.index, dtype=object)
    ids = ids.where(ids.notna(), None)
    missing = (ext != "") & ids.isna()
    messages = ext[missing].map(lambda e: (_("Several of your customers have external ID %(id)s.") if e in found
                                           else _("No customer of yours has external ID %(id)s.")) % {"id": e})
    errors.add(column, messages)
    return ids


def _transaction_ids(ctx: Context, frame: pd.DataFrame, errors: specs.Errors) -> pd.Series:
    """(source, transaction_external_id) → the id of that transaction, which must belong
    to a customer the actor may edit (one query, whatever the file's size)."""
    ext = _text(frame, "transaction_external_id")
    source = _text(frame, "source")
    keys = source + "\x1f" + ext
    wanted = sorted(set(ext) - {""})
    found: dict[str, tuple[int, bool]] = {}
    if wanted:
        scoped = Customer.objects.for_user(ctx.actor).filter(pk=OuterRef("customer_id"))
        visible = Transaction.objects.for_user(ctx.actor).filter(pk=OuterRef("pk"))
        rows = Transaction.objects.filter(source__in=sorted(set(source)), external_id__in=values_in(wanted)).annotate(
            _in_scope=Exists(scoped) & Exists(visible)).values_list("source", "external_id", "id", "_in_scope")
        found = {f"{src}\x1f{e}": (pk, bool(ok)) for src, e, pk, ok in rows}
    ours = pd.Series({k: pk for k, (pk, ok) in found.items() if ok}, dtype=object)
    ids = keys.map(ours).astype(object) if len(ours) else pd.Series(None, index=ext.index, dtype=object)
    ids = ids.where(ids.notna(), None)
    missing = (ext != "") & ids.isna()
    messages = pd.Series([(_("This transaction belongs to a customer you cannot edit.") if k in found else
                           _("No transaction has external ID %(id)s (source “%(source)s”).")
                           % {"id": k.split("\x1f", 1)[1], "source": k.split("\x1f", 1)[0]})
                          for k in keys[missing]], index=keys.index[missing.to_numpy()], dtype=object)
    errors.add("transaction_external_id", messages)
    return ids


def _product_ids(frame: pd.DataFrame, errors: specs.Errors) -> pd.Series:
    """product_code → the id of that product of the catalogue."""
    codes = _text(frame, "product_code")
    wanted = sorted(set(codes) - {""})
    found = dict(Product.objects.filter(code__in=values_in(wanted)).values_list("code", "id")) if wanted else {}
    ids = codes.map(found).astype(object) if found else pd.Series(None, index=codes.index, dtype=object)
    ids = ids.where(ids.notna(), None)
    missing = (codes != "") & ids.isna()
    errors.add("product_code", codes[missing].map(lambda c: _("No product has the code %(code)s.") % {"code": c}))
    return ids


def _existing_lines(new: pd.DataFrame) -> pd.DataFrame:
    """The stored lines with the rows' (transaction, product), aligned with ``new``."""
    cols = model_columns(TransactionLine)
    known = new["transaction_id"].notna() & new["product_id"].notna()
    if not known.any():
        return pd.DataFrame(index=new.index, columns=cols, dtype=object)
    txns = sorted({int(t) for t in new.loc[known, "transaction_id"]})
    stored = pd.DataFrame(list(TransactionLine.objects.filter(transaction_id__in=values_in(txns)).values(*cols)),
                          columns=cols, dtype=object)
    stored.index = stored["transaction_id"].map(_key_text) + "\x1f" + stored["product_id"].map(_key_text)
    key = new["transaction_id"].map(_key_text) + "\x1f" + new["product_id"].map(_key_text)
    old = stored.reindex(key.to_numpy())
    old.index = new.index
    return old.astype(object).where(old.notna(), None)


def _lines_collect(ctx: Context, new: pd.DataFrame, old: pd.DataFrame, rows: pd.Series) -> None:
    """Remember the amount each kept row gives its transaction's line (the stored one
    where the file leaves it blank), for the check that the lines add up."""
    amount = new["amount"] if "amount" in new else pd.Series(None, index=new.index, dtype=object)
    amount = amount.where(amount.notna(), old["amount"])
    for row, txn, product, value in zip(new.index[rows.to_numpy()], new.loc[rows, "transaction_id"],
                                        new.loc[rows, "product_id"], amount[rows]):
        ctx.lines.setdefault(int(txn), {})[int(product)] = (row, value)


def _lines_total_errors(ctx: Context, errors: specs.Errors) -> None:
    """crm.validation.lines_total_check for every transaction the file gives lines: its
    stored lines of other products plus the file's add up to its amount (two queries)."""
    if not ctx.lines:
        return
    txns = values_in(sorted(ctx.lines))
    amounts = dict(Transaction.objects.filter(pk__in=txns).values_list("id", "amount"))
    stored: dict[int, dict[int, Decimal]] = {}
    for txn, product, value in TransactionLine.objects.filter(transaction_id__in=txns).values_list(
            "transaction_id", "product_id", "amount"):
        stored.setdefault(txn, {})[product] = value
    for txn, lines in ctx.lines.items():
        if txn not in amounts or any(v is None for _row, v in lines.values()):
            continue
        total = sum((Decimal(v) for _row, v in lines.values()), start=Decimal(0))
        total += sum((v for p, v in stored.get(txn, {}).items() if p not in lines), start=Decimal(0))
        try:
            validation.lines_total_check(total=total.quantize(Decimal("0.01")), amount=amounts[txn])
        except ValidationError as e:
            errors.add("amount", pd.Series(e.messages[0], index=sorted(r for r, _v in lines.values()), dtype=object))


def _referrers(ctx: Context, frame: pd.DataFrame, old: pd.DataFrame, errors: specs.Errors) -> pd.Series:
    """referred_by_external_id → the referrer's id (crm.services' rules, set-based): a
    customer the actor can see, not the row itself, and only for a customer who has not
    bought yet unless it is the referrer they already have."""
    ids = _customer_ids(ctx, frame, errors, column="referred_by_external_id")
    own = old["id"]
    given = ids.notna()
    self_ref = given & own.notna() & (ids.astype(object) == own.astype(object))
    errors.add_where("referred_by_external_id", self_ref, _("A customer cannot refer themselves."))
    changed = given & own.notna() & ~self_ref & (ids.astype(object) != old["referred_by_id"].astype(object))
    if changed.any():
        bought = set(Transaction.objects.filter(customer_id__in=values_in(sorted({int(i) for i in own[changed]})),
                                                kind=Transaction.Kind.PURCHASE)
                     .order_by().values_list("customer_id", flat=True).distinct())
        late = changed & own.isin(list(bought))
        errors.add_where("referred_by_external_id", late,
                         _("This customer has already bought: a referrer is recorded before the first purchase."))
    return ids.where(~self_ref, None)


def _existing(ctx: Context, model, frame: pd.DataFrame, errors: specs.Errors) -> pd.DataFrame:
    """The stored rows with the same (source, external_id), aligned with ``frame``
    (all NaN where none), plus ``_in_scope``."""
    ext = _text(frame, "external_id")
    cols = model_columns(model)
    if not (ext != "").any():
        return pd.DataFrame(index=frame.index, columns=[*cols, "_in_scope"], dtype=object)
    source = _text(frame, "source")
    sources = sorted(set(pd.unique(source.to_numpy())))
    candidates = model.objects.filter(source__in=sources).exclude(external_id="")
    if not ctx.stored_ids.setdefault((model, tuple(sources)), candidates.exists()):
        # No record of these sources has an external ID yet (a first import): nothing to look up.
        return pd.DataFrame(index=frame.index, columns=[*cols, "_in_scope"], dtype=object)
    scope = Customer.objects.for_user(ctx.actor)
    scoped = scope.filter(pk=OuterRef("pk")) if model is Customer else scope.filter(pk=OuterRef("customer_id"))
    # source and a non-blank external_id: the partial unique index answers, whatever the table's size.
    stored = pd.DataFrame(list(candidates.filter(external_id__in=values_in(sorted(set(ext) - {""}))).annotate(
        _in_scope=Exists(scoped)).values(*cols, "_in_scope")), columns=[*cols, "_in_scope"], dtype=object)
    # (source, external_id) is unique in the table: align the stored rows with the file's by that key.
    stored.index = stored["source"].astype(str) + "\x1f" + stored["external_id"].astype(str)
    old = stored.reindex((source + "\x1f" + ext).to_numpy())
    old.index = frame.index
    old = old.astype(object).where(old.notna(), None)
    foreign = old["id"].notna() & (old["_in_scope"] != True)  # noqa: E712 - object column
    errors.add_where("external_id", foreign, _("This external ID belongs to a record you cannot edit."))
    return old


# Re-importing the same file changes nothing: a row without an external ID is
# matched with a stored record of the same customer by this natural key (the
# k-th row of a key in the file with the k-th stored record of it, by id), and
# counts as unchanged, or updated when its other cells differ.
NATURAL_KEYS = {
    "contacts": ("customer_id", "name"),
    "interactions": ("customer_id", "occurred_at", "summary"),
    "transactions": ("customer_id", "source", "kind", "occurred_on", "amount"),  # rows without external ID
}
# The entities whose stored records a stage updates by id (transaction lines: by (transaction, product)).
UPDATED_BY_ID = (*NATURAL_KEYS, "transaction_lines")


def _key_text(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer()):
        return str(int(v))
    if isinstance(v, Decimal):
        return format(v.quantize(Decimal("0.01")), "f")
    if isinstance(v, datetime):
        return v.astimezone(dt_timezone.utc).isoformat() if v.tzinfo else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _natural_keys(frame: pd.DataFrame, names: tuple[str, ...], defaults: dict) -> pd.Series:
    parts = []
    for name in names:
        col = frame[name] if name in frame else pd.Series(None, index=frame.index, dtype=object)
        col = col.astype(object)
        if name in defaults:
            col = col.where(col.notna() & (col != ""), defaults[name])
        parts.append(pd.Series(_each_distinct(col.to_numpy(dtype=object), _key_text), index=frame.index))
    key = parts[0]
    for part in parts[1:]:
        key = key + "\x1f" + part
    return key


def _existing_by_natural_key(ctx: Context, model, new: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """Stored records matching the ``rows`` (mask) of ``new`` by the entity's
    natural key, aligned with ``new`` (all NaN where none). One query: the
    records of the customers the rows name."""
    cols = model_columns(model)
    empty = pd.DataFrame(index=new.index, columns=cols, dtype=object)
    names = NATURAL_KEYS[ctx.entity]
    rows = rows & new["customer_id"].notna() if "customer_id" in new else rows & False
    if not rows.any():
        return empty
    customers = sorted({int(c) for c in new.loc[rows, "customer_id"]})
    stored = model.objects.filter(customer_id__in=values_in(customers))
    if ctx.entity == "transactions":
        stored = stored.filter(external_id="")
    stored = pd.DataFrame(list(stored.order_by("id").values(*cols)), columns=cols, dtype=object)
    if not len(stored):
        return empty
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields
                if f.attname in names and f.has_default()}
    stored_key = _natural_keys(stored, names, defaults)
    stored.index = stored_key + "\x1e" + stored_key.groupby(stored_key).cumcount().astype(str)
    key = _natural_keys(new[rows], names, defaults)
    # The k-th row of a key in the file, counting the rows of earlier chunks.
    before = key.map(ctx.occurrences).fillna(0).astype(int)
    rank = before + key.groupby(key).cumcount()
    seen = ctx.occurrences
    for k, n in key.value_counts().items():
        seen[k] = seen.get(k, 0) + int(n)
    old = stored.reindex((key + "\x1e" + rank.astype(str)).to_numpy())
    old.index = key.index
    return old.reindex(new.index).astype(object).where(lambda f: f.notna(), None)


def _names_allowed(names: pd.Series, errors: specs.Errors, *, field: str, known: list[str], unknown,
                   allowed, refused: str) -> pd.Series:
    """Which rows name a person or team the importer may set: a name not among
    ``known`` gets ``unknown(name)``, one outside ``allowed(names)`` (a core.access
    helper's names) gets ``refused``; blank names are neither."""
    given = names != ""
    missing = given & ~names.isin(known)
    errors.add(field, names[missing].map(unknown))
    ok = given & ~missing
    other = ok & ~names.isin(list(set(allowed(sorted(set(names[ok]))))))
    errors.add_where(field, other, refused)
    return ok & ~other


def _ownership(ctx: Context, frame: pd.DataFrame, creates: pd.Series, errors: specs.Errors) -> tuple[pd.Series,
                                                                                                      pd.Series]:
    """owner_id and team_id of each row (None on an update: keep the stored one).

    Without columns: the importing user and the chosen team (default: theirs).
    An account manager may only name people of their own team and that team."""
    admin = access.is_admin(ctx.actor)
    owner_id = pd.Series(None, index=frame.index, dtype=object)
    team_id = pd.Series(None, index=frame.index, dtype=object)
    owner_team = pd.Series(None, index=frame.index, dtype=object)
    if "owner" in frame:
        names = _text(frame, "owner")
        users = {u["username"]: u for u in User.objects.filter(username__in=sorted(set(names) - {""})).values(
            "username", "id", "team_id", "role", "is_active")}
        ok = _names_allowed(
            names, errors, field="owner",
            known=[n for n, u in users.items() if u["is_active"] and u["role"] != "support"],
            unknown=lambda n: _("No active user %(name)s who can own customers.") % {"name": n},
            allowed=lambda wanted: access.assignable_users_for(ctx.actor).filter(username__in=wanted).values_list(
                "username", flat=True),
            refused=_("You can only assign customers to members of your team."))
        owner_id[ok] = names[ok].map(lambda n: users[n]["id"])
        owner_team[ok] = names[ok].map(lambda n: users[n]["team_id"])
    if "team" in frame:
        names = _text(frame, "team")
        teams = dict(Team.objects.filter(name__in=sorted(set(names) - {""})).values_list("name", "id"))
        ok = _names_allowed(
            names, errors, field="team", known=list(teams),
            unknown=lambda n: _("No team %(name)s.") % {"name": n},
            allowed=lambda wanted: access.assignable_teams_for(ctx.actor).filter(name__in=wanted).values_list(
                "name", flat=True),
            refused=_("You can only put customers in your own team."))
        team_id[ok] = names[ok].map(teams)
    team_id = team_id.where(team_id.notna(), owner_team)
    owner_id = owner_id.where(~(creates & owner_id.isna()), ctx.actor.pk)
    team_id = team_id.where(~(creates & team_id.isna()), ctx.default_team_id)
    return owner_id, team_id


# ---------------------------------------------------------------- one chunk


def _defaults(model, now: datetime) -> dict[str, Any]:
    out = {}
    for f in model._meta.concrete_fields:
        if f.attname == "id":
            continue
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add or f.attname == "created_at"):
            out[f.attname] = now
        elif f.has_default():
            out[f.attname] = f.get_default()
        else:
            out[f.attname] = None
    return out


def stage_chunk(ctx: Context, chunk: pd.DataFrame, errors: specs.Errors, stage: Stage) -> None:
    entity = ctx.entity
    model = specs.ENTITY_MODELS[entity]
    frame = specs.clean_chunk(entity=entity, chunk=chunk, mapping=ctx.mapping, today=ctx.today, errors=errors)
    skip = _deduplicate(ctx, chunk, frame, errors)
    new = frame.rename(columns=COLUMN_OF)
    if "customer_external_id" in frame:
        new["customer_id"] = _customer_ids(ctx, frame, errors)
    if entity == "transaction_lines":
        new["transaction_id"] = _transaction_ids(ctx, frame, errors)
        new["product_id"] = _product_ids(frame, errors)
        old = _existing_lines(new)
    elif entity in UPSERT_ENTITIES:
        old = _existing(ctx, model, frame, errors)
    else:
        old = pd.DataFrame(index=frame.index, columns=model_columns(model), dtype=object)
    if entity in NATURAL_KEYS:
        # No external ID: the natural key (re-importing a file is idempotent).
        by_key = ~skip & (_text(frame, "external_id") == "") & ~frame.index.isin(list(errors.rows()))
        matched = _existing_by_natural_key(ctx, model, new, by_key)
        found = matched["id"].notna()
        old.loc[found, list(matched.columns)] = matched.loc[found]
    creates = old["id"].isna()
    specs.required_missing(entity=entity, frame=frame, creates=creates & ~skip, errors=errors)
    if entity == "customers" and "referred_by_external_id" in frame:
        new["referred_by_id"] = _referrers(ctx, frame, old, errors)
    if entity == "customers":
        new["owner_id"], new["team_id"] = _ownership(ctx, frame, creates, errors)
        new = new.drop(columns=[c for c in ("owner", "team") if c in new])
    if entity == "interactions":
        new["staff_id"] = pd.Series(None, index=new.index, dtype=object).where(~creates, ctx.actor.pk)
    if entity == "contacts" and "is_primary" in new:
        # One primary contact per customer: the file's last one wins.
        later = new.duplicated(subset=["customer_id"], keep="last") if "customer_id" in new else False
        new["is_primary"] = new["is_primary"].fillna(False) & ~later

    columns = model_columns(model)
    out = old[columns].copy()
    for col, value in _defaults(model, ctx.now).items():
        out.loc[creates, col] = value
    changed = pd.Series(False, index=frame.index)
    any_update = bool((~creates).any())
    for col in new.columns:
        if col not in out:
            continue
        has = new[col].notna() & (new[col].astype(object) != "")
        if any_update:
            changed |= has & ~creates & (new[col].astype(object) != old[col].astype(object))
        out.loc[has, col] = new.loc[has, col]
    bad = frame.index.isin(list(errors.rows()))
    if entity == "transaction_lines":
        _lines_collect(ctx, new, old, pd.Series(~bad & ~skip, index=frame.index))
    unchanged = ~creates & ~changed
    keep = ~bad & ~skip & ~unchanged
    stage.unchanged += int((~bad & (skip | unchanged)).sum())
    stage.created += int((keep & creates).sum())
    stage.updated += int((keep & ~creates).sum())
    if "updated_at" in out:
        out["updated_at"] = ctx.now
    if keep.any():
        stage.frames.append(to_database_text(model, out[keep.to_numpy()]))


def _each_distinct(values: np.ndarray, fn) -> np.ndarray:
    """fn of each distinct value once, spread back by the factorised codes."""
    codes, uniques = pd.factorize(values)  # missing → -1: the last slot, fn(None)
    table = np.empty(len(uniques) + 1, dtype=object)
    for i, v in enumerate(uniques):
        table[i] = fn(v)
    table[-1] = fn(None)
    return table.take(codes)


def _none(v) -> bool:
    return v is None or v != v  # NaN


def to_database_text(model, frame: pd.DataFrame) -> pd.DataFrame:
    """Each value as the text COPY reads (None = NULL); personal fields sealed."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    out = {}
    for col in frame.columns:
        f = fields[col]
        arr = frame[col].to_numpy(dtype=object)
        if isinstance(f, EncryptedTextField):
            out[col] = [crypto.encrypt(v) if isinstance(v, str) and v else "" for v in arr]
        elif isinstance(f, models.BooleanField):
            out[col] = _each_distinct(arr, lambda v: None if _none(v) else ("t" if v else "f"))
        elif isinstance(f, (models.DateTimeField, models.DateField, models.TimeField)):
            out[col] = _each_distinct(arr, lambda v: None if _none(v) else v.isoformat())
        elif isinstance(f, (models.ForeignKey, models.AutoField, models.BigAutoField)):
            out[col] = _each_distinct(arr, lambda v: None if _none(v) else str(int(v)))
        elif isinstance(f, models.DecimalField):
            out[col] = _each_distinct(arr, lambda v: None if _none(v) else str(v))
        else:  # a missing value is NULL where the column allows it, else ''
            blank = None if f.null else ""
            out[col] = _each_distinct(arr, lambda v: blank if _none(v) else str(v))
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


def import_validate(*, actor, entity: str, content: bytes, filename: str, mapping: dict[str, str], today: date,
                    now: datetime, default_team_id: int | None, progress=None,
                    chunk_rows: int = reading.CHUNK_ROWS) -> Validation:
    """Read, clean and check every row; writes nothing. ``progress(done)`` after
    each chunk (it raises to cancel)."""
    model = specs.ENTITY_MODELS[entity]
    mapped = {COLUMN_OF.get(f, f) for f in mapping.values()}
    update_columns = [c for c in model_columns(model)[1:] if c in mapped or c == "updated_at"]
    if entity == "customers" and mapped & {"owner_id", "team_id"}:
        update_columns += [c for c in ("owner_id", "team_id") if c not in update_columns]
    ctx = Context(actor=actor, entity=entity, mapping=mapping, today=today, now=now,
                  default_team_id=default_team_id)
    stage = Stage(entity=entity, columns=model_columns(model), update_columns=update_columns)
    errors = specs.Errors()
    rows = 0
    for chunk in reading.read_chunks(content=content, filename=filename, chunk_rows=chunk_rows):
        stage_chunk(ctx, chunk, errors, stage)
        rows += len(chunk)
        if progress is not None:
            progress(rows)
    if rows == 0:
        raise reading.FileError(_("The file has no data rows."))
    if entity == "transaction_lines":
        _lines_total_errors(ctx, errors)
    return Validation(stage=stage, errors=errors.frame(), rows=rows)

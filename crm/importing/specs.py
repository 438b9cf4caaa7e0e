"""What each import type reads, and the column-wise cleaning and checks that
need no database: every rule is crm.validation's, applied once per distinct
value of a column (``series_apply``), so the import and the forms agree."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from crm import validation
from crm.models import Contact, Customer, Interaction, Transaction, TransactionLine, tags_encode

CHANNEL_ALIASES = {"电话": "phone", "上门": "visit", "拜访": "visit", "邮件": "email", "微信": "wechat",
                   "短信": "sms", "其他": "other"}
KIND_ALIASES = {"企业": "company", "公司": "company", "个人": "person", "购买": "purchase", "订单": "purchase",
                "退款": "refund"}
TRUE = {"1", "true", "yes", "y", "是", "√", "x", "t"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text choice date datetime amount quantity phone email id_number bool tags ref
    max_length: int | None = None
    choices: Any = None
    required: bool = False  # on create
    not_future: bool = False
    aliases: dict = field(default_factory=dict)


def _text(name, n, **kw):
    return Column(name, "text", max_length=n, **kw)


ENTITY_COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": (
        _text("name", 200, required=True), _text("external_id", 100), _text("source", 50),
        Column("kind", "choice", choices=Customer.Kind.choices, aliases=KIND_ALIASES),
        _text("industry", 100), Column("size", "choice", choices=Customer.Size.choices), _text("region", 100),
        Column("first_deal_date", "date"),
        Column("preferred_channel", "choice", choices=Customer.Channel.choices, aliases=CHANNEL_ALIASES),
        Column("tags", "tags"), Column("phone", "phone"), Column("email", "email"), Column("id_number", "id_number"),
        _text("address", 500), Column("birthday", "date", not_future=True), _text("notes", 5000),
        Column("owner", "ref"), Column("team", "ref"), Column("referred_by_external_id", "ref"),
    ),
    "contacts": (
        Column("customer_external_id", "ref", required=True), _text("name", 100, required=True),
        _text("title", 100), Column("phone", "phone"), Column("email", "email"), Column("is_primary", "bool"),
    ),
    "transactions": (
        Column("customer_external_id", "ref", required=True), _text("external_id", 100), _text("source", 50),
        Column("kind", "choice", choices=Transaction.Kind.choices, aliases=KIND_ALIASES),
        Column("amount", "amount", required=True), Column("occurred_on", "date", required=True, not_future=True),
        Column("due_on", "date"), Column("paid_on", "date"), _text("notes", 300),
    ),
    "interactions": (
        Column("customer_external_id", "ref", required=True),
        Column("occurred_at", "datetime", required=True, not_future=True),
        Column("channel", "choice", choices=Interaction.Channel.choices, aliases=CHANNEL_ALIASES),
        _text("summary", 10000, required=True), _text("feedback", 10000), _text("next_action", 300),
        Column("next_action_due", "date"), Column("is_objection", "bool"),
    ),
    # A product line of a stored transaction, named by its (source, external ID); the natural
    # key (transaction, product): a re-import updates the line instead of adding another.
    "transaction_lines": (
        Column("transaction_external_id", "ref", required=True), _text("source", 50),
        Column("product_code", "ref", required=True), Column("quantity", "quantity"),
        Column("amount", "amount", required=True),
    ),
}
ENTITIES = tuple(ENTITY_COLUMNS)
ENTITY_FIELDS = {entity: tuple(c.name for c in cols) for entity, cols in ENTITY_COLUMNS.items()}
ENTITY_MODELS = {"customers": Customer, "contacts": Contact, "transactions": Transaction,
                 "interactions": Interaction, "transaction_lines": TransactionLine}

# Header aliases (lower-cased, spaces removed) → field. Field names map to themselves.
ALIASES: dict[str, str] = {
    "客户名称": "name", "名称": "name", "客户": "name", "姓名": "name", "company": "name",
    "外部编号": "external_id", "客户编号": "external_id", "编号": "external_id",
    "来源": "source", "类型": "kind", "行业": "industry", "规模": "size", "地区": "region", "区域": "region",
    "首次成交日期": "first_deal_date", "首单日期": "first_deal_date", "偏好渠道": "preferred_channel",
    "标签": "tags", "电话": "phone", "手机": "phone", "联系电话": "phone", "手机号": "phone",
    "邮箱": "email", "电子邮件": "email", "e-mail": "email", "身份证号": "id_number", "证件号": "id_number",
    "地址": "address", "生日": "birthday", "备注": "notes", "负责人": "owner", "客户经理": "owner", "团队": "team",
    "客户外部编号": "customer_external_id", "customer_external": "customer_external_id",
    "推荐人": "referred_by_external_id", "推荐人编号": "referred_by_external_id", "referred_by": "referred_by_external_id",
    "职务": "title", "主要联系人": "is_primary",
    "金额": "amount", "日期": "occurred_on", "交易日期": "occurred_on", "应付日期": "due_on", "到期日": "due_on",
    "付款日期": "paid_on", "回款日期": "paid_on",
    "回访时间": "occurred_at", "时间": "occurred_at", "方式": "channel", "回访方式": "channel",
    "内容": "summary", "回访内容": "summary", "摘要": "summary", "客户反馈": "feedback", "反馈": "feedback",
    "交易编号": "transaction_external_id", "交易外部编号": "transaction_external_id",
    "订单号": "transaction_external_id", "订单编号": "transaction_external_id",
    "产品编号": "product_code", "产品代码": "product_code", "数量": "quantity",
    "下一步": "next_action", "下一步行动": "next_action", "跟进截止": "next_action_due", "异议": "is_objection",
}


def auto_mapping(headers: list[str], entity: str | None = None) -> dict[str, str]:
    """Header → field, for the headers we recognise (field names or Chinese labels)."""
    known = set(ENTITY_FIELDS[entity]) if entity else {f for fs in ENTITY_FIELDS.values() for f in fs}
    mapping, used = {}, set()
    for h in headers:
        key = validation.text_clean(h).lower().replace(" ", "")
        target = ALIASES.get(key, key)
        if target in known and target not in used:
            mapping[h] = target
            used.add(target)
    return mapping


def mapping_errors(*, entity: str, headers: list[str], mapping: dict[str, str]) -> list[str]:
    """Why a mapping cannot be used (empty when it can)."""
    errors = []
    allowed = ENTITY_FIELDS[entity]
    unknown = sorted({str(f) for f in mapping.values() if f not in allowed})
    if unknown:
        errors.append(_("Unknown fields for this import: %(fields)s. Known fields: %(known)s.")
                      % {"fields": ", ".join(unknown), "known": ", ".join(allowed)})
    missing = [h for h in mapping if h not in headers]
    if missing:
        errors.append(_("The file has no column %(columns)s.") % {"columns": ", ".join(f"“{h}”" for h in missing)})
    targets = list(mapping.values())
    twice = sorted({f for f in targets if targets.count(f) > 1})
    if twice:
        errors.append(_("Two columns fill the same field: %(fields)s.") % {"fields": ", ".join(twice)})
    if not mapping:
        errors.append(_("Choose a field for at least one column."))
    return errors


# ---------------------------------------------------------------- column-wise cleaning


class Errors:
    """Row errors collected as small frames (row, field, message)."""

    def __init__(self):
        self.parts: list[pd.DataFrame] = []

    def add(self, field_name: str, messages: pd.Series) -> None:
        bad = messages.dropna()
        if len(bad):
            self.parts.append(pd.DataFrame({"row": bad.index.to_numpy(), "field": field_name,
                                            "message": bad.to_numpy(dtype=object)}))

    def add_where(self, field_name: str, mask: pd.Series, message: str) -> None:
        if mask.any():
            self.add(field_name, pd.Series(message, index=mask.index[mask.to_numpy()], dtype=object))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": pd.Series([], dtype="int64"), "field": pd.Series([], dtype=object),
                                 "message": pd.Series([], dtype=object)})
        return pd.concat(self.parts, ignore_index=True).sort_values(["row", "field"], kind="stable")

    def rows_for(self, field_name: str) -> set[int]:
        return set().union(*(set(p.loc[p["field"] == field_name, "row"].tolist()) for p in self.parts)) \
            if self.parts else set()

    def rows(self) -> set[int]:
        return set().union(*(set(p["row"].tolist()) for p in self.parts)) if self.parts else set()


_SEP = "\x1e"


def normalized_text(column: pd.Series) -> pd.Series:
    """Trimmed, full-width folded to half-width (NFKC): validation.text_clean on
    every cell. One NFKC pass over the whole column (C speed): the cells joined
    by a control character that NFKC leaves alone, then split back and trimmed."""
    arr = column.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) != "string":
        arr = np.array(["" if not isinstance(v, str) else v for v in arr], dtype=object)
    if not len(arr):
        return pd.Series([], index=column.index, dtype=object)
    joined = _SEP.join(arr)
    if joined.isascii():
        return pd.Series([v.strip() for v in arr], index=column.index, dtype=object)
    parts = unicodedata.normalize("NFKC", joined).split(_SEP)
    if len(parts) != len(arr):  # a cell held the separator itself: cell by cell
        return pd.Series([validation.text_clean(v) for v in arr], index=column.index, dtype=object)
    return pd.Series([p.strip() for p in parts], index=column.index, dtype=object)


def _split_tags(value: str) -> str:
    return tags_encode([t.strip() for t in re.split(r"[,;，；、|]", value) if t.strip()])


def _rule(col: Column):
    if col.kind == "choice":
        return lambda v: validation.choice_normalize(v, choices=col.choices, aliases=col.aliases) or None
    return {
        "date": validation.date_parse, "datetime": validation.datetime_parse, "amount": validation.amount_parse,
        "quantity": validation.quantity_parse,
        "phone": validation.phone_normalize, "email": validation.email_normalize, "tags": _split_tags,
        "bool": lambda v: v.lower() in TRUE,
    }.get(col.kind)


def clean_chunk(*, entity: str, chunk: pd.DataFrame, mapping: dict[str, str], today: date,
                errors: Errors) -> pd.DataFrame:
    """Cleaned values (Python objects; None where empty or refused), one column
    per mapped field, index = row number. Refusals go to ``errors``."""
    columns = {c.name: c for c in ENTITY_COLUMNS[entity]}
    out = pd.DataFrame(index=chunk.index)
    for header, name in mapping.items():
        col = columns[name]
        text = normalized_text(chunk[header])
        if col.max_length:
            too_long = text.str.len() > col.max_length
            errors.add_where(name, too_long, _("At most %(n)s characters.") % {"n": col.max_length})
        rule = _rule(col)
        if col.kind == "id_number":
            continue  # needs the row's kind: below
        if rule is None:
            out[name] = text.astype(object)
            continue
        values, messages = validation.series_apply(text, lambda v, rule=rule: rule(v) if v else None)
        errors.add(name, messages)
        out[name] = values
    if "id_number" in mapping.values():
        header = next(h for h, f in mapping.items() if f == "id_number")
        text = normalized_text(chunk[header])
        kinds = out["kind"].fillna("company") if "kind" in out else pd.Series("company", index=out.index)
        keys = kinds.astype(str) + "\x1f" + text
        values, messages = validation.series_apply(keys, lambda k: validation.id_number_normalize(
            k.split("\x1f", 1)[1], kind=k.split("\x1f", 1)[0]))
        errors.add("id_number", messages)
        out["id_number"] = values
    for name, col in columns.items():
        if col.not_future and name in out:
            _values, messages = validation.series_apply(out[name], lambda v: validation.not_in_future(v, today=today))
            errors.add(name, messages)
    if "paid_on" in out and "occurred_on" in out:
        both = out["paid_on"].notna() & out["occurred_on"].notna()
        if both.any():
            pairs = pd.Series(list(zip(out.loc[both, "occurred_on"], out.loc[both, "paid_on"])),
                              index=out.index[both.to_numpy()], dtype=object)
            _values, messages = validation.series_apply(pairs, lambda p: validation.paid_on_check(
                occurred_on=p[0], paid_on=p[1]))
            errors.add("paid_on", messages)
    return out


def required_missing(*, entity: str, frame: pd.DataFrame, creates: pd.Series, errors: Errors) -> None:
    """Fields a new record needs."""
    message = _("This field is required.")
    for col in ENTITY_COLUMNS[entity]:
        if not col.required:
            continue
        missing = creates & (frame[col.name].isna() | (frame[col.name] == "")) if col.name in frame else creates
        missing &= ~frame.index.isin(list(errors.rows_for(col.name)))  # refused already says why
        errors.add_where(col.name, missing, message)

"""Import customers, contacts, transactions and interactions from CSV or XLSX.

Steps: read → map columns → clean (trim, full-width → half-width, phone and
e-mail normalisation) → de-duplicate → validate with the same serializers the
API uses → write through the services. The whole file is one transaction: a dry
run rolls it back at the end and reports what *would* happen, row by row; a real
run commits only when every row is valid (all-or-nothing)."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

ENTITIES = ("customers", "contacts", "transactions", "interactions")
MAX_ROWS = 50_000

# Header aliases (lower-cased, spaces removed) → field. English field names map to themselves.
ALIASES: dict[str, str] = {
    "客户名称": "name", "名称": "name", "客户": "name", "姓名": "name", "company": "name",
    "外部编号": "external_id", "客户编号": "external_id", "编号": "external_id",
    "来源": "source", "类型": "kind", "行业": "industry", "规模": "size", "地区": "region", "区域": "region",
    "首次成交日期": "first_deal_date", "首单日期": "first_deal_date", "偏好渠道": "preferred_channel",
    "标签": "tags", "电话": "phone", "手机": "phone", "联系电话": "phone", "手机号": "phone",
    "邮箱": "email", "电子邮件": "email", "e-mail": "email", "身份证号": "id_number", "证件号": "id_number",
    "地址": "address", "生日": "birthday", "备注": "notes",
    "客户外部编号": "customer_external_id", "customer_external": "customer_external_id",
    "职务": "title", "主要联系人": "is_primary",
    "金额": "amount", "日期": "occurred_on", "交易日期": "occurred_on", "应付日期": "due_on", "到期日": "due_on",
    "付款日期": "paid_on", "回款日期": "paid_on",
    "回访时间": "occurred_at", "时间": "occurred_at", "方式": "channel", "回访方式": "channel",
    "内容": "summary", "回访内容": "summary", "摘要": "summary", "客户反馈": "feedback", "反馈": "feedback",
    "下一步": "next_action", "下一步行动": "next_action", "跟进截止": "next_action_due", "异议": "is_objection",
}

CHANNEL_ALIASES = {"电话": "phone", "上门": "visit", "拜访": "visit", "邮件": "email", "微信": "wechat",
                   "短信": "sms", "其他": "other"}
KIND_ALIASES = {"企业": "company", "公司": "company", "个人": "person", "购买": "purchase", "订单": "purchase",
                "退款": "refund"}
TRUE = {"1", "true", "yes", "y", "是", "√", "x"}


@dataclass
class RowResult:
    row: int  # 1-based data row number as the user sees it (header is row 1)
    action: str = ""  # create / update / duplicate / error
    errors: dict[str, list[str]] = field(default_factory=dict)
    id: int | None = None

    def as_dict(self) -> dict:
        d = {"row": self.row, "action": self.action}
        if self.errors:
            d["errors"] = self.errors
        if self.id is not None:
            d["id"] = self.id
        return d


@dataclass
class ImportReport:
    entity: str
    dry_run: bool
    written: bool = False
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "duplicate": 0, "error": 0}
        for r in self.rows:
            out[r.action] = out.get(r.action, 0) + 1
        return out

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.action == "error" for r in self.rows)

    def as_dict(self) -> dict:
        return {"entity": self.entity, "dry_run": self.dry_run, "written": self.written, "summary": self.summary,
                "file_errors": self.file_errors, "rows": [r.as_dict() for r in self.rows]}


# ---------------------------------------------------------------- reading

def read_table(*, content: bytes, filename: str) -> list[dict[str, str]]:
    """Rows as dicts of header → text, from CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(it, [])]
        rows = []
        for values in it:
            if values is None or all(v in (None, "") for v in values):
                continue
            rows.append({header[i]: _cell_text(v) for i, v in enumerate(values) if i < len(header) and header[i]})
        return rows
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(_("The file is neither UTF-8 nor GB18030 text."))
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat() if (value.hour or value.minute) else value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- mapping and cleaning

def auto_mapping(headers: list[str]) -> dict[str, str]:
    """Header → field, for headers we recognise (field names, or Chinese labels)."""
    mapping = {}
    for h in headers:
        key = clean_text(h).lower().replace(" ", "")
        if key in ALIASES:
            mapping[h] = ALIASES[key]
        elif key in _ALL_FIELDS:
            mapping[h] = key
    return mapping


def clean_text(value: str) -> str:
    """Trim and fold full-width characters to half-width (NFKC), e.g. '１３８' → '138'."""
    return unicodedata.normalize("NFKC", value or "").strip()


def clean_phone(value: str) -> str:
    v = re.sub(r"[\s\-()（）]", "", clean_text(value))
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def clean_email(value: str) -> str:
    return clean_text(value).lower()


def _clean_value(field_name: str, value: str):
    if field_name == "phone":
        return clean_phone(value)
    if field_name == "email":
        return clean_email(value)
    v = clean_text(value)
    if field_name in ("channel", "preferred_channel"):
        return CHANNEL_ALIASES.get(v, v.lower())
    if field_name == "kind":
        return KIND_ALIASES.get(v, v.lower())
    if field_name in ("is_primary", "is_objection"):
        return v.lower() in TRUE
    if field_name == "tags":
        return [t.strip() for t in re.split(r"[,;，；、|]", v) if t.strip()]
    if field_name == "amount":
        return v.replace(",", "").replace("¥", "").replace("￥", "")
    return v


# ---------------------------------------------------------------- per-entity spec

def _serializers():
    from crm import api

    return {
        "customers": api.CustomerSerializer,
        "contacts": api.ContactSerializer,
        "transactions": api.TransactionSerializer,
        "interactions": api.InteractionSerializer,
    }


_ALL_FIELDS = {
    "name", "external_id", "source", "kind", "industry", "size", "region", "first_deal_date", "preferred_channel",
    "tags", "phone", "email", "id_number", "address", "birthday", "notes", "customer", "customer_external_id",
    "title", "is_primary", "amount", "occurred_on", "due_on", "paid_on", "occurred_at", "channel", "summary",
    "feedback", "next_action", "next_action_due", "is_objection",
}


# The columns each import type understands, in template order (the template CSV's header row).
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("name", "external_id", "source", "kind", "industry", "size", "region", "first_deal_date",
                  "preferred_channel", "tags", "phone", "email", "id_number", "address", "birthday", "notes"),
    "contacts": ("customer_external_id", "name", "title", "phone", "email", "is_primary"),
    "transactions": ("customer_external_id", "external_id", "source", "kind", "amount", "occurred_on", "due_on",
                     "paid_on", "notes"),
    "interactions": ("customer_external_id", "occurred_at", "channel", "summary", "feedback", "next_action",
                     "next_action_due", "is_objection"),
}


def _dedup_key(entity: str, data: dict) -> tuple | None:
    if data.get("external_id"):
        return ("ext", data.get("source", ""), data["external_id"])
    if entity == "customers" and data.get("name"):
        return ("name-phone", data["name"], data.get("phone", ""))
    if entity == "contacts" and data.get("name"):
        return ("contact", data.get("customer"), data["name"], data.get("phone", ""))
    return None


@transaction.atomic
def import_run(*, actor, entity: str, rows: list[dict[str, str]], mapping: dict[str, str] | None,
               dry_run: bool, now: datetime) -> ImportReport:
    """Validate and (unless ``dry_run``) write every row, all-or-nothing."""
    from crm import selectors, services
    from crm.models import Contact, Customer, Transaction

    report = ImportReport(entity=entity, dry_run=dry_run)
    if entity not in ENTITIES:
        report.file_errors.append(_("Unknown import type %(entity)s.") % {"entity": entity})
        return report
    if len(rows) > MAX_ROWS:
        report.file_errors.append(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
        return report
    if not rows:
        report.file_errors.append(_("The file has no data rows."))
        return report
    mapping = mapping or auto_mapping(list(rows[0].keys()))
    unknown = [f for f in mapping.values() if f not in _ALL_FIELDS]
    if unknown:
        report.file_errors.append(_("Unknown target fields: %(f)s") % {"f": ", ".join(unknown)})
        return report

    scope = selectors.customer_list_for_user(user=actor)
    serializer_class = _serializers()[entity]
    context = {"request": SimpleNamespace(user=actor), "today": timezone.localdate(now)}
    seen: dict[tuple, int] = {}
    customer_by_ext: dict[str, int] = {}
    if entity != "customers":
        ext_ids = {clean_text(r.get(h, "")) for r in rows for h, f in mapping.items() if f == "customer_external_id"}
        ext_ids.discard("")
        customer_by_ext = dict(scope.filter(external_id__in=ext_ids).values_list("external_id", "id"))

    for index, raw in enumerate(rows, start=2):
        result = RowResult(row=index)
        report.rows.append(result)
        data: dict[str, Any] = {}
        for header, field_name in mapping.items():
            if header in raw and str(raw[header]).strip() != "":
                data[field_name] = _clean_value(field_name, str(raw[header]))
        ext = data.pop("customer_external_id", None)
        if entity != "customers" and ext and "customer" not in data:
            if ext not in customer_by_ext:
                result.action = "error"
                result.errors = {"customer_external_id": [_("No customer of yours has external ID %(id)s.")
                                                          % {"id": ext}]}
                continue
            data["customer"] = customer_by_ext[ext]
        key = _dedup_key(entity, data)
        if key is not None and key in seen:
            if key[0] == "ext":
                result.action = "error"
                result.errors = {"external_id": [_("Same external ID as row %(row)s.") % {"row": seen[key]}]}
            else:
                result.action = "duplicate"
            continue
        if key is not None:
            seen[key] = index

        existing = None
        if data.get("external_id") and entity in ("customers", "transactions"):
            model = Customer if entity == "customers" else Transaction
            existing = model.objects.filter(source=data.get("source", ""), external_id=data["external_id"]).first()
            if existing is not None and entity == "customers" and not scope.filter(pk=existing.pk).exists():
                result.action = "error"
                result.errors = {"external_id": [_("This external ID belongs to a customer you cannot edit.")]}
                continue
        serializer = serializer_class(instance=existing, data=data, context=context, partial=existing is not None)
        if not serializer.is_valid():
            result.action = "error"
            result.errors = {k: [str(m) for m in v] for k, v in serializer.errors.items()}
            continue
        try:
            with transaction.atomic():
                obj = _write(entity, serializer, existing, actor, now, services, Contact, Transaction)
        except ValidationError as exc:
            result.action = "error"
            result.errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            continue
        result.action = "update" if existing is not None else "create"
        result.id = obj.pk

    if dry_run or not report.ok:
        transaction.set_rollback(True)
        for r in report.rows:
            r.id = None
    else:
        report.written = True
    return report


def _write(entity, serializer, existing, actor, now, services, Contact, Transaction):
    if entity == "customers":
        data = serializer.to_service_data()
        if existing is not None:
            return services.customer_update(actor=actor, customer=existing, data=data)
        return services.customer_create(actor=actor, data=data, now=now)
    data = dict(serializer.validated_data)
    if entity == "contacts":
        return services.contact_save(contact=Contact(), data=data)
    if entity == "transactions":
        return services.transaction_save(txn=existing or Transaction(), data=data)
    customer = data.pop("customer")
    return services.interaction_log(actor=actor, customer=customer, data=data)

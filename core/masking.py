"""How personal fields look to someone not entitled to read them."""
from __future__ import annotations

MASK = "****"


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) <= 4:
        return MASK
    if len(digits) <= 7:
        return MASK + digits[-2:]
    return digits[:3] + MASK + digits[-4:]


def mask_email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep:
        return MASK
    return (local[:1] or "") + "***@" + domain


def mask_id_number(value: str) -> str:
    v = value.strip()
    if len(v) <= 7:
        return MASK
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_address(value: str) -> str:
    v = value.strip()
    return (v[:6] + MASK) if len(v) > 6 else MASK


MASKERS = {
    "phone": mask_phone,
    "email": mask_email,
    "id_number": mask_id_number,
    "address": mask_address,
}


def mask(field: str, value: str | None) -> str | None:
    if not value:
        return value
    return MASKERS[field](value)

"""The plan of one chunk of demo customers: pandas DataFrames whose columns are
the database columns, built with numpy from ``rng(seed, chunk)`` alone, so the
same seed, size and ``as_of`` give the same rows on every backend (only the
AES-GCM nonces of the sealed personal fields differ)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core import crypto
from crm.demo.words import (BRAND_1, BRAND_2, CHANNELS, CITIES, FEEDBACK, GIVEN, INDUSTRIES, MAIL_DOMAINS,
                            NEXT_ACTIONS, OBJECTIONS, ROADS, SIZE_SPEND, SIZES, SUMMARIES, SURNAMES, TAGS, TITLES)

DEMO_SOURCE = "demo"  # Customer.source of every generated customer: what --reset deletes.
# Activity profiles: active, new (< 90 days), dormant (> 90 days silent), open objection.
ACTIVE, NEW, DORMANT, OBJECTION = range(4)
PROFILE_P = [0.62, 0.10, 0.22, 0.06]


@dataclass
class Plan:
    """One chunk. ``_c`` columns index the chunk's customers, ``_i`` / ``_done``
    its interactions (-1: none); writers turn them into ids."""

    customers: pd.DataFrame
    contacts: pd.DataFrame
    transactions: pd.DataFrame
    interactions: pd.DataFrame
    followups: pd.DataFrame


def _pick(rng, items, n, p=None):
    return np.asarray(items, dtype=object)[rng.choice(len(items), n, p=p)]


def _cat(*parts) -> np.ndarray:
    """Element-wise string concatenation of object arrays / scalars."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        out = out + np.asarray(part, dtype=object)
    return out


def _seal(values) -> list[str]:
    return [crypto.encrypt(v) if v else "" for v in values]


def _phones(rng, n) -> np.ndarray:
    prefix = rng.choice([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 158, 159, 166, 177, 186, 188, 199], n)
    return (prefix * 100_000_000 + rng.integers(0, 100_000_000, n)).astype(str).astype(object)


def _people(rng, n):
    """(Chinese names, romanised 'given.surname')."""
    s = rng.integers(0, len(SURNAMES), n)
    g1, g2 = rng.integers(0, len(GIVEN), n), rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.6
    zh = np.array([sur[0] for sur in SURNAMES], dtype=object)[s] + np.array([g[0] for g in GIVEN], dtype=object)[g1]
    py = np.array([g[1] for g in GIVEN], dtype=object)[g1]
    zh = np.where(two, zh + np.array([g[0] for g in GIVEN], dtype=object)[g2], zh)
    py = np.where(two, py + np.array([g[1] for g in GIVEN], dtype=object)[g2], py)
    return zh, py + "." + np.array([sur[1] for sur in SURNAMES], dtype=object)[s]


def _id_numbers(area: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> list[str]:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    out = []
    for a, b, s in zip(area, birth, seq):
        body = f"{a}{b.replace('-', '')}{s:03d}"
        out.append(body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11])
    return out


def _days_ago(as_of: date, offsets: np.ndarray) -> np.ndarray:
    return (np.datetime64(as_of, "D") - offsets.astype("timedelta64[D]")).astype(str).astype(object)


def _stamp(as_of: date, offsets: np.ndarray, minute_of_day: np.ndarray, utc_offset_min: int) -> np.ndarray:
    """Local wall-clock time ``offsets`` days before ``as_of`` as UTC ISO strings."""
    t = (np.datetime64(as_of, "m") - offsets.astype("timedelta64[D]")
         + (minute_of_day - utc_offset_min).astype("timedelta64[m]"))
    return t.astype(str).astype(object) + ":00+00:00"


def chunk_plan(*, seed: int, chunk_no: int, size: int, as_of: date, tpc: float, east: tuple[int, int],
               south: tuple[int, int], support_id: int | None, utc_offset_min: int) -> Plan:
    """Plan ``size`` customers. ``east`` / ``south`` are (owner id, team id)."""
    rng = np.random.default_rng([seed, chunk_no])
    n = size
    profile = rng.choice(4, n, p=PROFILE_P)
    # The hidden propensity (0-1, never stored) drives later silence: of the settled
    # customers (active or dormant) the highest propensities are the dormant ones, and
    # before falling silent they buy less and less often, pay later and object more, so
    # the earlier records foretell the silence (the churn model's backtest has
    # something to find). Its own stream: every other draw is as before.
    propensity = np.random.default_rng([seed, chunk_no, 101]).beta(2, 3, n)
    profile = _dormant_by_propensity(profile, propensity)
    created_off = np.where(profile == NEW, rng.integers(3, 86, n),
                           np.where(profile == DORMANT, rng.integers(200, 1100, n), rng.integers(120, 1100, n)))
    start_off = np.minimum(created_off, 730)
    dormant_hi = np.minimum(start_off, 540)
    last_off = np.where(profile == NEW, 1 + (rng.random(n) * created_off).astype(int),
                        np.where(profile == DORMANT, 95 + (rng.random(n) * (dormant_hi - 94)).astype(int),
                                 rng.integers(1, 61, n)))

    # Who: team, owner, region, city.
    is_east = rng.random(n) < 0.55
    owner_id = np.where(is_east, east[0], south[0])
    team_id = np.where(is_east, east[1], south[1])
    far = rng.random(n) >= 0.7
    region = np.where(is_east, np.where(far, "华北", "华东"), np.where(far, "西南", "华南")).astype(object)
    by_region = {r: [i for i, c in enumerate(CITIES) if c[0] == r] for r in ("华东", "华北", "华南", "西南")}
    city = np.zeros(n, dtype=int)
    for r, idx in by_region.items():
        mask = region == r
        city[mask] = np.asarray(idx)[rng.integers(0, len(idx), mask.sum())]
    col = {k: np.array([c[i] for c in CITIES], dtype=object) for i, k in enumerate(
        ("region", "prefix", "short", "pinyin", "area"))}
    d_pick = rng.integers(0, 3, n)
    districts = np.array([CITIES[c][5].split()[d] for c, d in zip(city, d_pick)], dtype=object)
    address = _cat(col["prefix"][city], districts, _pick(rng, ROADS, n), rng.integers(1, 999, n).astype(str), "号")

    # What: company or person, names, contact details.
    is_person = rng.random(n) < 0.25
    b1, b2 = rng.integers(0, len(BRAND_1), n), rng.integers(0, len(BRAND_2), n)
    ind = rng.integers(0, len(INDUSTRIES), n)
    brand_zh = np.array([b[0] for b in BRAND_1], dtype=object)[b1] + np.array([b[0] for b in BRAND_2], dtype=object)[b2]
    brand_py = np.array([b[1] for b in BRAND_1], dtype=object)[b1] + np.array([b[1] for b in BRAND_2], dtype=object)[b2]
    company = _cat(col["short"][city], brand_zh, np.array([i[1] for i in INDUSTRIES], dtype=object)[ind],
                   np.where(rng.random(n) < 0.8, "有限公司", "股份有限公司"))
    person_zh, person_py = _people(rng, n)
    name = np.where(is_person, person_zh, company)
    mail_no = rng.integers(1, 99, n).astype(str)
    email = np.where(is_person, _cat(person_py, mail_no, "@", _pick(rng, MAIL_DOMAINS, n)),
                     _cat(_pick(rng, ["info", "contact", "service", "sales"], n), "@", brand_py, col["pinyin"][city],
                          ".com.cn"))
    birth_off = rng.integers(22 * 365, 65 * 365, n)
    birthday = _days_ago(as_of, birth_off)
    credit = [f"91{a}{v:09d}{c}" for a, v, c in zip(col["area"][city], rng.integers(0, 10**9, n),
                                                      _pick(rng, list("0123456789ABCDEFGHJKLMNPQRTUWXY"), n))]
    id_person = _id_numbers(col["area"][city], birthday, rng.integers(0, 1000, n))
    id_number = np.where(is_person, np.asarray(id_person, dtype=object), np.asarray(credit, dtype=object))
    size_idx = rng.choice(4, n, p=[0.3, 0.4, 0.22, 0.08])
    n_tags = rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])
    tag_bits = rng.random((n, len(TAGS))).argsort(axis=1)[:, :3]
    tags = ["," + ",".join(TAGS[t] for t in sorted(row[:k])) + "," if k else "" for row, k in zip(tag_bits, n_tags)]

    # Transactions: grouped by customer; the first of each is a purchase.
    k = np.where(profile == NEW, 1 + rng.binomial(2, 0.4, n),
                 np.maximum(1, rng.poisson(np.where(profile == DORMANT, tpc * 0.8, tpc * 1.18), n)))
    tc = np.repeat(np.arange(n), k)
    t_n = int(k.sum())
    t_pos = np.arange(t_n) - np.repeat(np.cumsum(k) - k, k)
    lo, hi = last_off[tc], start_off[tc]
    # u ** (1 - 0.8 p) leans towards 1 (older dates) as the propensity p grows: purchases thin out.
    t_off = lo + (rng.random(t_n) ** (1 - 0.8 * propensity[tc]) * (hi - lo + 1)).astype(int)
    refund = (t_pos > 0) & (rng.random(t_n) < 0.05)
    spend = np.where(is_person, 500.0, SIZE_SPEND[size_idx]) * rng.lognormal(0, 0.5, n)
    amount = spend[tc] * np.where(refund, rng.uniform(0.05, 0.4, t_n), rng.lognormal(0, 0.6, t_n))
    cents = np.maximum(100, np.round(amount * 100)).astype(np.int64)
    due_days = rng.choice([15, 30, 30, 45, 60], t_n)
    on_time_p = (rng.choice([0.93, 0.72, 0.4], n, p=[0.7, 0.22, 0.08]) * (1.15 - 0.5 * propensity))[tc]
    r = rng.random(t_n)
    delay = np.where(r < on_time_p, -(rng.random(t_n) * (due_days + 1)).astype(int) + due_days,
                     np.where(r < on_time_p + (1 - on_time_p) * 0.65, due_days + rng.integers(1, 61, t_n), -1))
    paid_off = t_off - delay
    paid_on = np.where(refund, _days_ago(as_of, t_off),
                       np.where((delay >= 0) & (paid_off >= 0), _days_ago(as_of, np.maximum(paid_off, 0)), None))
    t_minute = rng.integers(9 * 60, 18 * 60, t_n)
    transactions = pd.DataFrame({
        "_c": tc, "source": "", "external_id": "", "kind": np.where(refund, "refund", "purchase"),
        "amount": pd.Series(cents // 100).astype(str) + "." + pd.Series(cents % 100).astype(str).str.zfill(2),
        "occurred_on": _days_ago(as_of, t_off),
        "due_on": np.where(refund, None, _days_ago(as_of, t_off - due_days)),
        "paid_on": paid_on, "notes": np.where(refund, "退货退款", ""),
        "created_at": _stamp(as_of, t_off, t_minute, utc_offset_min),
    })
    first_deal_off = np.maximum.reduceat(np.where(refund, -1, t_off), np.cumsum(k) - k)

    customers = pd.DataFrame({
        "source": DEMO_SOURCE, "external_id": "", "name": name,
        "kind": np.where(is_person, "person", "company"),
        "industry": np.where(is_person, "", np.array([i[0] for i in INDUSTRIES], dtype=object)[ind]),
        "size": np.where(is_person, "", np.asarray(SIZES, dtype=object)[size_idx]),
        "region": region, "owner_id": owner_id, "team_id": team_id,
        "first_deal_date": _days_ago(as_of, first_deal_off),
        "preferred_channel": _pick(rng, CHANNELS, n, p=[0.4, 0.15, 0.15, 0.25, 0.05]),
        "tags": tags, "phone": _seal(_phones(rng, n)), "email": _seal(email),
        "id_number": _seal(id_number), "address": _seal(address),
        "birthday": np.where(is_person, birthday, None), "notes": "",
        "created_at": _stamp(as_of, created_off, rng.integers(9 * 60, 18 * 60, n), utc_offset_min),
    })
    customers["updated_at"] = customers["created_at"]

    # Contacts: companies have one to three, the first is primary.
    cn = np.where(is_person, 0, 1 + rng.binomial(2, 0.45, n))
    cc = np.repeat(np.arange(n), cn)
    c_zh, c_py = _people(rng, len(cc))
    contacts = pd.DataFrame({
        "_c": cc, "name": c_zh, "title": _pick(rng, TITLES, len(cc)), "phone": _seal(_phones(rng, len(cc))),
        "email": _seal(_cat(c_py, "@", brand_py[cc], ".com.cn")),
        "is_primary": (np.arange(len(cc)) - np.repeat(np.cumsum(cn) - cn, cn)) == 0,
        "created_at": customers["created_at"].to_numpy()[cc],
    })

    plan_i = _interactions(rng=rng, n=n, profile=profile, last_off=last_off, start_off=start_off,
                           owner_id=owner_id, support_id=support_id, as_of=as_of, utc_offset_min=utc_offset_min,
                           propensity=propensity)
    return Plan(customers, contacts, transactions, *plan_i)


def _dormant_by_propensity(profile: np.ndarray, propensity: np.ndarray) -> np.ndarray:
    """The same number of dormant customers, now the settled ones (active or dormant)
    with the highest propensity."""
    settled = np.flatnonzero((profile == ACTIVE) | (profile == DORMANT))
    dormant = int((profile == DORMANT).sum())
    out = profile.copy()
    out[settled] = ACTIVE
    if dormant:
        out[settled[np.argsort(-propensity[settled], kind="stable")[:dormant]]] = DORMANT
    return out


def _interactions(*, rng, n, profile, last_off, start_off, owner_id, support_id, as_of, utc_offset_min,
                  propensity):
    """Follow-up records, oldest first per customer; the latest sits at the
    customer's last activity and is the only one whose next action is open."""
    m = np.where(profile == NEW, 1 + rng.binomial(1, 0.5, n), 1 + rng.poisson(2.5, n))
    ic = np.repeat(np.arange(n), m)
    total = int(m.sum())
    latest_unsorted = (np.arange(total) - np.repeat(np.cumsum(m) - m, m)) == np.repeat(m - 1, m)
    lo, hi = last_off[ic], start_off[ic]
    off = np.where(latest_unsorted, lo, lo + (rng.random(total) * (hi - lo + 1)).astype(int))
    order = np.lexsort((latest_unsorted, -off, ic))
    off, latest = off[order], latest_unsorted[order]
    # The latest is late in the day so it stays last even on a shared date.
    minute = np.where(latest, rng.integers(17 * 60, 18 * 60, total), rng.integers(9 * 60, 17 * 60, total))
    occurred = _stamp(as_of, off, minute, utc_offset_min)
    objection = np.where(latest, profile[ic] == OBJECTION, rng.random(total) < 0.01 + 0.12 * propensity[ic])
    resolved_off = off - rng.integers(1, 11, total)
    resolved = np.where(objection & ~latest & (resolved_off >= 1),
                        _stamp(as_of, np.maximum(resolved_off, 1), minute, utc_offset_min), None)
    next_p = np.where(latest, np.where(profile[ic] == DORMANT, 0.1, 0.35), 0.2)
    has_next = rng.random(total) < next_p
    next_off = off - rng.integers(1, 15, total)
    next_text = _pick(rng, NEXT_ACTIONS, total)
    # One call in ten was made by support on the owner's behalf.
    by_support = (rng.random(total) < 0.1) & (support_id is not None)
    staff = np.where(by_support, support_id or 0, owner_id[ic])
    summary = np.where(objection, _pick(rng, OBJECTIONS, total), _pick(rng, SUMMARIES, total))
    interactions = pd.DataFrame({
        "_c": ic, "occurred_at": occurred, "channel": _pick(rng, CHANNELS, total, p=[0.45, 0.15, 0.1, 0.25, 0.05]),
        "staff_id": staff, "summary": summary, "feedback": _pick(rng, FEEDBACK, total),
        "next_action": np.where(has_next, next_text, ""),
        "next_action_owner_id": pd.array(np.where(has_next, owner_id[ic], 0), dtype="Int64"),
        "next_action_due": np.where(has_next, _days_ago(as_of, next_off), None),
        "is_objection": objection, "objection_resolved_at": resolved, "created_at": occurred,
    })
    interactions.loc[~has_next, "next_action_owner_id"] = pd.NA
    # Each next action opened a follow-up; a later interaction closed it.
    rows = np.flatnonzero(has_next)
    done = np.where(latest[rows], -1, rows + 1)
    followups = pd.DataFrame({
        "_i": rows, "_done": done, "_c": ic[rows], "owner_id": owner_id[ic[rows]], "source": "next_action",
        "reason": next_text[rows], "due_at": _stamp(as_of, next_off[rows], np.full(len(rows), 23 * 60 + 59),
                                                    utc_offset_min),
        "created_at": occurred[rows], "done_at": np.where(done >= 0, occurred[np.maximum(done, 0)], None),
    })
    return interactions, followups

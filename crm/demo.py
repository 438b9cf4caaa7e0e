"""Demo data for the CRM: users, teams, customers, contacts, transactions,
interactions and follow-ups, generated deterministically from a seed.

The plan for each chunk of customers is a set of pandas DataFrames whose
columns are the database columns, built with numpy from ``rng(seed, chunk)``,
so the same seed, size and ``as_of`` give the same data on every backend
(only the AES-GCM nonces of the encrypted fields differ). Two writers load a
plan: PostgreSQL gets ``COPY`` (ids reserved from the tables' sequences, so
children can point at parents without reading anything back), other databases
get ``bulk_create``. Personal fields are sealed with ``core.crypto.encrypt``
once per value; EncryptedTextField passes ``v1:`` values through unchanged.
"""
from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.db import connection, models, transaction
from django.utils import timezone

from core import crypto
from core.roles import Role
from crm import services
from crm.models import Contact, Customer, FollowUp, Interaction, Transaction, User

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SOURCE = "demo"  # Customer.source of every generated customer: what --reset deletes.
TEAM_EAST, TEAM_SOUTH = "华东", "华南"
CHUNK_SIZE = 50_000
# username, role, team, display name, what the login is for
DEMO_USERS = [
    ("admin", Role.ADMIN, None, "管理员", "admin: all teams, Django admin at /admin/"),
    ("lead", Role.TEAM_LEAD, TEAM_EAST, "李强", "team lead of 华东 / East"),
    ("manager", Role.ACCOUNT_MANAGER, TEAM_EAST, "王芳", "account manager in 华东 / East"),
    ("manager2", Role.ACCOUNT_MANAGER, TEAM_SOUTH, "陈伟", "account manager in 华南 / South"),
    ("support", Role.SUPPORT, None, "赵敏", "support: every customer, personal fields masked"),
]

# (region, address prefix, short city name, pinyin, ID-number area code, districts)
CITIES = [
    ("华东", "上海市", "上海", "shanghai", "310115", "浦东新区 徐汇区 闵行区"),
    ("华东", "浙江省杭州市", "杭州", "hangzhou", "330106", "西湖区 滨江区 余杭区"),
    ("华东", "江苏省南京市", "南京", "nanjing", "320106", "鼓楼区 玄武区 江宁区"),
    ("华东", "江苏省苏州市", "苏州", "suzhou", "320506", "工业园区 吴中区 姑苏区"),
    ("华东", "山东省青岛市", "青岛", "qingdao", "370202", "市南区 崂山区 黄岛区"),
    ("华北", "北京市", "北京", "beijing", "110108", "海淀区 朝阳区 丰台区"),
    ("华北", "天津市", "天津", "tianjin", "120101", "和平区 南开区 滨海新区"),
    ("华北", "河北省石家庄市", "石家庄", "shijiazhuang", "130102", "长安区 裕华区 桥西区"),
    ("华南", "广东省广州市", "广州", "guangzhou", "440106", "天河区 越秀区 番禺区"),
    ("华南", "广东省深圳市", "深圳", "shenzhen", "440305", "南山区 福田区 宝安区"),
    ("华南", "福建省厦门市", "厦门", "xiamen", "350203", "思明区 湖里区 集美区"),
    ("华南", "广西壮族自治区南宁市", "南宁", "nanning", "450103", "青秀区 西乡塘区 江南区"),
    ("西南", "四川省成都市", "成都", "chengdu", "510107", "武侯区 锦江区 高新区"),
    ("西南", "重庆市", "重庆", "chongqing", "500103", "渝中区 江北区 南岸区"),
    ("西南", "云南省昆明市", "昆明", "kunming", "530102", "五华区 盘龙区 官渡区"),
]
ROADS = "人民路 中山路 解放路 建设路 长江路 文化路 科技路 和平路 新华路 滨江大道".split()
# Team East serves 华东 (70%) and 华北; team South serves 华南 (70%) and 西南.
TEAM_REGIONS = {True: ("华东", "华北"), False: ("华南", "西南")}
BRAND_1 = [tuple(p.split(":")) for p in (
    "华:hua 宏:hong 鑫:xin 恒:heng 瑞:rui 嘉:jia 博:bo 天:tian 中:zhong 金:jin 新:xin 长:chang 东:dong "
    "明:ming 远:yuan 永:yong 安:an 汇:hui 联:lian 佳:jia 盛:sheng 凯:kai 海:hai 信:xin 诚:cheng 顺:shun "
    "卓:zhuo 星:xing 蓝:lan 万:wan").split()]
BRAND_2 = [tuple(p.split(":")) for p in (
    "信:xin 达:da 源:yuan 通:tong 丰:feng 禾:he 远:yuan 成:cheng 联:lian 桥:qiao 锐:rui 盛:sheng 方:fang "
    "辉:hui 航:hang 泰:tai 捷:jie 创:chuang 美:mei 润:run 和:he 安:an 越:yue 辰:chen 鼎:ding 峰:feng "
    "宇:yu 智:zhi 科:ke 德:de").split()]
# (industry, word in the company name)
INDUSTRIES = [("软件和信息技术", "科技"), ("制造业", "机械"), ("零售", "商贸"), ("医疗健康", "医疗器械"),
              ("教育", "教育科技"), ("物流", "物流"), ("建筑工程", "建设工程"), ("餐饮", "餐饮管理"),
              ("能源化工", "化工"), ("金融服务", "投资咨询"), ("电子", "电子"), ("食品", "食品")]
SURNAMES = [tuple(p.split(":")) for p in (
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun 马:ma "
    "朱:zhu 胡:hu 郭:guo 何:he 林:lin 高:gao 罗:luo 郑:zheng 梁:liang 谢:xie 宋:song 唐:tang 许:xu "
    "韩:han 冯:feng 邓:deng 曹:cao").split()]
GIVEN = [tuple(p.split(":")) for p in (
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan 杰:jie "
    "涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 桂:gui 英:ying 华:hua 建:jian 文:wen 志:zhi "
    "红:hong 玉:yu 晨:chen 欣:xin 浩:hao 宇:yu 婷:ting 雪:xue 佳:jia 琳:lin 鹏:peng 辉:hui 凯:kai "
    "梅:mei").split()]
MAIL_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "outlook.com"]
TAGS = ["重点客户", "老客户", "转介绍", "价格敏感", "需要发票", "VIP", "电商渠道", "线下渠道", "年度合同"]
TITLES = ["总经理", "采购经理", "财务主管", "行政主管", "技术负责人", "运营总监"]
CHANNELS = ["phone", "visit", "email", "wechat", "sms"]
SUMMARIES = ["电话回访，了解近期产品使用情况", "上门拜访，沟通下季度采购计划", "微信沟通新品报价",
             "邮件发送对账单并确认回款时间", "回访售后服务体验", "节日问候并介绍会员权益",
             "沟通续约条款", "确认上次订单的交付和安装情况"]
FEEDBACK = ["整体满意", "希望价格再优惠一些", "对售后响应速度满意", "希望增加培训", "暂无新需求", ""]
OBJECTIONS = ["客户对价格提出异议", "客户投诉交付延迟", "客户对发票开具有异议", "客户反映产品质量问题"]
NEXT_ACTIONS = ["一周后电话确认报价", "寄送样品", "安排技术支持上门", "发送合同草稿", "跟进回款",
                "邀请参加新品发布会"]
SIZES = ["micro", "small", "medium", "large"]
SIZE_SPEND = np.array([1_500.0, 5_000.0, 20_000.0, 80_000.0])  # typical order (CNY) by company size
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


@dataclass
class LoadResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("customers", "contacts", "transactions", "interactions", "followups"), 0))
    seconds: float = 0.0


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
    t_off = lo + (rng.random(t_n) * (hi - lo + 1)).astype(int)
    refund = (t_pos > 0) & (rng.random(t_n) < 0.05)
    spend = np.where(is_person, 500.0, SIZE_SPEND[size_idx]) * rng.lognormal(0, 0.5, n)
    amount = spend[tc] * np.where(refund, rng.uniform(0.05, 0.4, t_n), rng.lognormal(0, 0.6, t_n))
    cents = np.maximum(100, np.round(amount * 100)).astype(np.int64)
    due_days = rng.choice([15, 30, 30, 45, 60], t_n)
    on_time_p = rng.choice([0.93, 0.72, 0.4], n, p=[0.7, 0.22, 0.08])[tc]
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
                           owner_id=owner_id, support_id=support_id, as_of=as_of, utc_offset_min=utc_offset_min)
    return Plan(customers, contacts, transactions, *plan_i)


def _interactions(*, rng, n, profile, last_off, start_off, owner_id, support_id, as_of, utc_offset_min):
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
    objection = np.where(latest, profile[ic] == OBJECTION, rng.random(total) < 0.05)
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


# ---------------------------------------------------------------- writers

def _columns(model) -> dict[str, models.Field]:
    return {f.column: f for f in model._meta.concrete_fields}


def _copy(cursor, model, df: pd.DataFrame) -> None:
    """COPY a DataFrame whose columns are ``model``'s. Unquoted empty means NULL
    in CSV, so NOT NULL text columns are read with FORCE_NOT_NULL."""
    fields = _columns(model)
    cols = [c for c in df.columns if c in fields]
    not_null = [c for c in cols if not fields[c].null and isinstance(fields[c], (models.CharField, models.TextField))]
    buf = io.BytesIO()
    df[cols].to_csv(buf, header=False, index=False, encoding="utf-8")
    buf.seek(0)
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else "")
    # One read of the whole buffer: psycopg2 releases the GIL while it sends,
    # but takes it back for every read, which would stall against the generator.
    cursor.copy_expert(f"COPY {model._meta.db_table} ({', '.join(cols)}) FROM STDIN WITH ({options})", buf,
                       max(8192, buf.getbuffer().nbytes))


def _reserve_ids(cursor, model, count: int) -> np.ndarray:
    if not count:
        return np.zeros(0, dtype=np.int64)
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) "
                   f"FROM generate_series(1, {int(count)})")
    return np.fromiter((row[0] for row in cursor.fetchall()), dtype=np.int64, count=count)


def _resolve(plan: Plan, customer_ids: np.ndarray, interaction_ids: np.ndarray) -> None:
    for df in (plan.contacts, plan.transactions, plan.interactions):
        df["customer_id"] = customer_ids[df["_c"].to_numpy()]
    fu = plan.followups
    fu["customer_id"] = customer_ids[fu["_c"].to_numpy()]
    fu["origin"] = "crm.interaction:" + pd.Series(interaction_ids[fu["_i"].to_numpy()]).astype(str)
    done = fu["_done"].to_numpy()
    fu["done_by_id"] = pd.array(np.where(done >= 0, interaction_ids[np.maximum(done, 0)], 0), dtype="Int64")
    fu.loc[done < 0, "done_by_id"] = pd.NA


def _write_postgresql(plan: Plan) -> None:
    with connection.cursor() as cursor:
        customer_ids = _reserve_ids(cursor, Customer, len(plan.customers))
        interaction_ids = _reserve_ids(cursor, Interaction, len(plan.interactions))
        plan.customers["id"] = customer_ids
        plan.interactions["id"] = interaction_ids
        _resolve(plan, customer_ids, interaction_ids)
        _copy(cursor, Customer, plan.customers)
        _copy(cursor, Contact, plan.contacts)
        _copy(cursor, Transaction, plan.transactions)
        _copy(cursor, Interaction, plan.interactions)
        _copy(cursor, FollowUp, plan.followups)


def _objects(model, df: pd.DataFrame) -> list:
    cols = [c for c in df.columns if c in _columns(model)]
    records = df[cols].astype(object).where(df[cols].notna(), None).to_dict("records")
    return [model(**row) for row in records]


def _write_orm(plan: Plan) -> None:
    customers = Customer.objects.bulk_create(_objects(Customer, plan.customers), batch_size=1000)
    customer_ids = np.array([c.pk for c in customers], dtype=np.int64)
    _resolve(plan, customer_ids, np.zeros(len(plan.interactions), dtype=np.int64))
    interactions = Interaction.objects.bulk_create(_objects(Interaction, plan.interactions), batch_size=1000)
    _resolve(plan, customer_ids, np.array([i.pk for i in interactions], dtype=np.int64))
    Contact.objects.bulk_create(_objects(Contact, plan.contacts), batch_size=1000)
    Transaction.objects.bulk_create(_objects(Transaction, plan.transactions), batch_size=1000)
    FollowUp.objects.bulk_create(_objects(FollowUp, plan.followups), batch_size=1000)


# ---------------------------------------------------------------- entry points

def demo_users_ensure(*, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Create or update the demo logins and their teams (idempotent)."""
    users = {}
    for username, role, team_name, display, _about in DEMO_USERS:
        team = services.team_get_or_create(name=team_name) if team_name else None
        data = {"role": role, "team": team, "first_name": display, "email": f"{username}@demo.example.com"}
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(username=username, password=password, **data)
        else:
            user = services.user_update(user=user, data={**data, "password": password})
        users[username] = user
    return users


def demo_exists() -> bool:
    return Customer.objects.filter(source=DEMO_SOURCE).exists()


def demo_delete() -> int:
    """Delete the demo customers and everything that cascades from them.

    On PostgreSQL, when every customer is a demo customer, the customer tables
    and every table referencing them are truncated (deleting a million rows one
    by one through the ORM's cascade would take hours)."""
    count = Customer.objects.filter(source=DEMO_SOURCE).count()
    if connection.vendor == "postgresql" and not Customer.objects.exclude(source=DEMO_SOURCE).exists():
        tables = ", ".join(m._meta.db_table for m in (Customer, Contact, Transaction, Interaction, FollowUp))
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # Deferred FK checks queued earlier in this transaction block TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        return count
    ids = list(Customer.objects.filter(source=DEMO_SOURCE).values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        Customer.objects.filter(pk__in=ids[start:start + 2000]).delete()
    return count


def _close_connection() -> None:
    connection.close()


def _write_atomic(writer, plan: Plan) -> None:
    with transaction.atomic():
        writer(plan)


def demo_load(*, customers: int, seed: int, now: datetime, transactions_per_customer: float = 10,
              users: dict[str, User], progress=None) -> LoadResult:
    """Generate and write ``customers`` customers in chunks of CHUNK_SIZE, each
    chunk in its own transaction. Precondition: no demo customers exist."""
    began = time.monotonic()
    as_of = timezone.localdate(now)
    utc_offset_min = int(timezone.localtime(now).utcoffset().total_seconds() // 60)
    east = (users["manager"].pk, users["manager"].team_id)
    south = (users["manager2"].pk, users["manager2"].team_id)
    writer = _write_postgresql if connection.vendor == "postgresql" else _write_orm
    # PostgreSQL ingests one chunk (on a second connection, in a thread) while
    # the next is generated. Only outside a transaction: a second connection
    # would not see rows the caller has not committed (e.g. inside a test).
    pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block and customers > CHUNK_SIZE
    executor = ThreadPoolExecutor(max_workers=1) if pipelined else None
    result, pending = LoadResult(), None
    try:
        for chunk_no, start in enumerate(range(0, customers, CHUNK_SIZE)):
            size = min(CHUNK_SIZE, customers - start)
            plan = chunk_plan(seed=seed, chunk_no=chunk_no, size=size, as_of=as_of, tpc=transactions_per_customer,
                              east=east, south=south, support_id=users["support"].pk,
                              utc_offset_min=utc_offset_min)
            if pending is not None:
                pending.result()
            for key in result.counts:
                result.counts[key] += len(getattr(plan, key))
            if executor is None:
                _write_atomic(writer, plan)
            else:
                pending = executor.submit(_write_atomic, writer, plan)
            if progress and executor is None:
                progress(start + size, time.monotonic() - began)
            elif progress and chunk_no:
                progress(start, time.monotonic() - began)
        if pending is not None:
            pending.result()
    finally:
        if executor is not None:
            executor.submit(_close_connection).result()  # the thread's own connection
            executor.shutdown()
    if connection.vendor == "postgresql" and customers:
        with connection.cursor() as cursor:
            for model in (Customer, Contact, Transaction, Interaction, FollowUp):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    result.seconds = time.monotonic() - began
    return result


def as_of_now(as_of: date | None) -> datetime:
    """The ``now`` of a run: the given day at 18:00 local time, else the clock."""
    if as_of is None:
        return timezone.now()
    return timezone.make_aware(datetime.combine(as_of, datetime.min.time()) + timedelta(hours=18))

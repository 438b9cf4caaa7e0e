"""Default holiday calendar: the Chinese public holidays the team greets customers
on (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节), on the day itself. Lunar
holidays move: their dates are listed per year. The calendar is editable; these
fill a year only while it has no holiday at all (care.services.holiday_defaults_ensure)."""
from __future__ import annotations

import datetime as dt

# (month, day, name) per year; 春节, 端午节 and 中秋节 follow the lunar calendar.
CHINESE_PUBLIC_HOLIDAYS: dict[int, list[tuple[int, int, str]]] = {
    2026: [(1, 1, "元旦"), (2, 17, "春节"), (4, 5, "清明节"), (5, 1, "劳动节"), (6, 19, "端午节"),
           (9, 25, "中秋节"), (10, 1, "国庆节")],
    2027: [(1, 1, "元旦"), (2, 6, "春节"), (4, 5, "清明节"), (5, 1, "劳动节"), (6, 9, "端午节"),
           (9, 15, "中秋节"), (10, 1, "国庆节")],
    2028: [(1, 1, "元旦"), (1, 26, "春节"), (4, 4, "清明节"), (5, 1, "劳动节"), (5, 28, "端午节"),
           (10, 3, "中秋节"), (10, 1, "国庆节")],
}


def default_holidays(year: int) -> list[tuple[dt.date, str]]:
    """The default holidays of ``year`` (empty for a year not listed: the lead adds them)."""
    return sorted((dt.date(year, m, d), name) for m, d, name in CHINESE_PUBLIC_HOLIDAYS.get(year, []))


# Perks by membership level (segmentation.models.MembershipLevel) until a lead edits them.
DEFAULT_PERKS: dict[str, tuple[str, str]] = {
    "bronze": ("生日专享 9 折优惠券一张", "节日专享 95 折优惠券一张"),
    "silver": ("生日专享 100 元代金券", "节日专享 50 元代金券"),
    "gold": ("生日专享 300 元代金券及精美礼品", "节日礼盒一份"),
    "platinum": ("生日专享 500 元代金券、定制礼品及客户经理上门祝福", "高端节日礼盒及专属客户经理问候"),
}


# Seed 001, "溝通內容" per tier (segmentation.models.Tier), until a team lead edits them.
DEFAULT_TALKING_POINTS: dict[str, str] = {
    "new": "产品使用指南：带客户走一遍关键功能\n常见问题解答：提前说明上手阶段的常见问题\n成功案例分享：同行业客户的使用成果",
    "high_value": "行业趋势报告：分享最新行业动态与数据\n定制化方案建议：结合客户核心需求提出方案\n专属权益介绍：会员等级对应的专属权益",
    "churn_risk": "问题原因调研：了解不满意或减少合作的原因\n解决方案说明：针对问题给出明确方案与时限\n情感关怀：问候与关心（如节日问候），不急于推销",
    "potential": "交叉销售/增购建议：如“您购买的A模块可搭配B模块提升效率”\n使用深度：了解还有哪些需求尚未满足",
}

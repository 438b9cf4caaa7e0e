"""Default holiday calendar: the Chinese public holidays the team greets customers
on (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节), on the day itself. Lunar
holidays move: their dates are listed per year. The calendar is editable; these
fill a year only while it has no holiday at all (care.services.holiday_defaults_ensure)."""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

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


# Perks by membership level (segmentation.models.MembershipLevel) until a lead edits them;
# translated when shown (the seed's Chinese is the zh-Hans translation).
DEFAULT_PERKS: dict[str, tuple[str, str]] = {
    "bronze": (_("A 10%-off birthday coupon"), _("A 5%-off holiday coupon")),
    "silver": (_("A CNY 100 birthday voucher"), _("A CNY 50 holiday voucher")),
    "gold": (_("A CNY 300 birthday voucher and a gift"), _("A holiday gift box")),
    "platinum": (_("A CNY 500 birthday voucher, a personalised gift and a visit from the account manager"),
                 _("A premium holiday gift box and a call from the account manager")),
}


# Seed 001, "沟通内容" per tier (segmentation.models.Tier), until a team lead edits them;
# translated when shown, one point per line.
DEFAULT_TALKING_POINTS: dict[str, str] = {
    "new": _("Product guide: walk the customer through the key features\n"
             "FAQ: explain the usual questions of the first weeks before they come up\n"
             "Success stories: what customers in the same industry achieved"),
    "high_value": _("Industry trend report: share the latest developments and figures\n"
                    "Tailored proposal: a plan built on the customer's core need\n"
                    "Exclusive benefits: what their membership level gives them"),
    "churn_risk": _("Cause survey: find out why they are unhappy or buying less\n"
                    "Solution: a clear remedy with a committed time\n"
                    "Care: greetings and concern (e.g. on holidays), no sales pitch"),
    "potential": _("Cross-sell / upgrade: e.g. \"the module A you bought works even better with module B\"\n"
                   "Depth of use: ask which needs are not met yet"),
}

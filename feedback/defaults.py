"""The theme dictionary's defaults: the problem types the seed documents name
(seed 001's tracking table and survey: response speed, data sync delays, wrong
invoices, feature requests such as bulk export, prices, training; seed 002's
complaint cycle and first follow-up; the demo tickets' categories)."""

DEFAULT_THEMES = [
    ("响应速度", "Response speed", "响应,太慢,响应慢,没人跟进,跟进,拖,等待,回复", "slow,response,waiting,no reply,follow up"),
    ("数据同步", "Data sync", "同步,数据同步,延迟", "sync,data,delay"),
    ("发票问题", "Invoices", "发票,抬头,开票,补开", "invoice,receipt"),
    ("账单与退款", "Billing and refunds", "账单,扣款,退款,金额,到账", "bill,billing,refund,charge,charged"),
    ("价格", "Price", "价格,偏高,优惠,报价,贵", "price,expensive,discount,quote"),
    ("产品质量", "Product quality", "质量,故障,卡纸,无法开机,划痕,配件,维修,报错", "quality,broken,defect,fault,error"),
    ("交付与上门", "Delivery and visits", "交付,承诺,到达,上门,安装,预约,物流", "delivery,late,shipping,install,visit"),
    ("系统与登录", "System and login", "系统,登录,接口,超时,升级", "system,login,timeout,upgrade"),
    ("功能需求", "Feature requests", "功能,导出,批量", "feature,export,bulk"),
    ("培训", "Training", "培训,演示,上手", "training,demo,tutorial"),
    ("服务态度", "Service attitude", "态度,客服", "attitude,rude,unfriendly"),
    ("回访与通知", "Follow-up visits and notices", "回访,通知,短信", "notification,notify,sms"),
]


def ensure_defaults(*, now=None) -> None:
    """The default global entries, where missing (what migration 0002 adds): tests call it
    after a transactional test elsewhere flushed the migration's rows."""
    from django.utils import timezone

    from feedback.models import ThemeEntry

    now = now or timezone.now()
    for name_zh, name_en, keywords_zh, keywords_en in DEFAULT_THEMES:
        ThemeEntry.objects.get_or_create(team=None, name_zh=name_zh, defaults={
            "name_en": name_en, "keywords_zh": keywords_zh, "keywords_en": keywords_en, "updated_at": now})

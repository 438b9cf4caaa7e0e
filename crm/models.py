from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Least, TruncDate, Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access
from core.fields import EncryptedTextField
from core.roles import Role

PERSONAL_FIELDS = ("phone", "email", "id_number", "address")
_CJK = re.compile(r"[\u3400-\u9fff]")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


def person_name(first_name: str, last_name: str) -> str:
    """Chinese names are written family name first with no space (王丽); others
    given name first (Alice Archer)."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="members")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class CustomerQuerySet(access.CustomerScopedQuerySet):
    """``for_user``: the customers the user may read (core.access)."""

    customer_path = ""

    def with_customer_since(self) -> CustomerQuerySet:
        """Annotate ``customer_since`` (see ``customer_since_expression``)."""
        return self.annotate(customer_since=customer_since_expression())

    def customers_since_on_or_before(self, day) -> CustomerQuerySet:
        """Those whose ``customer_since`` is on or before ``day`` (``customer_since_on_or_before_q``)."""
        return self.filter(customer_since_on_or_before_q(day))


class TransactionQuerySet(access.CustomerScopedQuerySet):
    def for_user(self, user) -> TransactionQuerySet:
        return super().for_user(user) if access.can_see_money(user) else self.none()


def customer_since_expression(customer_ref: str = "pk"):
    """DESIGN "Tiers": a customer since the earliest of the first deal date, the
    first transaction and the (local) creation day, so imported history counts
    from when it happened. The one definition: segmentation, the metrics and the
    customer page all read it. ``customer_ref`` names the customer's id in the
    queryset annotated ("pk" on Customer, "customer_id" on a related model);
    with another ref the model must reach the customer's fields as ``customer__``."""
    prefix = "" if customer_ref == "pk" else "customer__"
    created_on = TruncDate(f"{prefix}created_at")
    first_tx = Subquery(Transaction.objects.filter(customer_id=OuterRef(customer_ref)).order_by("occurred_on")
                        .values("occurred_on")[:1])
    # Least is NULL on SQLite when any argument is: every argument falls back to creation.
    return Least(Coalesce(f"{prefix}first_deal_date", created_on), Coalesce(first_tx, created_on), created_on)


def customer_since_on_or_before_q(day) -> Q:
    """A condition on Customer: ``customer_since_expression() <= day``, written so that no first
    transaction has to be found for each customer. The least of the three days is on or before
    ``day`` exactly when one of them is (a missing first deal or first transaction falls back to
    the creation day, which is one of the three): created on or before it, a first deal date on or
    before it, or any transaction on or before it. On a recent day nearly every customer passes
    the first test, which reads the row itself; the transactions are looked at only for the rest."""
    from core.clock import day_end

    return (Q(created_at__lt=day_end(day)) | Q(first_deal_date__lte=day)
            | Q(models.Exists(Transaction.objects.filter(customer_id=models.OuterRef("pk"), occurred_on__lte=day))))


def tags_encode(tags) -> str:
    """Tags are stored as ',a,b,' so 'has tag x' is a portable LIKE ',x,'."""
    clean = []
    for t in tags or []:
        t = str(t).strip().replace(",", " ")
        if t and t not in clean:
            clean.append(t)
    return f",{','.join(clean)}," if clean else ""


def tags_decode(value: str) -> list[str]:
    return [t for t in (value or "").split(",") if t]


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro (<10)")
        SMALL = "small", _("Small (10-99)")
        MEDIUM = "medium", _("Medium (100-999)")
        LARGE = "large", _("Large (1000+)")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        SMS = "sms", _("SMS")
        OTHER = "other", _("Other")

    source = models.CharField(_("source system"), max_length=50, blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True, default="")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    owner = models.ForeignKey(User, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_customers")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="customers")
    first_deal_date = models.DateField(_("first deal date"), null=True, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices,
                                         blank=True)
    tags = models.CharField(_("tags"), max_length=500, blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    email = EncryptedTextField(_("e-mail"), blank=True, default="")
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    address = EncryptedTextField(_("address"), blank=True, default="")
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Preferences and core need (seed 001: "对高价值客户记录偏好（如沟通时间、话题），避免重复询问已解决问题";
    # template 1 "核心需求"). The follow-up queue reads the window (care.selectors.contact_window_state).
    contact_window_start = models.TimeField(_("contact from"), null=True, blank=True)
    contact_window_end = models.TimeField(_("contact until"), null=True, blank=True)
    # db_default: the bulk writers (COPY of the demo data and the import) name only the columns they fill.
    preferred_topics = models.CharField(_("preferred topics"), max_length=300, blank=True, default="", db_default="")
    settled_notes = models.TextField(_("settled, do not ask again"), blank=True, default="", db_default="")
    core_need = models.CharField(_("core need"), max_length=300, blank=True, default="", db_default="")
    # No text messages to this customer or any of its contacts (care.sms reads it).
    sms_opt_out = models.BooleanField(_("no text messages"), default=False, db_default=False,
                                      help_text=_("The customer asked not to receive SMS."))
    referred_by = models.ForeignKey("self", verbose_name=_("referred by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="referrals")
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""),
                                    name="customer_external_id_unique_per_source"),
        ]
        indexes = [
            models.Index(fields=["team", "id"]),
            models.Index(fields=["owner", "id"]),
            models.Index(fields=["name"]),
            models.Index(fields=["region"]),
            models.Index(fields=["industry"]),
            models.Index(fields=["first_deal_date", "id"]),  # list sort by first deal
            # The UI and the API filter these case-insensitively (Django's iexact is
            # UPPER(col) = UPPER(value)): a plain index on the column cannot serve that.
            models.Index(Upper("region"), name="crm_customer_region_upper"),
            models.Index(Upper("industry"), name="crm_customer_industry_upper"),
            models.Index(Upper("external_id"), name="crm_customer_extid_upper"),
            # Substring search (UPPER(name) LIKE '%…%') uses the pg_trgm GIN indexes
            # of migration 0005, which exist on PostgreSQL only.
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_list(self) -> list[str]:
        return tags_decode(self.tags)


class Contact(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    email = EncryptedTextField(_("e-mail"), blank=True, default="")
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # The primary contact is the key contact whose birthday the care layer remembers.
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    sms_opt_out = models.BooleanField(_("no text messages"), default=False, db_default=False,
                                      help_text=_("This contact asked not to receive SMS."))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class Transaction(models.Model):
    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("Purchase")
        REFUND = "refund", _("Refund")

    # No index of its own: (customer, occurred_on) below serves every look-up by customer, and each
    # index is paid on every imported row (bench/README.md, imports).
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="transactions", db_index=False)
    source = models.CharField(_("source system"), max_length=50, blank=True, default="")
    external_id = models.CharField(_("external ID"), max_length=100, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PURCHASE)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    occurred_on = models.DateField(_("date"))
    due_on = models.DateField(_("payment due"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""),
                                    name="transaction_external_id_unique_per_source"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="transaction_amount_not_negative"),
        ]
        indexes = [
            # A customer's transactions in day order, kind and amount read from the index alone on
            # PostgreSQL: the first purchase, "a purchase before the period", the points balance's net
            # spend of each row of the customer API.
            models.Index(fields=["customer", "occurred_on"], include=["kind", "amount"],
                         name="crm_tx_customer_day_cover_idx"),
            # Period metrics, read from the index alone on PostgreSQL: purchases of a period (repurchase,
            # CLV's buyers, activation) and every transaction of a period (CLV's net spend).
            models.Index(fields=["kind", "occurred_on"], include=["customer", "amount"],
                         name="crm_tx_kind_day_cover_idx"),
            models.Index(fields=["occurred_on", "customer"], include=["kind", "amount"], name="crm_tx_day_cover_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.occurred_on})"


class Product(models.Model):
    """The company's catalogue (seed 001: "您购买的A模块可搭配B模块"): every team sells the
    same products, so the catalogue belongs to no team; what a team's customers bought
    together is mined per team (xsell)."""

    code = models.CharField(_("product code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    line = models.CharField(_("product line"), max_length=100, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TransactionLineQuerySet(TransactionQuerySet):
    """``for_user``: the lines of the transactions the user may read (none for support)."""

    customer_path = "transaction__customer"


class TransactionLine(models.Model):
    """What a transaction bought: a product, a quantity and the amount paid for it."""

    transaction = models.ForeignKey(Transaction, verbose_name=_("transaction"), on_delete=models.CASCADE,
                                    related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="lines")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)

    objects = TransactionLineQuerySet.as_manager()

    class Meta:
        ordering = ["transaction", "id"]
        verbose_name = _("transaction line")
        verbose_name_plural = _("transaction lines")
        constraints = [
            models.UniqueConstraint(fields=["transaction", "product"], name="transaction_line_product_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="transaction_line_amount_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="transaction_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} x{self.quantity}"


class Interaction(models.Model):
    """A follow-up record (回访记录), seed 001 template 4."""

    Channel = Customer.Channel

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="interactions")
    occurred_at = models.DateTimeField(_("when"))
    channel = models.CharField(_("channel"), max_length=10, choices=Customer.Channel.choices,
                               default=Customer.Channel.PHONE)
    staff = models.ForeignKey(User, verbose_name=_("staff"), null=True, on_delete=models.SET_NULL,
                              related_name="interactions")
    summary = models.TextField(_("summary"))
    feedback = models.TextField(_("customer feedback"), blank=True)
    next_action = models.CharField(_("next action"), max_length=300, blank=True)
    next_action_owner = models.ForeignKey(User, verbose_name=_("next action owner"), null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="next_actions")
    next_action_due = models.DateField(_("next action due"), null=True, blank=True)
    is_objection = models.BooleanField(_("objection"), default=False)
    objection_resolved_at = models.DateTimeField(_("objection resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "occurred_at"]),
            # Who was active in a window (churn rate, CLV): read from the index alone.
            models.Index(fields=["occurred_at", "customer"], name="crm_int_at_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.occurred_at:%Y-%m-%d} {self.channel}"


class FollowUp(models.Model):
    """Something an owner must do for a customer by a deadline: the next action of
    an interaction, a detractor call-back (surveys), a manual reminder. Logging an
    interaction with the customer closes the owner's open follow-ups for it."""

    class Source(models.TextChoices):
        NEXT_ACTION = "next_action", _("Next action")
        DETRACTOR = "detractor", _("Detractor call-back")
        LOW_SATISFACTION = "low_satisfaction", _("Low satisfaction")
        MANUAL = "manual", _("Manual")
        CARE = "care", pgettext_lazy("follow-up source", "Care")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="followups")
    owner = models.ForeignKey(User, verbose_name=_("owner"), null=True, on_delete=models.SET_NULL,
                              related_name="followups")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    reason = models.CharField(_("reason"), max_length=300)
    # A reason the system words (e.g. a survey call-back): its kind and parameters,
    # rendered in the reader's language (reason_text); blank for a person's own words.
    reason_kind = models.CharField(max_length=40, blank=True, default="", db_default="")  # COPY writers omit it
    reason_params = models.JSONField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(Interaction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Generic pointer to what raised it (e.g. "surveys.response:42"); unique so a
    # redelivered task cannot open the same follow-up twice.
    origin = models.CharField(max_length=100, blank=True, default="")

    objects = access.CustomerScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        # The follow-up queue reads open follow-ups in due order per owner, or all of
        # them (admin; a team lead's are filtered on the customer's team), a page at a time.
        indexes = [
            models.Index(fields=["owner", "due_at", "id"], condition=Q(done_at__isnull=True),
                         name="crm_followup_open_owner_due"),
            models.Index(fields=["due_at", "id"], condition=Q(done_at__isnull=True), name="crm_followup_open_due"),
            # Those done after an instant (what was still open then: the dashboard's overdue count).
            models.Index(fields=["done_at"], condition=Q(done_at__isnull=False), name="crm_followup_done_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["origin"], condition=~Q(origin=""), name="followup_origin_unique"),
        ]

    def __str__(self) -> str:
        return self.reason

    @property
    def reason_text(self) -> str:
        """The reason in the active language (a person's own words as they typed them)."""
        from core.notifications import stored_text

        return stored_text(self.reason_kind, self.reason_params, self.reason)


class ImportFile(models.Model):
    """An upload, a validated stage or an error report of an import job, kept
    encrypted (core.crypto, the field key) in chunks in the database: web and
    workers may run on different machines, and nothing lies on disk in clear.
    Uploads and stages are deleted when their job ends; crm.importing.storage
    sweeps abandoned ones after 24 hours."""

    class Purpose(models.TextChoices):
        UPLOAD = "upload", _("upload")
        STAGE = "stage", _("validated stage")
        ERRORS = "errors", _("error report")

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.CASCADE, related_name="import_files")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)  # bytes in clear
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["job", "purpose"])]


class ImportFileChunk(models.Model):
    file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()  # core.crypto.encrypt_bytes

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "seq"], name="import_file_chunk_unique")]
        ordering = ["file", "seq"]


class PhoneIndex(models.Model):
    """Phone search over encrypted numbers: keyed hashes (core.crypto.blind_index)
    of each customer's and contact's number, whole and its last four digits (the
    "尾号" a caller gives). Kept by crm.phone_index (events of the crm services;
    a nightly rebuild picks up rows written around them: COPY imports, demo data)."""

    digest = models.CharField(max_length=32, db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["customer", "contact"])]


class ActivitySpell(models.Model):
    """A stretch of days at whose start (00:00 local) the customer counts as active:
    some transaction, interaction or ticket in the ACTIVITY_DAYS days before
    (crm.activity). Derived from those records and kept by crm.activity — never
    written by anything else; a customer has one row per unbroken stretch."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    active_from = models.DateField()
    active_until = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["active_until", "active_from"], include=["customer"],
                                name="crm_activityspell_at")]


class ActivityDirty(models.Model):
    """Customers whose activity records changed since their spells were computed:
    written by database triggers on every source table (crm.activity), so bulk
    writes, COPY and raw SQL are seen as well as the ORM."""

    customer_id = models.BigIntegerField(primary_key=True)

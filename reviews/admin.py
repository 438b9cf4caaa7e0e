from django.contrib import admin

from reviews.models import Review, ReviewAction, ReviewFinding, ReviewMetric


class ReviewMetricInline(admin.TabularInline):
    model = ReviewMetric
    extra = 0
    readonly_fields = ["actual", "numerator", "denominator", "previous"]


class ReviewFindingInline(admin.TabularInline):
    model = ReviewFinding
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "period_start", "period_end", "scope_kind", "status"]
    list_filter = ["status", "scope_kind", "team"]
    readonly_fields = ["actuals_computed_at", "auto_month", "created_at"]
    inlines = [ReviewMetricInline, ReviewFindingInline]


@admin.register(ReviewAction)
class ReviewActionAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "deadline", "status", "metric"]
    list_filter = ["status"]
    raw_id_fields = ["review", "owner"]

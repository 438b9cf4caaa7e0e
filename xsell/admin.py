from django.contrib import admin

from xsell.models import CrossSellSettings


@admin.register(CrossSellSettings)
class CrossSellSettingsAdmin(admin.ModelAdmin):
    list_display = ["min_support", "min_confidence", "min_lift"]

from django.contrib import admin

from surveys.models import Campaign, Question, Survey, SurveyInvitation, SurveyOptOut, SurveyResponse


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "team", "is_default", "is_active")
    inlines = [QuestionInline]


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ("customer", "survey", "trigger_key", "created_at", "sent_at", "expires_at", "answered_at")
    list_select_related = ("customer", "survey")
    list_filter = ("trigger",)
    raw_id_fields = ("customer", "campaign")
    readonly_fields = ("token_hash",)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ("customer", "answered_at", "channel", "nps", "overall")
    list_select_related = ("customer",)
    list_filter = ("channel",)
    raw_id_fields = ("customer", "invitation", "entered_by")
    exclude = ("contact",)  # personal data: read through the app (masked, audited)


admin.site.register(SurveyOptOut, raw_id_fields=("customer",))
admin.site.register(Campaign)

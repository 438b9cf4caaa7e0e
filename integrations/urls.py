from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox-new"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox-edit"),
    path("triage/", views.triage_list, name="triage"),
    path("triage/<int:pk>/", views.triage_detail, name="triage-detail"),
    path("tickets/<int:ticket_pk>/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<int:pk>/deliveries/<uuid:uuid>/redeliver/", views.webhook_redeliver, name="webhook-redeliver"),
]

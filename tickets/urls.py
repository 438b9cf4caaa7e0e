from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.ticket_create, name="create"),
    path("new/for/<int:customer_pk>/", views.ticket_quick_create, name="quick-create"),
    path("weekly/", views.weekly, name="weekly"),
    path("weekly/export/", views.weekly_export, name="weekly-export"),
    path("settings/", views.ticket_settings, name="settings"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.ticket_action, name="action"),
]

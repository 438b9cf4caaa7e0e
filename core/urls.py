from django.urls import path

from core import views

urlpatterns = [
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("notifications/", views.notification_list, name="notifications"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job-progress"),
]

from django.urls import path

from core import api_jobs

urlpatterns = [
    path("jobs/<int:pk>/", api_jobs.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/cancel/", api_jobs.JobCancelView.as_view(), name="job-cancel"),
]

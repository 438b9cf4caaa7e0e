"""The public answer pages, mounted at /s/ (no login)."""
from django.urls import path

from surveys import views

urlpatterns = [
    path("<str:token>/", views.public_answer, name="survey-answer"),
    path("<str:token>/opt-out/", views.public_optout, name="survey-optout"),
]

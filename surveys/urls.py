from django.urls import path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("results/", views.survey_results, name="results"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("customers/<int:customer_pk>/phone/", views.phone_survey, name="phone-survey"),
    path("customers/<int:customer_pk>/opt-out/", views.customer_optout, name="customer-optout"),
]

from django.urls import path

from crm import manage_views

urlpatterns = [
    path("users/", manage_views.user_list, name="manage-users"),
    path("users/new/", manage_views.user_edit, name="manage-user-new"),
    path("users/<int:pk>/", manage_views.user_edit, name="manage-user-edit"),
    path("teams/", manage_views.team_list, name="manage-teams"),
    path("teams/<int:pk>/", manage_views.team_edit, name="manage-team-edit"),
]

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("themes/", views.theme_list, name="themes"),
    path("themes/recompute/", views.themes_recompute, name="themes-recompute"),
    path("themes/<int:pk>/", views.theme_records, name="theme-records"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("dictionary/<int:pk>/", views.dictionary_entry, name="dictionary-entry"),
    path("dictionary/<int:pk>/delete/", views.dictionary_entry_delete, name="dictionary-entry-delete"),
]

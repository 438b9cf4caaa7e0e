from django.urls import path

from crm import import_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/new/", views.customer_create, name="customer-create"),
    path("customers/export.csv", views.customer_export_csv, name="customer-export-csv"),
    path("customers/export.xlsx", views.customer_export_xlsx, name="customer-export-xlsx"),
    path("customers/import/", import_views.customer_import, name="customer-import"),
    path("customers/import/template/<str:entity>.csv", import_views.customer_import_template,
         name="customer-import-template"),
    path("customers/import/file/<int:pk>/", import_views.customer_import_mapping, name="customer-import-mapping"),
    path("customers/import/<int:pk>/", import_views.customer_import_job, name="customer-import-job"),
    path("customers/import/<int:pk>/commit/", import_views.customer_import_commit, name="customer-import-commit"),
    path("customers/import/<int:pk>/cancel/", import_views.customer_import_cancel, name="customer-import-cancel"),
    path("customers/import/<int:pk>/errors.csv", import_views.customer_import_errors, name="customer-import-errors"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer-edit"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("customers/<int:pk>/transactions/new/", views.transaction_create, name="transaction-create"),
    path("customers/<int:pk>/interactions/new/", views.interaction_create, name="interaction-create"),
]

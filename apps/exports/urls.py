from django.urls import path

from apps.exports import views

urlpatterns = [
    path("", views.export_list, name="export_list"),
    path("new/", views.export_new, name="export_new"),
    path("<int:export_id>/", views.export_detail, name="export_detail"),
    path("<int:export_id>/files/<str:name>", views.export_download, name="export_download"),
    path("tokens/", views.token_list, name="export_tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="export_token_revoke"),
    path("api/<int:export_id>/", views.api_export, name="api_export"),
    path("api/<int:export_id>/files/<str:name>", views.api_export_file, name="api_export_file"),
]

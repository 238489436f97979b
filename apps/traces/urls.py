from django.urls import path

from apps.traces import views

urlpatterns = [
    path("", views.trace_list, name="trace_list"),
    path("<int:run_id>/", views.trace_detail, name="trace_detail"),
]

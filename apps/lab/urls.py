from django.urls import path

from apps.lab import views

urlpatterns = [
    path("", views.experiment_list, name="experiment_list"),
    path("launch/<str:kind>/", views.launch, name="experiment_launch"),
    path("<int:experiment_id>/", views.experiment_detail, name="experiment_detail"),
    path("<int:experiment_id>/progress/", views.experiment_progress, name="experiment_progress"),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/progress/", views.evaluation_progress, name="evaluation_progress"),
    path("evaluations/start/", views.start_evaluation, name="start_evaluation"),
]

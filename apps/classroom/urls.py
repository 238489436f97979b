from django.urls import path

from apps.classroom import views

urlpatterns = [
    path("", views.classroom_list, name="classroom_list"),
    path("<int:classroom_id>/", views.dashboard, name="classroom_dashboard"),
    path("<int:classroom_id>/heatmap/turns/", views.heatmap_cell, name="heatmap_cell"),
    path("<int:classroom_id>/monitor/", views.monitor, name="classroom_monitor"),
    path("<int:classroom_id>/settings/", views.classroom_settings, name="classroom_settings"),
    path("<int:classroom_id>/alerts/", views.alerts, name="classroom_alerts"),
    path("<int:classroom_id>/alerts/acknowledge/", views.acknowledge_alert,
         name="classroom_alert_acknowledge"),
    path("<int:classroom_id>/lanes/", views.lanes, name="classroom_lanes"),
    path("<int:classroom_id>/learners/<int:student_id>/", views.learner, name="classroom_learner"),
]

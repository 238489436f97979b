from django.urls import path

from apps.tutoring import views

urlpatterns = [
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/<int:problem_id>/start/", views.start_session, name="start_session"),
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
]

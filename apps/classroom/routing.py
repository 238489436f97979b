from django.urls import path

from apps.classroom.consumers import MonitorConsumer

websocket_urlpatterns = [
    path("ws/classrooms/<int:classroom_id>/monitor/", MonitorConsumer.as_asgi()),
]

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("apps.accounts.urls")),
    path("", include("apps.tutoring.urls")),
    path("traces/", include("apps.traces.urls")),
    path("classrooms/", include("apps.classroom.urls")),
]

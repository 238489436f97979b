from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("apps.accounts.urls")),
    path("", include("apps.tutoring.urls")),
    path("traces/", include("apps.traces.urls")),
    path("exports/", include("apps.exports.urls")),
    path("", include("apps.annotation.urls")),
    path("lab/", include("apps.lab.urls")),
    path("classrooms/", include("apps.classroom.urls")),
]

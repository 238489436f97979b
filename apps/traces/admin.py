from django.contrib import admin

from apps.traces.models import Run


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "name", "status", "engine", "model", "started_at")
    list_filter = ("source", "status", "engine")

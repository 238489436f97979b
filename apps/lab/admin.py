from django.contrib import admin

from apps.lab.models import AtlasSessionRecord, Experiment, LeapProblemResult, MemoryVersion, RewardRecord


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "done", "total", "created_by", "created_at")
    list_filter = ("kind", "status")


@admin.register(MemoryVersion)
class MemoryVersionAdmin(admin.ModelAdmin):
    list_display = ("key", "version", "reason", "created_at")
    search_fields = ("key",)


@admin.register(RewardRecord)
class RewardRecordAdmin(admin.ModelAdmin):
    list_display = ("key", "score", "lane", "source", "created_at")
    search_fields = ("key",)


admin.site.register(AtlasSessionRecord)
admin.site.register(LeapProblemResult)

from django.contrib import admin

from apps.problems.models import Misconception, Problem


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "gold_answer", "source")
    list_filter = ("source",)
    search_fields = ("statement",)


@admin.register(Misconception)
class MisconceptionAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "skill", "source", "licence", "updated_at")
    list_filter = ("skill", "licence")
    search_fields = ("key", "name", "description")
    readonly_fields = ("created_at", "updated_at")

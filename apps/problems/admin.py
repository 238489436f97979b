from django.contrib import admin

from apps.problems.models import Problem


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "gold_answer", "source")
    list_filter = ("source",)
    search_fields = ("statement",)

from django.contrib import admin

from apps.learners.models import LearnerReward


@admin.register(LearnerReward)
class LearnerRewardAdmin(admin.ModelAdmin):
    list_display = ("learner", "skill", "score", "lane", "source", "created_at")
    list_filter = ("lane", "skill")
    search_fields = ("learner__username", "skill")

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.models import Classroom, Enrolment, School, User


@admin.register(User)
class TutorGraphUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role",)}))
    list_display = ("username", "email", "role", "is_active")
    list_filter = ("role", "is_active")


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "teacher", "telling_budget_turn")
    inlines = [EnrolmentInline]


admin.site.register(School)

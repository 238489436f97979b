from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from apps.accounts.audit import record
from apps.accounts.models import AuditEvent, Classroom, Enrolment, School, User


@admin.register(User)
class TutorGraphUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role",)}))
    list_display = ("username", "email", "role", "is_active")
    list_filter = ("role", "is_active")

    def save_model(self, request, obj, form, change):
        """Save, and audit a change of role (the admin wraps both in one transaction)."""
        super().save_model(request, obj, form, change)
        if change and "role" in form.changed_data:
            record(request.user, "user.role_change", obj,
                   before=form.initial.get("role"), after=obj.role)


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "school", "teacher", "telling_budget_turn")
    inlines = [EnrolmentInline]


admin.site.register(School)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    readonly_fields = ("created_at", "actor", "action", "target_type", "target_id", "details")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

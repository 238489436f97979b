from django.contrib import admin

from apps.exports.models import ApiToken, AuditLog, Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ("id", "format", "file_type", "status", "created_by", "created_at")
    list_filter = ("status", "format")


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target")
    list_filter = ("action",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)

from django.contrib import admin

from apps.exports.models import ApiToken, Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ("id", "format", "file_type", "status", "created_by", "created_at")
    list_filter = ("status", "format")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)

from django.contrib import admin

from apps.tutoring.models import Turn, TutoringSession


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    fields = ("index", "author", "text", "status", "move", "is_correct")
    readonly_fields = fields


@admin.register(TutoringSession)
class TutoringSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "student", "problem", "status", "origin", "updated_at")
    list_filter = ("status", "origin")
    inlines = [TurnInline]

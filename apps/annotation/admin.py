from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

from apps.annotation import services
from apps.annotation.models import (
    Adjudication,
    AnnotationQueue,
    AnnotationSchema,
    Assignment,
    CandidatePair,
    Label,
    QueueItem,
)
from apps.annotation.schema_spec import validate_fields

MAX_JSON_DEPTH = 20


def _too_deep(value) -> bool:
    """Whether JSON nests deeper than a schema ever needs (checked level by level, not recursively)."""
    level = [value]
    for _ in range(MAX_JSON_DEPTH):
        level = [v for x in level
                 for v in (x.values() if isinstance(x, dict) else x if isinstance(x, list) else ())]
    return bool(level)


class SchemaJSONField(forms.JSONField):
    """JSON typed into the admin; nesting too deep for the parser is a form error, not a 500."""

    def to_python(self, value):
        try:
            converted = super().to_python(value)
            too_deep = _too_deep(converted)
        except RecursionError:
            too_deep = True
        if too_deep:
            raise ValidationError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep",
                                  code="invalid")
        return converted

    def bound_data(self, data, initial):
        try:
            value = super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)
        return InvalidJSONInput(data) if _too_deep(value) else value


@admin.register(AnnotationSchema)
class AnnotationSchemaAdmin(admin.ModelAdmin):
    """Saving a changed schema adds a new version; queues and labels keep the version they used."""

    list_display = ("name", "version", "created_at")
    readonly_fields = ("version",)
    formfield_overrides = {models.JSONField: {"form_class": SchemaJSONField}}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        def clean_fields(self):
            try:
                return validate_fields(self.cleaned_data["fields"])
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc

        form.clean_fields = clean_fields
        return form

    def save_model(self, request, obj, form, change):
        saved = services.save_schema_version(obj.name, obj.fields, obj.description)
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(AnnotationQueue)
class AnnotationQueueAdmin(admin.ModelAdmin):
    list_display = ("name", "schema", "target", "n_per_item", "blind", "threshold", "lead")
    filter_horizontal = ("annotators",)


@admin.register(QueueItem)
class QueueItemAdmin(admin.ModelAdmin):
    list_display = ("id", "queue", "key", "status")
    list_filter = ("queue", "status")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("id", "item", "annotator", "slot", "status", "expires_at")
    list_filter = ("status",)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "rater", "item", "turn", "created_at")
    list_filter = ("kind",)


admin.site.register(Adjudication)
admin.site.register(CandidatePair)

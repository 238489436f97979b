from django.contrib import admin
from django.core.exceptions import ValidationError

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


@admin.register(AnnotationSchema)
class AnnotationSchemaAdmin(admin.ModelAdmin):
    """Saving a changed schema adds a new version; queues and labels keep the version they used."""

    list_display = ("name", "version", "created_at")
    readonly_fields = ("version",)

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

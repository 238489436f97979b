from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "apps.annotation"

    def ready(self) -> None:
        from apps.annotation import candidates  # noqa: F401  (connects its signal receiver)

from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "apps.tutoring"

    def ready(self) -> None:
        from apps.traces import threads
        from apps.tutoring.models import SESSION_THREAD

        threads.register(SESSION_THREAD, label="session", url_name="session_detail")

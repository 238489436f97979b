from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "apps.exports"
    verbose_name = "Dataset exports"

    def ready(self) -> None:
        from apps.exports.records import Conversation
        from apps.exports.sources import register_source
        from apps.exports.sources.tutoring import TutoringConversations

        register_source("tutoring", Conversation, TutoringConversations("student", "tutoring"))
        register_source("evaluation", Conversation, TutoringConversations("evaluation", "evaluation"))

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "apps.exports"
    verbose_name = "Dataset exports"

    def ready(self) -> None:
        from apps.exports.records import BinaryFeedback, Conversation, PreferencePair, StepSequence
        from apps.exports.sources import register_source
        from apps.exports.sources.atlas_retries import AtlasRetryPairs
        from apps.exports.sources.feedback import TurnFeedback
        from apps.exports.sources.pairwise import CandidatePairPreferences
        from apps.exports.sources.step_labels import RunStepLabels
        from apps.exports.sources.tutoring import TutoringConversations
        from apps.traces.models import Run

        for origin, source in (("student", Run.Source.TUTORING), ("evaluation", Run.Source.EVALUATION)):
            register_source(source, Conversation, TutoringConversations(origin, source))
            register_source(source, PreferencePair, CandidatePairPreferences(origin, source))
            register_source(source, BinaryFeedback, TurnFeedback(origin, source))
        register_source(Run.Source.ATLAS, PreferencePair, AtlasRetryPairs())
        for source in (Run.Source.ATLAS, Run.Source.LEAP):
            register_source(source, StepSequence, RunStepLabels(source))

"""ATLAS over N problems with a student-alone baseline on the same problems; a JSON report."""

from apps.lab.forms import AtlasLaunchForm
from apps.lab.management.launching import LaunchCommand


class Command(LaunchCommand):
    help = ("Run ATLAS sessions on one learning key beside the student alone and the student's "
            "self-retry (and optionally the oracle arm); report accuracy, tokens, calls, cost, lanes.")
    kind = "atlas"
    form_class = AtlasLaunchForm

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--student-engine", default="embedded")
        parser.add_argument("--teacher-engine", default="embedded")
        parser.add_argument("--max-attempts", type=int, default=2)
        parser.add_argument("--student-tokens", type=int, default=256)
        parser.add_argument("--teacher-tokens", type=int, default=128)
        parser.add_argument("--probe", default="llm", help="llm (upstream's) or rules")
        parser.add_argument("--memory", default="live", help="live, frozen or shadow")
        parser.add_argument("--key", default="", help="learning key to continue (frozen runs)")
        parser.add_argument("--oracle-arm", action="store_true",
                            help="also run the old in-session checker gate, on its own key")
        parser.add_argument("--prices", default="",
                            help="USD per million tokens, e.g. student=0.25/2,teacher=1.25/10")

    def handle(self, *args, **options) -> None:
        names = ("dataset", "limit", "student_engine", "teacher_engine", "max_attempts",
                 "student_tokens", "teacher_tokens", "probe", "memory", "key", "oracle_arm",
                 "prices")
        self.launch({n: options[n] for n in names}, options)

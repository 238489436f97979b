"""LeaP against independent sampling + majority vote on the same problems; a JSON report."""

from apps.lab.forms import LeapLaunchForm
from apps.lab.management.launching import LaunchCommand


class Command(LaunchCommand):
    help = "Run LeaP and the independent baseline; report accuracy, tokens and prefix-trap recovery."
    kind = "leap"
    form_class = LeapLaunchForm

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--engine", default="embedded")
        parser.add_argument("--paths", type=int, default=4, help="paths N")
        parser.add_argument("--every", type=int, default=128, help="tokens T between exchanges")
        parser.add_argument("--top-k", type=int, default=2, help="peers k per path")
        parser.add_argument("--router", default="hybrid")
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--trap-paths", type=int, default=0,
                            help="paths started from a wrong prefix (MathDial files)")

    def handle(self, *args, **options) -> None:
        names = ("dataset", "limit", "engine", "paths", "every", "top_k", "router", "rounds",
                 "trap_paths")
        self.launch({n: options[n] for n in names}, options)

"""LeaP against independent sampling + majority vote on the same problems; a JSON report."""

from apps.lab.forms import LeapLaunchForm
from apps.lab.management.launching import LaunchCommand


class Command(LaunchCommand):
    help = ("Run LeaP and the independent baseline; report Pass@1 per path and the vote, tokens "
            "and prefix-trap recovery.")
    kind = "leap"
    form_class = LeapLaunchForm

    def add_arguments(self, parser) -> None:
        self.add_common_arguments(parser)
        parser.add_argument("--engine", default="embedded")
        parser.add_argument("--paths", type=int, default=4, help="paths N")
        parser.add_argument("--context-tokens", type=int, default=4096,
                            help="the engine's context; summary length, T and rounds fit in it")
        parser.add_argument("--every", type=int, default=2048, help="tokens T between exchanges")
        parser.add_argument("--top-k", type=int, default=2, help="peers k per path")
        parser.add_argument("--router", default="dispersed")
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--summary-tokens", type=int, default=256)
        parser.add_argument("--prompt-style", default="upstream", help="upstream or plain")
        parser.add_argument("--trap-paths", type=int, default=0,
                            help="paths started from a wrong prefix")
        parser.add_argument("--trap-source", default="own",
                            help="own (the model's wrong responses, cut at 15%%) or mathdial")

    def handle(self, *args, **options) -> None:
        names = ("dataset", "limit", "engine", "paths", "context_tokens", "every", "top_k",
                 "router", "rounds", "summary_tokens", "prompt_style", "trap_paths", "trap_source")
        self.launch({n: options[n] for n in names}, options)

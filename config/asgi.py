"""ASGI entry point: HTTP through Django, websockets through Channels with session auth."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.classroom.routing import websocket_urlpatterns as classroom_ws  # noqa: E402
from apps.tutoring.routing import websocket_urlpatterns  # noqa: E402
from apps.tutoring.socket_guard import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": SameOriginValidator(AuthMiddlewareStack(
        URLRouter(websocket_urlpatterns + classroom_ws))),
})

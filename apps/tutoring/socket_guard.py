"""What every tutoring socket checks at the edge: the page's origin, and before each action that
the person is still signed in (a logout ends an open socket's rights too)."""

from __future__ import annotations

from importlib import import_module
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


class SameOriginValidator:
    """Accept a websocket only from a page of this site: the Origin's scheme, host and port must
    be those the request was made to (its Host header, on an allowed host), or one listed in
    CSRF_TRUSTED_ORIGINS. Channels' AllowedHostsOriginValidator checks the host alone, so any
    port on an allowed host could drive a session with the teacher's cookie."""

    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def same_origin(scope) -> bool:
    headers = dict(scope.get("headers", []))
    origin = _origin(headers.get(b"origin", b"").decode("latin1"))
    host = headers.get(b"host", b"").decode("latin1")
    if origin is None or not host:
        return False
    if origin in {_origin(o) for o in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    domain, _port = split_domain_port(host)
    return (origin == _origin(f"{scheme}://{host}") and bool(domain)
            and validate_host(domain, settings.ALLOWED_HOSTS))


def signed_in_user(scope):
    """The socket's user if their Django session still signs them in, else None.

    A socket opened without Channels' session middleware (a test's communicator) has no
    session in its scope; its user stands as given."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return None
    session = scope.get("session")
    if session is None:
        return user
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    if str(store.get(SESSION_KEY)) != str(user.pk):
        return None  # logged out, expired, or another person signed in on that browser
    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    if fresh is None:
        return None
    if not constant_time_compare(store.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash()):
        return None  # the password changed since: Django ends such sessions too
    return fresh

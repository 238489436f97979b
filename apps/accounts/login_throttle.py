"""Login throttling: failed attempts per username and address, counted in the cache (Redis)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError


def failure_key(request, username: str) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"login-failures:{username.strip().lower()}:{address}"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to check a password after too many recent failures for this username+address."""

    def clean(self):
        key = failure_key(self.request, self.data.get("username", ""))
        if (cache.get(key) or 0) >= settings.LOGIN_MAX_FAILURES:
            minutes = max(1, settings.LOGIN_THROTTLE_S // 60)
            raise ValidationError(
                f"Too many failed log-ins for this username. Wait {minutes} minutes and try "
                "again, or ask your teacher or an admin to reset your password.",
                code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_S)
            cache.incr(key)
            raise
        cache.delete(key)
        return cleaned


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"

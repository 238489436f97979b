"""Login throttling: failed attempts per username lock that username for a while; attempts per
address are rate-limited per minute, so one student cannot lock out a school behind one NAT.

Counts live in the cache (Redis) and are taken atomically *before* the password is checked
(INCR), so parallel wrong passwords cannot all pass the check; a success clears the
username's count."""

from __future__ import annotations

import time
import unicodedata

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError


def normalised_username(username: str) -> str:
    """The username as Django compares it (NFKC), case-folded: every spelling of one account
    shares one count."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()


def username_key(username: str) -> str:
    return f"login-failures:user:{normalised_username(username)}"


def address_key(request) -> str:
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    return f"login-attempts:addr:{address}:{int(time.time() // 60)}"


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    return cache.incr(key)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to check a password once the username is locked or the address is too busy."""

    def clean(self):
        if _count(address_key(self.request), 120) > settings.LOGIN_ADDRESS_PER_MINUTE:
            raise ValidationError("Too many log-in attempts from this network; wait a minute and "
                                  "try again.", code="rate_limited")
        key = username_key(self.data.get("username", ""))
        if _count(key, settings.LOGIN_THROTTLE_S) > settings.LOGIN_MAX_FAILURES:
            minutes = max(1, settings.LOGIN_THROTTLE_S // 60)
            raise ValidationError(
                f"Too many failed log-ins for this username. Wait {minutes} minutes and try "
                "again, or ask your teacher or an admin to reset your password.",
                code="throttled")
        cleaned = super().clean()  # a wrong password keeps the attempt counted
        cache.delete(key)
        return cleaned


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"

"""Role checks for views: a person without the role gets 403, an anonymous one the login page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(*roles: str):
    """Admit people with one of `roles` (admins always); `role_required("admin")` is admins only."""
    if not roles:
        raise TypeError('role_required() needs at least one role; admins only is role_required("admin")')

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied(f"this page is for {' / '.join(roles)}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

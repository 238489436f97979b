"""Role checks for views: a person without the role gets 403, an anonymous one the login page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(*roles: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_role(*roles):
                raise PermissionDenied(f"this page is for {' / '.join(roles) or 'admins'}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

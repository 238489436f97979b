"""The site's own 404 page even while DEBUG is on (`make run`): Django's technical 404 lists
every URL pattern of the site to whoever types a wrong address. Tracebacks of real errors
(500) still show while DEBUG is on; with DEBUG off Django uses templates/404.html itself."""

from django.conf import settings
from django.views.defaults import page_not_found


class SiteNotFoundMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404 and not response.streaming
                and b"DEBUG = True" in response.content[:20000]):  # Django's technical page
            return page_not_found(request, None)
        return response

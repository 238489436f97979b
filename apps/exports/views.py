from functools import wraps

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.permissions import role_required
from apps.exports import selectors, services
from apps.exports.forms import ExportForm, TokenForm
from apps.exports.models import Export


@role_required("admin")
def export_list(request):
    return render(request, "exports/export_list.html",
                  {"exports": selectors.exports()[:100], "audit": selectors.recent_audit()})


@role_required("admin")
def export_new(request):
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        export = services.request_export(request.user, format_name=form.cleaned_data["format"],
                                         file_type=form.cleaned_data["file_type"],
                                         filters=form.export_filters())
        return redirect("export_detail", export.pk)
    return render(request, "exports/export_new.html", {"form": form})


@role_required("admin")
def export_detail(request, export_id: int):
    export = get_object_or_404(selectors.exports(), pk=export_id)
    template = ("exports/partials/_progress.html" if request.htmx else "exports/export_detail.html")
    return render(request, template, {"export": export})


@role_required("admin")
@require_GET
def export_download(request, export_id: int, name: str):
    return _file_response(request.user, get_object_or_404(Export, pk=export_id), name, "web")


@role_required("admin")
def token_list(request):
    form, raw = TokenForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        _, raw = services.issue_token(request.user, form.cleaned_data["name"])
        form = TokenForm()
    return render(request, "exports/token_list.html",
                  {"form": form, "raw": raw, "tokens": selectors.tokens_of(request.user)})


@role_required("admin")
@require_POST
def token_revoke(request, token_id: int):
    if services.revoke_token(request.user, token_id):
        messages.info(request, "Token revoked.")
    else:
        messages.error(request, "No such token among your active ones; nothing was revoked.")
    return redirect("export_tokens")


def bearer_admin(view):
    """Scripts authenticate with `Authorization: Bearer <token>`: 401 without one, 403 for non-admins."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        user = services.user_for_token(raw.strip()) if scheme.lower() == "bearer" and raw else None
        if user is None:
            response = _api_error("a valid API token is required", 401)
            response["WWW-Authenticate"] = 'Bearer realm="tutorgraph"'
            return response
        if not user.is_admin:
            return _api_error("only admins can download exports", 403)
        request.user = user
        return view(request, *args, **kwargs)

    return wrapped


def _api_error(message: str, status: int) -> JsonResponse:
    """Scripts read JSON, so API errors (404s too) are JSON, never the HTML error page."""
    return JsonResponse({"error": message}, status=status)


@require_GET
@bearer_admin
def api_export(request, export_id: int):
    export = Export.objects.filter(pk=export_id).first()
    if export is None:
        return _api_error(f"no export {export_id}", 404)
    return JsonResponse({
        "id": export.pk, "format": export.format, "file_type": export.file_type,
        "status": export.status, "progress": export.progress, "error": export.error,
        "counts": export.counts, "manifest": export.manifest,
        "files": {name: request.build_absolute_uri(reverse("api_export_file", args=[export.pk, name]))
                  for name in export.files}})


@require_GET
@bearer_admin
def api_export_file(request, export_id: int, name: str):
    export = Export.objects.filter(pk=export_id).first()
    if export is None:
        return _api_error(f"no export {export_id}", 404)
    if export.status != Export.Status.DONE:
        return _api_error(f"export {export.pk} is {export.status}; its files come when it is done", 404)
    if selectors.downloadable_file(export, name) is None:
        return _api_error(f"export {export.pk} has no file {name[:100]!r}; it has "
                          f"{', '.join(export.files)}", 404)
    return _file_response(request.user, export, name, "api")


def _file_response(user, export: Export, name: str, via: str) -> FileResponse:
    path = selectors.downloadable_file(export, name)
    if path is None:
        raise Http404("No such file in a finished export.")
    services.record_download(user, export, name, via)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"export-{export.pk}-{name}")

"""What a browser asks of any site: the icon at /favicon.ico."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

FAVICON = Path(__file__).resolve().parents[1] / "static" / "web" / "favicon.ico"


@require_GET
def favicon(request: HttpRequest) -> FileResponse:
    # FileResponse closes the file when the response is done.
    response = FileResponse(open(FAVICON, "rb"), content_type="image/x-icon")  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=86400"
    return response

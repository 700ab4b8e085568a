"""Serving what users uploaded without letting it run in the site's origin.

The stored content type is whatever the uploader's browser claimed, so it is not trusted: a
file is shown inline only if its first bytes are an image format (PNG, JPEG, GIF, WebP), and
then as that type, never sniffed (nosniff) and under a CSP that forbids scripts, plugins and
same-origin access (`sandbox`). Everything else (a PDF with JavaScript, HTML) is a download."""

from __future__ import annotations

from django.http import FileResponse

from aftersales.cases.attachments import file_path
from aftersales.cases.models import Attachment

SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniffed_image_type(head: bytes) -> str | None:
    for signature, content_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def serve_upload(upload: Attachment) -> FileResponse:
    handle = open(file_path(upload), "rb")  # noqa: SIM115 - FileResponse closes it when done
    image_type = sniffed_image_type(handle.read(16))
    handle.seek(0)
    if image_type:
        response = FileResponse(handle, content_type=image_type)
    else:
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=upload.original_name or upload.public_id,
            content_type="application/octet-stream",
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response

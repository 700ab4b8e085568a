"""Storing uploaded photos and documents under the data directory, checked by type and size."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from aftersales.cases.models import Attachment, Case
from aftersales.core.errors import BadRequest
from aftersales.core.models import User

MAX_FILES = 9
MAX_BYTES = 5 * 1024 * 1024
# Accepted types, recognised by their leading bytes rather than the name a browser sends.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DOCUMENT_TYPES = (*PHOTO_TYPES, "application/pdf")


def _sniff(head: bytes) -> str | None:
    for content_type, prefixes in SIGNATURES.items():
        if any(head.startswith(p) for p in prefixes):
            if content_type == "image/webp" and head[8:12] != b"WEBP":
                continue
            return content_type
    return None


def store(
    files: list[UploadedFile],
    *,
    user: User,
    case: Case | None,
    now: dt.datetime,
    field: str = "photos",
) -> list[Attachment]:
    """Check and store up to nine files; nothing is stored if any one is refused. Photos
    (the "photos" field) are images only; other fields take a PDF too."""
    photos_only = field == "photos"
    if len(files) > MAX_FILES:
        raise BadRequest(_("At most %(n)d files.") % {"n": MAX_FILES}, field=field)
    checked: list[tuple[UploadedFile, bytes, str]] = []
    for upload in files:
        if upload.size is None or upload.size > MAX_BYTES:
            raise BadRequest(
                _("%(name)s is larger than 5 MB.") % {"name": upload.name}, field=field
            )
        content = upload.read()
        content_type = _sniff(content[:16])
        if photos_only and content_type not in PHOTO_TYPES:
            raise BadRequest(
                _("%(name)s is not a JPEG, PNG, GIF or WebP photo.") % {"name": upload.name},
                field=field,
            )
        if content_type is None:
            raise BadRequest(
                _("%(name)s is not a JPEG, PNG, GIF, WebP image or a PDF.") % {"name": upload.name},
                field=field,
            )
        checked.append((upload, content, content_type))
    stored = []
    root = Path(settings.MEDIA_ROOT) / "attachments"
    for upload, content, content_type in checked:
        public_id = secrets.token_hex(12)
        relative = Path(f"{now:%Y%m}") / public_id
        (root / relative.parent).mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
        stored.append(
            Attachment.objects.create(
                case=case,
                uploaded_by=user,
                public_id=public_id,
                path=str(relative),
                original_name=(upload.name or "file")[:200],
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                created_at=now,
            )
        )
    return stored


def file_path(attachment: Attachment) -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments" / attachment.path

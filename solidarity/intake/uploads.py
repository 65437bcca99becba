"""Upload handling that never writes an applicant's file to disk before it is sealed."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Keep each file in memory up to MAX_VIDEO_BYTES; past that, drop its bytes and mark it
    ``too_large`` so the form can say so next to the field. Django's default handler would
    spool large files to a plaintext temporary file."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.request_total = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer: io.BytesIO | None = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        self.request_total += len(raw_data)
        too_much = self.received > settings.MAX_VIDEO_BYTES or self.request_total > _request_limit()
        if self.buffer is not None and too_much:
            self.buffer = None  # let the memory go at once
        if self.buffer is not None:
            self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        buffer = self.buffer if self.buffer is not None else io.BytesIO()
        buffer.seek(0)
        uploaded = InMemoryUploadedFile(
            file=buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type="application/octet-stream",  # the browser's claim is ignored
            size=file_size,
            charset=None,
            content_type_extra=None,
        )
        uploaded.too_large = self.buffer is None
        return uploaded


def _request_limit() -> int:
    return settings.MAX_VIDEO_BYTES + settings.MAX_ATTACHMENTS * settings.MAX_ATTACHMENT_BYTES

"""Check what an uploaded file really is, and strip what could identify its author.

Type is decided by content, never by name or the browser's claim. Images are re-encoded
without EXIF, XMP or ICC data (camera serial numbers, GPS positions, edit history); PDFs
lose their document info, XMP metadata and embedded files. Videos are kept as they are
and the applicant is told so before uploading.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Pillow refuses images above this many pixels (a decompression-bomb guard). 64 megapixels
# admits the 48 and 50 MP modes of current phones at about 200 MB of memory while decoding;
# larger photos get their own message asking for a smaller one.
Image.MAX_IMAGE_PIXELS = 64_000_000
# How to turn the pixels for each EXIF orientation (the table of ImageOps.exif_transpose, which
# we cannot call: it re-serialises the EXIF we are about to drop, and crashes on odd EXIF).
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class RejectedFileError(Exception):
    """The file is not a kind we accept, or is damaged. The message is for the applicant."""


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    content_type: str
    extension: str
    metadata_removed: bool


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes, or None if we do not accept it."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in {b"heic", b"heix", b"mif1", b"msf1", b"hevc"}:
            return "image/heic"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def is_video(content_type: str) -> bool:
    return content_type.startswith("video/")


def clean_file(data: bytes) -> CleanFile:
    """Raises RejectedFileError with a message for the applicant."""
    kind = sniff(data[:16])
    if kind is None:
        raise RejectedFileError(
            _(
                "This file type is not accepted. Send a photo (JPEG, PNG), a PDF or a video (MP4, WebM)."
            )
        )
    if kind == "image/heic":
        raise RejectedFileError(
            _(
                "HEIC photos are not accepted. Please send the photo as JPEG (on iPhone: Settings → Camera → Formats → Most Compatible)."
            )
        )
    if kind.startswith("image/"):
        return _clean_image(data)
    if kind == "application/pdf":
        return _clean_pdf(data)
    extension = "mp4" if kind == "video/mp4" else "webm"
    return CleanFile(data=data, content_type=kind, extension=extension, metadata_removed=False)


def _clean_image(data: bytes) -> CleanFile:
    too_large = RejectedFileError(
        _("This photo is too large. Please send a smaller photo, for example a screenshot of it.")
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
            if image.width * image.height > Image.MAX_IMAGE_PIXELS:
                raise too_large
            image.load()
            # Apply the EXIF orientation to the pixels before dropping EXIF, so the photo of
            # a document stays upright.
            orientation = image.getexif().get(0x0112, 1)
            method = _ORIENTATION.get(orientation) if isinstance(orientation, int) else None
            upright = image.transpose(method) if method is not None else image.copy()
            fmt = image.format
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning is raised, not printed, under `-W error` (and in tests).
        raise too_large from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise RejectedFileError(
            _("This image could not be read. It may be damaged; try taking the photo again.")
        ) from None
    # A copy with an empty info dictionary: Pillow then writes no EXIF, XMP, ICC or text chunks.
    clean = upright.copy()
    clean.info = {}
    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, "PNG")
        return CleanFile(out.getvalue(), "image/png", "png", True)
    clean = clean.convert("RGB")
    clean.info = {}
    clean.save(out, "JPEG", quality=90)
    return CleanFile(out.getvalue(), "image/jpeg", "jpg", True)


def _clean_pdf(data: bytes) -> CleanFile:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            # The first /ID is made when the file is created and kept by every later save:
            # it would let the state match this copy to the one on the author's computer.
            for key in ("/Info", "/ID"):
                if key in pdf.trailer:
                    del pdf.trailer[key]
            root = pdf.Root
            for key in ("/Metadata", "/Names", "/OpenAction", "/AA", "/PieceInfo"):
                if key in root:
                    del root[key]
            for page in pdf.pages:
                for key in ("/Metadata", "/PieceInfo", "/AA"):
                    if key in page.obj:
                        del page.obj[key]
                if "/Annots" in page.obj:
                    page.obj.Annots = pikepdf.Array(_clean_annotations(page.obj.Annots))
            # Images, fonts and form XObjects carry XMP of their own (scanner, editing app).
            for obj in pdf.objects:
                if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) and "/Metadata" in obj:
                    del obj["/Metadata"]
            out = io.BytesIO()
            # static_id: the original file ID would let the state match this copy to the one
            # on the author's computer.
            pdf.save(out, static_id=True, fix_metadata_version=False)
    except (pikepdf.PdfError, pikepdf.PasswordError, ValueError, KeyError):
        raise RejectedFileError(
            _("This PDF could not be read. It may be damaged or password-protected.")
        ) from None
    return CleanFile(out.getvalue(), "application/pdf", "pdf", True)


def _clean_annotations(annots) -> list:
    """Drop files attached to pages; drop who wrote each comment, and when."""
    kept = []
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary):
            continue
        subtype = annot.get("/Subtype")
        if subtype == pikepdf.Name.FileAttachment:
            continue
        if subtype != pikepdf.Name.Widget:  # a form field's /T is its name, not an author
            for key in ("/T", "/M", "/CreationDate", "/NM"):
                if key in annot:
                    del annot[key]
        kept.append(annot)
    return kept

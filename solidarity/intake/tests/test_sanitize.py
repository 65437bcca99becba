"""Uploads: the type comes from the content, and photos and PDFs lose what identifies their author.

Each input file carries canary strings where metadata hides (see solidarity/testing/builders.py);
a cleaned file must not hold any of them, checked both with the parsing library and by plain
byte search.
"""

from __future__ import annotations

import io
import math
import warnings

import pikepdf
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from solidarity.intake.sanitize import RejectedFileError, clean_file, is_video, sniff
from solidarity.testing import builders

IMAGE_CANARIES = [
    builders.MAKE_CANARY.encode(),
    builders.MODEL_CANARY.encode(),
    builders.GPS_CANARY.encode(),
    builders.ICC_CANARY,
    builders.XMP_CANARY.encode(),
    builders.PNG_TEXT_CANARY.encode(),
]
RED, BLUE = (255, 0, 0), (0, 0, 255)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_image_metadata(data: bytes) -> None:
    image = opened(data)
    assert not image.getexif()
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "Author", "comment"):
        assert key not in image.info
    for canary in IMAGE_CANARIES:
        assert canary not in data
    assert b"Exif\x00\x00" not in data


def close_to(pixel, colour) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def everything_in_pdf(data: bytes) -> bytes:
    """The file's bytes plus every stream decoded and the file ID: where a canary could hide."""
    parts = [data]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        parts += [obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
        if "/ID" in pdf.trailer:
            parts += [bytes(part) for part in pdf.trailer.ID]
    return b"\n".join(parts)


# --- photos ------------------------------------------------------------------------------------


def test_a_jpeg_comes_back_without_exif_gps_xmp_or_icc():
    # Given a phone photo naming the camera and where it was taken
    data = builders.jpeg_with_metadata()
    for canary in IMAGE_CANARIES[:5]:
        assert canary in data
    # When it is cleaned
    result = clean_file(data)
    # Then it is still a JPEG of the same picture, with none of that left
    assert (result.content_type, result.extension, result.metadata_removed) == (
        "image/jpeg",
        "jpg",
        True,
    )
    assert opened(result.data).size == (40, 20)
    assert_no_image_metadata(result.data)


def test_a_webp_photo_comes_back_as_a_jpeg_without_metadata():
    result = clean_file(builders.jpeg_with_metadata(fmt="WEBP"))
    assert result.content_type == "image/jpeg"
    assert_no_image_metadata(result.data)


@pytest.mark.parametrize(
    ("orientation", "size", "top_left"),
    [
        (1, (40, 20), RED),  # as stored: red on the left
        (3, (40, 20), BLUE),  # upside down
        (6, (20, 40), RED),  # turned 90° clockwise: the left half ends up on top
        (8, (20, 40), BLUE),  # turned 90° counter-clockwise: the left half ends up below
    ],
)
def test_the_exif_orientation_is_applied_to_the_pixels_before_exif_is_dropped(
    orientation, size, top_left
):
    result = clean_file(builders.jpeg_with_metadata(orientation=orientation))
    image = opened(result.data).convert("RGB")
    assert image.size == size
    assert close_to(image.getpixel((size[0] // 4, size[1] // 4)), top_left)
    assert_no_image_metadata(result.data)


def test_a_photo_whose_exif_pillow_cannot_rewrite_is_still_cleaned_and_turned_upright():
    """Some apps write EXIF with wrong types (here the camera make as a number). Pillow's
    exif_transpose re-serialises EXIF and crashes on it with AttributeError, which no caller
    expects: the applicant's upload fails with a server error."""
    result = clean_file(builders.jpeg_with_odd_exif())
    image = opened(result.data)
    assert image.size == (20, 40)
    assert_no_image_metadata(result.data)


def test_a_png_comes_back_without_its_text_chunks_or_exif():
    data = builders.png_with_text()
    assert builders.PNG_TEXT_CANARY.encode() in data
    result = clean_file(data)
    assert (result.content_type, result.extension, result.metadata_removed) == (
        "image/png",
        "png",
        True,
    )
    assert_no_image_metadata(result.data)
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert chunk not in result.data


# --- PDFs -----------------------------------------------------------------------------------------

PDF_CANARIES = [
    builders.PDF_AUTHOR_CANARY.encode(),
    builders.PDF_TITLE_CANARY.encode(),
    builders.PDF_XMP_CANARY.encode(),
]


def test_a_pdf_comes_back_without_document_info_or_xmp():
    data = builders.pdf_with_metadata()
    for canary in PDF_CANARIES:
        assert canary in data
    result = clean_file(data)
    assert (result.content_type, result.extension, result.metadata_removed) == (
        "application/pdf",
        "pdf",
        True,
    )
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Info" not in pdf.trailer
        assert "/Metadata" not in pdf.Root
    everything = everything_in_pdf(result.data)
    for canary in PDF_CANARIES:
        assert canary not in everything


def test_a_pdf_loses_its_named_embedded_files_and_opening_script():
    everything = everything_in_pdf(clean_file(builders.pdf_with_hidden_extras()).data)
    assert builders.PDF_NAMED_FILE_CANARY.encode() not in everything
    assert builders.PDF_SCRIPT_CANARY.encode() not in everything


def test_a_cleaned_pdf_does_not_keep_the_original_file_id():
    """The first /ID entry is made when the file is created and survives every save, so it
    matches this copy to the one on the author's computer. qpdf's static_id only replaces
    the second entry."""
    data = builders.pdf_with_hidden_extras()
    with pikepdf.open(io.BytesIO(data)) as original:
        assert bytes(original.trailer.ID[0]) == builders.PDF_ID_CANARY
    cleaned = clean_file(data).data
    assert builders.PDF_ID_CANARY not in everything_in_pdf(cleaned)
    assert builders.PDF_ID_CANARY.hex().encode() not in cleaned.lower()


def test_a_pdf_loses_the_xmp_attached_to_its_images():
    """Scanners and editing apps put XMP (device, software, dates) on image XObjects too."""
    everything = everything_in_pdf(clean_file(builders.pdf_with_hidden_extras()).data)
    assert builders.PDF_IMAGE_XMP_CANARY.encode() not in everything


def test_a_pdf_loses_files_attached_to_its_pages():
    """A FileAttachment annotation embeds a whole file that nobody checked or cleaned."""
    everything = everything_in_pdf(clean_file(builders.pdf_with_hidden_extras()).data)
    assert builders.PDF_ATTACHED_FILE_CANARY.encode() not in everything


def test_a_pdf_loses_the_author_names_on_its_comments():
    """A comment (markup annotation) carries the commenter's user name in /T."""
    everything = everything_in_pdf(clean_file(builders.pdf_with_hidden_extras()).data)
    assert builders.PDF_COMMENT_AUTHOR_CANARY.encode() not in everything


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"Dear fund, here is my story in a text file named photo.jpg",
        b"",
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04 a zip archive",
        b"GIF89a\x01\x00\x01\x00",
    ],
)
def test_a_file_that_is_not_a_photo_pdf_or_video_is_refused_whatever_its_name(data):
    assert sniff(data[:16]) is None
    with pytest.raises(RejectedFileError):
        clean_file(data)


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1", b"msf1", b"hevc"])
def test_a_heic_photo_is_refused_with_advice_to_send_a_jpeg(brand):
    data = b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 100
    with translation.override("en"), pytest.raises(RejectedFileError) as refused:
        clean_file(data)
    assert "HEIC" in str(refused.value)
    assert "JPEG" in str(refused.value)


def test_a_truncated_jpeg_is_refused():
    out = io.BytesIO()
    builders.two_colour_image((200, 200)).save(out, "JPEG")
    data = out.getvalue()
    for length in (len(data) // 2, len(data) - 10):
        with pytest.raises(RejectedFileError):
            clean_file(data[:length])


def test_a_damaged_png_and_a_damaged_pdf_are_refused():
    png = builders.png_with_text()
    with pytest.raises(RejectedFileError):
        clean_file(png[:8] + b"\x00" * 64)
    with pytest.raises(RejectedFileError):
        clean_file(b"%PDF-1.7\nnot really a pdf at all\n")


def test_an_image_that_claims_far_more_pixels_than_the_limit_is_refused():
    with pytest.raises(RejectedFileError):
        clean_file(builders.png_claiming_size(20_000, 20_000))


@pytest.mark.parametrize("warning_filter", ["error", "ignore"])
def test_an_image_just_over_the_pixel_limit_is_refused(warning_filter):
    """Pillow raises only above twice MAX_IMAGE_PIXELS; between the limit and twice it only
    warns. In production the warning is printed and the image accepted; under `-W error`
    (and pytest's `error::RuntimeWarning`) an uncaught DecompressionBombWarning escapes."""
    side = math.isqrt(Image.MAX_IMAGE_PIXELS) + 1  # just over the limit
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter(warning_filter, Image.DecompressionBombWarning)
        with pytest.raises(RejectedFileError, match="too large"):
            clean_file(out.getvalue())


# --- videos -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (builders.mp4_bytes(), "video/mp4", "mp4"),
        (b"\x00\x00\x00\x20ftypisom" + b"\x00" * 100, "video/mp4", "mp4"),
        (builders.webm_bytes(), "video/webm", "webm"),
    ],
)
def test_a_video_is_recognised_and_kept_unchanged(data, content_type, extension):
    result = clean_file(data)
    assert result.content_type == content_type
    assert result.extension == extension
    assert result.data == data
    assert result.metadata_removed is False
    assert is_video(result.content_type)


# --- any damage at all --------------------------------------------------------------------------

SAMPLES = {
    "jpeg": builders.jpeg_with_metadata(orientation=6),
    "png": builders.png_with_text(),
    "webp": builders.jpeg_with_metadata(fmt="WEBP"),
    "pdf": builders.pdf_with_metadata(),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(SAMPLES)),
    changes=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=4),
    keep=st.one_of(st.none(), st.floats(0, 1)),
)
def test_a_damaged_file_is_either_cleaned_or_refused_never_a_crash(kind, changes, keep):
    data = bytearray(SAMPLES[kind])
    for where, value in changes:
        data[int(where * len(data))] = value
    if keep is not None:
        data = data[: int(keep * len(data))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on corrupt EXIF
        try:
            result = clean_file(bytes(data))
        except RejectedFileError:
            return
    assert result.metadata_removed
    if result.content_type.startswith("image/"):
        assert_no_image_metadata(result.data)

"""Builders of test inputs that are not model rows: application form data and real files.

Factories for database rows live in ``factories.py``; these build what an applicant sends.
Each file builder writes canary strings into the places metadata hides, so a test can check
by plain byte search that the cleaned file no longer holds them.
"""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, PngImagePlugin

# Canaries: distinctive ASCII that appears nowhere else, so `canary in data` is a clean test.
MAKE_CANARY = "CanaryMakeXq7"
MODEL_CANARY = "CanaryModelZr4"
GPS_CANARY = "CanaryGpsDatumW9"
ICC_CANARY = b"CanaryIccProfileK2"
XMP_CANARY = "CanaryXmpPacketJ5"
PNG_TEXT_CANARY = "CanaryPngTextV3"
PDF_AUTHOR_CANARY = "CanaryPdfAuthorH8"
PDF_TITLE_CANARY = "CanaryPdfTitleN6"
PDF_XMP_CANARY = "CanaryPdfXmpB1"
PDF_ID_CANARY = b"CanaryPdfIdT0abc"  # 16 bytes, like a real file ID
PDF_IMAGE_XMP_CANARY = "CanaryPdfImageXmpG4"
PDF_ATTACHED_FILE_CANARY = "CanaryPdfAttachedFileD7"
PDF_NAMED_FILE_CANARY = "CanaryPdfNamedFileS2"
PDF_COMMENT_AUTHOR_CANARY = "CanaryPdfCommentAuthorY5"
PDF_SCRIPT_CANARY = "CanaryPdfScriptF1"
STORY_CANARY = "CanaryStoryOfTheApplicantM3"

EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110


def valid_application(**overrides) -> dict:
    """Form data for an application that passes validation (a security-forces officer who quit)."""
    data = {
        "programme": "security_forces",
        "situation": "security_forces:quit",
        "employer": "Internal troops, a unit in Minsk",
        "role": "Sergeant",
        "since": "2020-09-01",
        "debt_contract": "12500.00",
        "debt_contract_currency": "USD",
        "dependants": "2",
        "needs": ["money", "job"],
        "skills": "Driving licence C, some Python",
        "languages": "Belarusian, Russian",
        "contact_kind": "",
        "contact_handle": "",
        "story": f"I refused to beat protesters and resigned the next day. {STORY_CANARY}",
        "website": "",
    }
    data.update(overrides)
    return data


def two_colour_image(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Red on the left half, blue on the right: shows which way a picture was turned."""
    width, height = size
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


def exif_with_canaries(orientation: int | None = None) -> Image.Exif:
    """EXIF naming the camera and holding a GPS position, as a phone writes it."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = MAKE_CANARY
    exif[EXIF_MODEL] = MODEL_CANARY
    if orientation is not None:
        exif[EXIF_ORIENTATION] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (53.0, 54.0, 3.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (27.0, 33.0, 42.0)
    gps[ExifTags.GPS.GPSMapDatum] = GPS_CANARY
    return exif


def _xmp_packet(canary: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="">{canary}</rdf:Description>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def jpeg_with_metadata(
    *, orientation: int | None = None, size: tuple[int, int] = (40, 20), fmt: str = "JPEG"
) -> bytes:
    """A photo carrying EXIF (camera, GPS), an ICC profile and an XMP packet, all with canaries."""
    out = io.BytesIO()
    two_colour_image(size).save(
        out,
        fmt,
        exif=exif_with_canaries(orientation),
        icc_profile=ICC_CANARY * 8,
        xmp=_xmp_packet(XMP_CANARY),
    )
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a tEXt chunk, an iTXt chunk and EXIF, each holding a canary."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PNG_TEXT_CANARY)
    info.add_itxt("XML:com.adobe.xmp", _xmp_packet(XMP_CANARY).decode())
    out = io.BytesIO()
    two_colour_image().save(out, "PNG", pnginfo=info, exif=exif_with_canaries())
    return out.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's first bytes)."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    # The IHDR chunk follows the 8-byte signature: length, type, then width and height.
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    crc = struct.pack(">I", zlib.crc32(ihdr))
    return data[:12] + ihdr + crc + data[33:]


def pdf_with_metadata() -> bytes:
    """A one-page PDF with document info (author, title) and an XMP packet, all canaries."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:description"] = PDF_XMP_CANARY
    pdf.docinfo["/Author"] = PDF_AUTHOR_CANARY
    pdf.docinfo["/Title"] = PDF_TITLE_CANARY
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def pdf_with_hidden_extras() -> bytes:
    """A one-page PDF with what editors and scanners leave beyond document info: a file ID,
    XMP on an image, a file attached to the page, a comment signed by its author, a file in
    the EmbeddedFiles name tree and a script run on opening. Each holds a canary."""
    from pikepdf import Array, Dictionary, Name, Stream, String

    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    image = Stream(pdf, b"\xff\x00\x00", Type=Name.XObject, Subtype=Name.Image)
    image.Width, image.Height, image.BitsPerComponent = 1, 1, 8
    image.ColorSpace = Name.DeviceRGB
    image.Metadata = Stream(pdf, _xmp_packet(PDF_IMAGE_XMP_CANARY), Type=Name.Metadata)
    page.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.Contents = Stream(pdf, b"q 100 0 0 100 0 0 cm /Im0 Do Q")

    def attached(text: str) -> Dictionary:
        payload = Stream(pdf, text.encode(), Type=Name.EmbeddedFile)
        return Dictionary(Type=Name.Filespec, F=String("notes.txt"), EF=Dictionary(F=payload))

    rect = Array([0, 0, 10, 10])
    page.Annots = Array(
        [
            pdf.make_indirect(
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.FileAttachment,
                    Rect=rect,
                    FS=attached(PDF_ATTACHED_FILE_CANARY),
                )
            ),
            pdf.make_indirect(
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Text,
                    Rect=rect,
                    Contents=String("Checked."),
                    T=String(PDF_COMMENT_AUTHOR_CANARY),
                )
            ),
        ]
    )
    pdf.Root.Names = Dictionary(
        EmbeddedFiles=Dictionary(
            Names=Array([String("named.txt"), attached(PDF_NAMED_FILE_CANARY)])
        )
    )
    pdf.Root.OpenAction = Dictionary(
        S=Name.JavaScript, JS=String(f"app.alert('{PDF_SCRIPT_CANARY}')")
    )
    pdf.trailer.ID = Array([String(PDF_ID_CANARY), String(PDF_ID_CANARY)])
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def jpeg_with_odd_exif() -> bytes:
    """A photo whose EXIF gives the camera make as a number, as some apps write it, and asks
    to be rotated. Pillow reads such EXIF but cannot write it back."""
    entries = [
        struct.pack("<HHII", EXIF_MAKE, 5, 1, 38),  # type 5 (RATIONAL) where ASCII belongs
        struct.pack("<HHIHH", EXIF_ORIENTATION, 3, 1, 6, 0),  # SHORT 6: turn 90° clockwise
    ]
    tiff = b"II*\x00" + struct.pack("<I", 8)  # little-endian TIFF, first IFD at offset 8
    tiff += struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    tiff += struct.pack("<II", 1, 1)  # the rational 1/1, at offset 38
    out = io.BytesIO()
    two_colour_image().save(out, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return out.getvalue()


def mp4_bytes(size: int = 4096) -> bytes:
    """The start of an MP4 (an ftyp box with brand mp42), padded: enough for sniffing."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + b"\x00" * (size - len(head))


def webm_bytes(size: int = 4096) -> bytes:
    """The start of a WebM (an EBML header), padded."""
    head = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"
    return head + b"\x00" * (size - len(head))


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    """An uploaded file as the form sees it; the browser's content type is not trusted anyway."""
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def receipt_from_page(page: str) -> tuple[str, str]:
    """The (case code, passphrase) shown on the receipt page."""
    import re

    code = re.search(r'<code id="case-code"[^>]*>([^<]+)</code>', page)
    passphrase = re.search(r'<code id="passphrase"[^>]*>([^<]+)</code>', page)
    if code is None or passphrase is None:
        raise AssertionError(f"no receipt on this page:\n{page[:3000]}")
    return code.group(1), passphrase.group(1)

"""The seizure test: a copy of everything the server keeps reveals no applicant.

Given a real `solidarity serve` process with its own data directory (and, in the PostgreSQL
pass, its own database), when applications full of unique canary strings arrive over real
HTTP from an unusual client address with an unusual user agent, then no canary, address or
user agent appears in any byte under the data directory (database, WAL, uploads, logs), in
the server's log, in temporary files written meanwhile, or in any PostgreSQL table.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import re
import secrets
import socket
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pikepdf
import pytest
from PIL import Image

from solidarity.testing.builders import receipt_from_page
from solidarity.testing.fixtures import is_postgres_url

# The client connects from this loopback address, which appears nowhere else in the setup.
CLIENT_ADDRESS = "127.83.41.29"


class Canaries:
    """Unique marker strings; each must never be found in clear after submission."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(4).upper()
        self.values: list[str] = []

    def new(self, label: str) -> str:
        value = f"CANARY{self.tag}{label.upper()}{secrets.token_hex(3).upper()}"
        self.values.append(value)
        return value

    def new_cyrillic(self, label: str) -> str:
        value = f"Канарейка{self.tag}{label}{secrets.token_hex(3)}Ўладзімір"
        self.values.append(value)
        return value


def _encodings(value: str) -> list[bytes]:
    forms = {
        value.encode("utf-8"),
        value.encode("utf-16-le"),
        json.dumps(value)[1:-1].encode("ascii"),
    }
    return [f for f in forms if f]


class Client:
    """A minimal HTTP client bound to CLIENT_ADDRESS, with cookies and a chosen user agent."""

    def __init__(self, base_url: str, user_agent: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.user_agent = user_agent
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=30, source_address=(CLIENT_ADDRESS, 0)
        )
        headers = {"User-Agent": self.user_agent, "Accept-Language": "ru"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST":
            headers["Origin"] = f"http://{self.host}:{self.port}"
            headers["Referer"] = f"http://{self.host}:{self.port}{path}"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value in {"", '""'}:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        text = response.read().decode("utf-8", errors="replace")
        location = response.getheader("Location", "")
        conn.close()
        return response.status, location or text

    def csrf(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200, page[:500]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def post_multipart(
        self, path: str, fields: dict, files: list[tuple[str, str, bytes]]
    ) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for name, value in fields.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                out.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                )
                out.write(str(item).encode("utf-8") + b"\r\n")
        for field, filename, data in files:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            out.write(data + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, out.getvalue(), f"multipart/form-data; boundary={boundary}"
        )


def _jpeg_with_exif(canaries: Canaries) -> bytes:
    image = Image.new("RGB", (64, 48), (120, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = canaries.new("exifmake")  # Make
    exif[0x0110] = canaries.new("exifmodel")  # Model
    exif[0x010E] = canaries.new("exifdescription")  # ImageDescription
    exif[0x013B] = canaries.new("exifartist")  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (53.0, 54.0, 1.5)  # a position near Minsk
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _png_with_text(canaries: Canaries) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", canaries.new("pngauthor"))
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 90, 10)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _pdf_with_metadata(canaries: Canaries) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    content = f"BT /F1 12 Tf 72 720 Td ({canaries.new('pdftext')}) Tj ET".encode()
    pdf.pages[0].Contents = pdf.make_stream(content)
    pdf.docinfo["/Author"] = canaries.new("pdfauthor")
    pdf.docinfo["/Title"] = canaries.new("pdftitle")
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = [canaries.new("xmpcreator")]
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def _video(canaries: Canaries) -> bytes:
    return b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 8 + canaries.new("videobytes").encode() * 4


def _submit(client: Client, canaries: Canaries) -> tuple[str, str]:
    token = client.csrf("/apply/")
    fields = {
        "csrfmiddlewaretoken": token,
        "programme": "security_forces",
        "situation": "security_forces:quit",
        "employer": canaries.new("employer"),
        "role": canaries.new_cyrillic("role"),
        "service_number": canaries.new("svcno"),
        "since": "2020-08-15",
        "debt_contract": "24500.00",
        "debt_contract_currency": "USD",
        "debt_loans": "1200",
        "debt_loans_currency": "BYN",
        "debt_other": "300",
        "debt_other_currency": "EUR",
        "income_lost": "450",
        "income_lost_currency": "USD",
        "dependants": "2",
        "needs": ["money", "job", "retraining"],
        "skills": canaries.new("skills"),
        "languages": canaries.new("languages"),
        "contact_kind": "telegram",
        "contact_handle": "@" + canaries.new("tg")[:28].lower(),
        "story": f"{canaries.new('story')} {canaries.new_cyrillic('story')} I refused the order.",
        "website": "",
    }
    files = [
        ("proof_files", canaries.new("filename") + ".jpg", _jpeg_with_exif(canaries)),
        ("proof_files", canaries.new("filename") + ".png", _png_with_text(canaries)),
        ("papers_files", canaries.new("filename") + ".pdf", _pdf_with_metadata(canaries)),
        ("video_file", canaries.new("filename") + ".mp4", _video(canaries)),
    ]
    status, page = client.post_multipart("/apply/", fields, files)
    assert status == 200, page[:2000]
    return receipt_from_page(page)


def _follow_up(client: Client, canaries: Canaries, code: str, passphrase: str) -> None:
    token = client.csrf("/status/")
    body = urlencode(
        {"csrfmiddlewaretoken": token, "code": code, "passphrase": passphrase}
    ).encode()
    status, location = client.request("POST", "/status/", body, "application/x-www-form-urlencoded")
    assert status == 302, location[:500]
    assert location.endswith("/status/case/")
    token = client.csrf("/status/case/")
    status, location = client.post_multipart(
        "/status/case/",
        {"csrfmiddlewaretoken": token, "body": canaries.new("followup")},
        [("files", canaries.new("followupname") + ".jpg", _jpeg_with_exif(canaries))],
    )
    assert status == 302, location[:2000]


def _files_under(root: Path, since: float) -> list[Path]:
    found = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            try:
                if path.is_file() and path.stat().st_mtime >= since - 1:
                    found.append(path)
            except OSError:
                continue
    return found


def _postgres_dump(url: str) -> bytes:
    import psycopg

    chunks = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:  # noqa: S608 - names from the catalog
                for block in copy:
                    chunks.append(bytes(block))
    return b"".join(chunks)


# Run in the server's data directory by `solidarity shell -c`: the organisation, its first
# coordinator and a signed statement of its channels; then, after the scan, the signing key
# opened through the coordinator's copy (printed to the test only) to search for it.
_SIGNER_PASSPHRASE = "wolves cross frozen rivers at dawn, 7"  # noqa: S105 - test account only
_SIGN_CHANNELS = f"""
from solidarity.accounts.services import initialise_organisation
from solidarity.channels.services import Channels, sign_channels
from solidarity.vault.keyring import unlock_staff_key
user = initialise_organisation('Seizure test', 'signer', {_SIGNER_PASSPHRASE!r}).user
key = unlock_staff_key(user, {_SIGNER_PASSPHRASE!r})
sign_channels(Channels(web=('https://fund.example.org/',), bots=('@FundHelpBot',)), by=user, staff_private_key=key)
"""
_OPEN_SIGNING_KEY = f"""
from solidarity.accounts.models import User
from solidarity.vault.keyring import unlock_staff_key
from solidarity.vault.signing_keys import open_signing_key
user = User.objects.get(username='signer')
print(open_signing_key(user, unlock_staff_key(user, {_SIGNER_PASSPHRASE!r}))[1].hex())
"""


def _client_address_usable() -> bool:
    try:
        with socket.socket() as sock:
            sock.bind((CLIENT_ADDRESS, 0))
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_a_seized_data_directory_reveals_no_applicant(live_server_process):
    server = live_server_process
    assert _client_address_usable(), "the loopback range must accept a bind to " + CLIENT_ADDRESS
    # Given an organisation whose coordinator signed its official channels (issue 8)
    server.manage("shell", "-c", _SIGN_CHANNELS)
    started = time.time()
    canaries = Canaries()
    user_agent = f"Mozilla/5.0 (CanaryPhone {canaries.new('useragent')})"
    client = Client(server.url, user_agent)

    # When three applicants apply with everything filled in, and one adds a follow-up
    receipts = [_submit(client, canaries) for _ in range(3)]
    _follow_up(client, canaries, *receipts[0])
    # Let SQLite checkpoint nothing on purpose: the WAL file is scanned as it is.

    # Then no canary, passphrase, client address or user agent is anywhere on disk
    secrets_to_find = [*canaries.values, user_agent, CLIENT_ADDRESS, *(p for _c, p in receipts)]
    places: dict[str, bytes] = {}
    for path in _files_under(server.data_dir, 0):
        # SQLite may remove its -wal/-shm files between listing and reading: nothing to scan.
        try:
            places[str(path)] = path.read_bytes()
        except FileNotFoundError:
            continue
    places[str(server.log_path)] = server.log_path.read_bytes()
    for path in _files_under(Path(tempfile.gettempdir()), started):
        # Other processes' temporary files come and go while we look: skip what vanished.
        try:
            if server.data_dir in path.parents or path.stat().st_size > 50 * 1024 * 1024:
                continue
            places[str(path)] = path.read_bytes()
        except OSError:
            continue
    if is_postgres_url(server.env.get("DATABASE_URL")):
        places["postgresql tables"] = _postgres_dump(server.env["DATABASE_URL"])

    database_files = [p for p in places if "solidarity.sqlite3" in p or p == "postgresql tables"]
    assert database_files, f"the scan found no database: {sorted(places)}"
    # A positive control: case codes are stored in clear by design, so a scan that can read
    # the database must find them. Without this the test could pass by reading nothing.
    database_bytes = b"".join(places[p] for p in database_files)
    assert all(code.encode() in database_bytes for code, _p in receipts)
    assert any("/uploads/" in p for p in places), "the scan found no uploads"
    leaks = [
        (where, secret)
        for where, content in places.items()
        for secret in secrets_to_find
        if any(form in content for form in _encodings(secret))
    ]
    assert leaks == [], f"found in clear: {leaks[:10]}"
    # ... nor the organisation's signing private key, in any of its usual encodings
    seed = bytes.fromhex(server.manage("shell", "-c", _OPEN_SIGNING_KEY).stdout.split()[-1])
    assert len(seed) == 32
    forms = [seed, seed.hex().encode(), seed.hex().upper().encode(), base64.b64encode(seed)]
    key_leaks = [where for where, content in places.items() if any(f in content for f in forms)]
    assert key_leaks == [], f"the signing key is in clear in: {key_leaks}"

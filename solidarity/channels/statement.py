"""The statement of official channels: its canonical form and its strict parser.

A statement is a JSON object; what is signed is its canonical form: keys sorted, no spaces,
UTF-8, integers and strings only (no floats, no NaN). The signed file is an envelope
``{"format": ..., "signature": ..., "statement": {...}}`` in the same canonical form.
Parsing is strict, because a lenient verifier is how a forgery gets accepted: unknown or
missing fields, wrong types, duplicate keys, a web address that is not plain https on an
ASCII host, an onion address whose checksum fails, a bot username Telegram would not allow,
all refuse the file with a clear error.

Like ``vault.signing``, this module needs no database and no Django settings, so
`solidarity channels verify` can run it offline.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from solidarity.vault import signing


def gettext_noop(message: str) -> str:
    """Marks a msgid for makemessages (which knows this name) without importing Django's
    translation machinery, which needs settings that the offline verifier does not have."""
    return message


FORMAT = "solidarity-channels"
VERSION = 1
STATEMENT_FIELDS = frozenset(
    {
        "version",
        "organisation",
        "web",
        "onion",
        "bots",
        "other",
        "issued_at",
        "valid_until",
        "key_fingerprint",
        "public_key",
    }
)
ENVELOPE_FIELDS = frozenset({"format", "signature", "statement"})
# A statement lists a handful of addresses; anything near this is not one of ours, and the
# cap keeps a hostile file from costing the verifier memory or time.
MAX_FILE_BYTES = 64 * 1024
MAX_ITEMS = 20  # per list
MAX_TEXT = 200  # characters in a name, an address or an "other" line

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ONION = re.compile(r"^[a-z2-7]{56}\.onion$")
# Telegram: 5-32 characters, letters, digits and underscores, starting with a letter; a
# bot's username must end in "bot".
_BOT = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
_ISSUED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Control characters, line separators, zero-width and bidirectional controls (which can make
# one address look like another), and lone surrogates (not encodable as UTF-8).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


class StatementError(ValueError):
    """The file or a value in it is not a well-formed statement. ``message`` is an English
    msgid (translated by callers that can), ``params`` fills it in."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class Statement:
    organisation: str
    issued_at: str  # UTC, "2026-12-07T07:20:00Z"
    valid_until: str  # a day, "2027-03-07": the statement is stale after it
    public_key: bytes
    web: tuple[str, ...] = ()
    onion: tuple[str, ...] = ()
    bots: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    version: int = VERSION
    key_fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key_fingerprint:
            object.__setattr__(self, "key_fingerprint", signing.fingerprint(self.public_key))

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "organisation": self.organisation,
            "web": list(self.web),
            "onion": list(self.onion),
            "bots": list(self.bots),
            "other": list(self.other),
            "issued_at": self.issued_at,
            "valid_until": self.valid_until,
            "key_fingerprint": self.key_fingerprint,
            "public_key": self.public_key.hex(),
        }

    def canonical(self) -> bytes:
        """The exact bytes that are signed."""
        return canonical_json(self.as_dict())

    def expired(self, today: datetime.date) -> bool:
        return datetime.date.fromisoformat(self.valid_until) < today


@dataclass(frozen=True)
class SignedStatementFile:
    statement: Statement
    signature: bytes

    def as_bytes(self) -> bytes:
        """The file as published: canonical JSON, then a newline."""
        envelope = {
            "format": FORMAT,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "statement": self.statement.as_dict(),
        }
        return canonical_json(envelope) + b"\n"


def canonical_json(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


# --- checking single values (also used when signing) -------------------------------------


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise StatementError(gettext_noop("%(what)s must be text."), what=what)
    if not value.strip() or len(value) > MAX_TEXT or _CONTROL.search(value):
        raise StatementError(
            gettext_noop(
                "%(what)s must be 1 to 200 characters, without line breaks or invisible characters."
            ),
            what=what,
        )
    return value


def check_web_address(value: object) -> str:
    """An https address on a plain-ASCII host name, with no user name, query or fragment."""
    text = _text(value, "web")
    parts = urlsplit(text)
    host = parts.hostname or ""
    # Non-ASCII hosts are refused outright: a Cyrillic "а" in a look-alike domain is exactly
    # the trick a fake site uses. International names go in as punycode (xn--...).
    valid = (
        parts.scheme == "https"
        and text.isascii()
        and not any(ch.isspace() for ch in text)
        and "@" not in parts.netloc
        and not parts.query
        and not parts.fragment
        and "." in host
        and not host.endswith(".onion")
        and all(_HOST_LABEL.match(label) for label in host.split("."))
        and text.startswith("https://" + host)
    )
    if valid:
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            valid = False
    if not valid:
        raise StatementError(
            gettext_noop(
                "%(value)s is not a web address we accept: use https://, a plain ASCII host "
                "name (punycode for others), no user name, query or fragment."
            ),
            value=text[:80],
        )
    return text


def check_onion_address(value: object) -> str:
    """A v3 onion host name ("<56 letters>.onion") whose built-in checksum holds."""
    text = _text(value, "onion")
    host = text.lower()
    for prefix in ("http://", "https://"):
        host = host.removeprefix(prefix)
    host = host.rstrip("/")
    if not _ONION.match(host) or not _onion_checksum_holds(host[:56]):
        raise StatementError(
            gettext_noop(
                "%(value)s is not a valid v3 onion address (56 characters before .onion, with "
                "a correct checksum)."
            ),
            value=text[:80],
        )
    return host


def _onion_checksum_holds(label: str) -> bool:
    # rend-spec-v3: base32(pubkey[32] | checksum[2] | version[1]), with
    # checksum = SHA3-256(".onion checksum" | pubkey | version)[:2] and version 3.
    raw = base64.b32decode(label.upper())
    public_key, checksum, version = raw[:32], raw[32:34], raw[34:]
    expected = hashlib.sha3_256(b".onion checksum" + public_key + version).digest()[:2]
    return version == b"\x03" and checksum == expected


def check_bot_username(value: object) -> str:
    """A Telegram bot username: "@", 5-32 letters, digits or underscores, ending in "bot"."""
    text = _text(value, "bots")
    if not _BOT.match(text) or not text.lower().endswith("bot"):
        raise StatementError(
            gettext_noop(
                "%(value)s is not a Telegram bot username: it starts with @, has 5 to 32 "
                "letters, digits or underscores and ends in 'bot'."
            ),
            value=text[:80],
        )
    return text


def check_other(value: object) -> str:
    return _text(value, "other")


def check_organisation(value: object) -> str:
    return _text(value, "organisation")


def _check_list(value: object, what: str, check) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise StatementError(gettext_noop("%(what)s must be a list."), what=what)
    if len(value) > MAX_ITEMS:
        raise StatementError(gettext_noop("%(what)s lists more than 20 entries."), what=what)
    items = tuple(check(item) for item in value)
    if len(set(items)) != len(items):
        raise StatementError(gettext_noop("%(what)s lists an entry twice."), what=what)
    return items


def check_issued_at(value: object) -> str:
    if isinstance(value, str) and _ISSUED.match(value):
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return value
        except ValueError:
            pass
    raise StatementError(gettext_noop("issued_at must be a UTC time like 2026-12-07T07:20:00Z."))


def check_day(value: object, what: str = "valid_until") -> str:
    if isinstance(value, str) and _DATE.match(value):
        try:
            datetime.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise StatementError(gettext_noop("%(what)s must be a day like 2027-03-07."), what=what)


def build_statement(
    *,
    organisation: str,
    public_key: bytes,
    issued_at: str,
    valid_until: str,
    web=(),
    onion=(),
    bots=(),
    other=(),
) -> Statement:
    """A checked statement from values given by a coordinator. Raises StatementError."""
    return _from_dict(
        {
            "version": VERSION,
            "organisation": organisation,
            "web": list(web),
            "onion": list(onion),
            "bots": list(bots),
            "other": list(other),
            "issued_at": issued_at,
            "valid_until": valid_until,
            "key_fingerprint": signing.fingerprint(public_key),
            "public_key": public_key.hex(),
        }
    )


def _from_dict(data: object) -> Statement:
    if not isinstance(data, dict):
        raise StatementError(gettext_noop("The statement must be a JSON object."))
    unknown = sorted(set(data) - STATEMENT_FIELDS)
    if unknown:
        raise StatementError(
            gettext_noop("Unknown field in the statement: %(name)s."), name=unknown[0][:40]
        )
    missing = sorted(STATEMENT_FIELDS - set(data))
    if missing:
        raise StatementError(
            gettext_noop("Missing field in the statement: %(name)s."), name=missing[0]
        )
    if type(data["version"]) is not int or data["version"] != VERSION:
        raise StatementError(gettext_noop("This statement format version is not supported."))
    key_hex = data["public_key"]
    if not isinstance(key_hex, str) or not re.fullmatch(r"[0-9a-f]{64}", key_hex):
        raise StatementError(gettext_noop("public_key must be 64 lower-case hex digits."))
    public_key = bytes.fromhex(key_hex)
    if data["key_fingerprint"] != signing.fingerprint(public_key):
        raise StatementError(
            gettext_noop("key_fingerprint does not belong to the public key in the statement.")
        )
    issued_at = check_issued_at(data["issued_at"])
    valid_until = check_day(data["valid_until"])
    if valid_until < issued_at[:10]:
        raise StatementError(gettext_noop("valid_until is before the day of issue."))
    statement = Statement(
        organisation=check_organisation(data["organisation"]),
        issued_at=issued_at,
        valid_until=valid_until,
        public_key=public_key,
        web=_check_list(data["web"], "web", check_web_address),
        onion=_check_list(data["onion"], "onion", check_onion_address),
        bots=_check_list(data["bots"], "bots", check_bot_username),
        other=_check_list(data["other"], "other", check_other),
        key_fingerprint=data["key_fingerprint"],
    )
    if not (statement.web or statement.onion or statement.bots):
        raise StatementError(
            gettext_noop("The statement names no web address, onion address or bot.")
        )
    return statement


# --- reading a signed file -----------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    result: dict = {}
    for key, value in pairs:
        if key in result:
            # Two values for one key: different readers would believe different ones.
            raise StatementError(gettext_noop("The file has the field %(name)s twice."), name=key)
        result[key] = value
    return result


def _refuse_number(text: str) -> object:
    raise StatementError(gettext_noop("The file holds a number that is not a whole number."))


def parse_signed_file(data: bytes) -> SignedStatementFile:
    """Read a signed statement file strictly. Raises StatementError; checks no signature."""
    if not isinstance(data, bytes) or len(data) > MAX_FILE_BYTES:
        raise StatementError(gettext_noop("The file is too large to be a statement."))
    try:
        text = data.decode("utf-8")
        envelope = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_refuse_number,
            parse_constant=_refuse_number,
        )
    except UnicodeDecodeError:
        raise StatementError(gettext_noop("The file is not UTF-8 text.")) from None
    except RecursionError:
        raise StatementError(gettext_noop("The file is not valid JSON.")) from None
    except json.JSONDecodeError:
        raise StatementError(gettext_noop("The file is not valid JSON.")) from None
    if not isinstance(envelope, dict) or set(envelope) != ENVELOPE_FIELDS:
        raise StatementError(
            gettext_noop("The file must hold exactly: format, signature, statement.")
        )
    if envelope["format"] != FORMAT:
        raise StatementError(gettext_noop("This is not a statement of official channels."))
    signature_text = envelope["signature"]
    signature = b""
    if isinstance(signature_text, str) and re.fullmatch(r"[A-Za-z0-9+/]{86}==", signature_text):
        signature = base64.b64decode(signature_text, validate=True)
        # One spelling per signature: base64 ignores the spare bits of the last digit, and
        # two files that differ yet "verify" the same would confuse anyone comparing them.
        if base64.b64encode(signature).decode("ascii") != signature_text:
            signature = b""
    if len(signature) != signing.SIGNATURE_SIZE:
        raise StatementError(gettext_noop("The signature is missing or has the wrong length."))
    return SignedStatementFile(_from_dict(envelope["statement"]), signature)

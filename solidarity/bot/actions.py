"""What passes between python-telegram-bot and the conversation: events in, actions out.

Plain values, so the conversation (conversation.py) knows nothing of Telegram's objects
and the glue (handlers.py) nothing of applications.
"""

from __future__ import annotations

from dataclasses import dataclass

from solidarity.bot.steps import Keyboard

# --- what arrives -------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    message_id: int


@dataclass(frozen=True)
class Command:
    name: str
    args: str
    message_id: int


@dataclass(frozen=True)
class Press:
    """A button of ours was pressed under message ``message_id``."""

    data: str
    message_id: int


@dataclass(frozen=True)
class FileOffer:
    """A photo, document or video arrived; it is not downloaded until we say Fetch."""

    kind: str  # "photo", "document" or "video", as Telegram classed it
    name: str
    size: int | None  # as Telegram declares it
    message_id: int


@dataclass(frozen=True)
class Upload:
    """The bytes of a file we asked to Fetch."""

    name: str
    data: bytes
    caption: str
    message_id: int


@dataclass(frozen=True)
class FileTooLarge:
    name: str
    limit: int
    message_id: int


@dataclass(frozen=True)
class Unsupported:
    """A sticker, voice message, location, contact...: nothing we take."""

    message_id: int


Event = Text | Command | Press | FileOffer | Upload | FileTooLarge | Unsupported


# --- what the bot does --------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    text: str
    keyboard: Keyboard = ()
    html: bool = False
    # Tracked messages are deleted with the conversation (after the receipt, on /cancel).
    track: bool = True
    # The receipt: retried harder, because the application is already committed and the
    # passphrase exists nowhere else.
    must_arrive: bool = False


@dataclass(frozen=True)
class Delete:
    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class Fetch:
    """Download the offered file, refusing it if it turns out larger than ``limit`` bytes."""

    limit: int


@dataclass(frozen=True)
class KeepButtons:
    """Give the pressed message these buttons (otherwise its buttons are removed)."""

    keyboard: Keyboard


Action = Say | Delete | Fetch | KeepButtons

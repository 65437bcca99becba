"""Conversations with applicants: what the bot answers to what a chat sends.

Where an unfinished application lives, and why: **in this process's memory only**. The
answers and files of an application being written are held here, in a dictionary keyed by
chat, until the applicant presses Send; then they go through the same
``intake.services.submit_application`` as the web form, which seals and commits them, and
only after that commit is the receipt sent. Nothing is written to the database, a file, a
task queue or the log before Send. The price: a restart (deploy, crash) loses every
unfinished application, and the bot says so at the start. Sealing drafts instead would
need a key the server holds, which protects nothing against a seizure of the running
server, and it would leave drafts of abandoned applications in the database.

The bounds below keep a flood from turning memory into a weapon against the service.
All of this runs synchronously (ORM, libsodium); ``handlers`` calls it one update at a time
from python-telegram-bot's event loop through ``sync_to_async``.
"""

from __future__ import annotations

import html
import logging
import math
import threading
import time
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from solidarity.bot import steps
from solidarity.bot.actions import (
    Action,
    Command,
    Delete,
    Event,
    Fetch,
    FileOffer,
    FileTooLarge,
    KeepButtons,
    Press,
    Say,
    Text,
    Upload,
)
from solidarity.bot.steps import Answers, FilesStep, HeldFile, Keyboard, StoryStep
from solidarity.bot.transport import DOWNLOAD_LIMIT_BYTES
from solidarity.cases.models import Case
from solidarity.channels import services as channels
from solidarity.intake import receipts, services
from solidarity.intake.forms import DOCUMENTS, ReceiptForm, clean_uploads
from solidarity.intake.sanitize import is_video, sniff
from solidarity.vault.keyring import VaultNotInitialisedError

log = logging.getLogger(__name__)

# An applicant who stops for two hours loses the draft: answers must not sit in memory for
# days, and the start message says so.
IDLE_SECONDS = 2 * 60 * 60
# At most this many chats are remembered at once (a draft holds up to ~25 KB of text).
MAX_CONVERSATIONS = 2000
# How long the welcome reuses the fingerprint it read (seconds); a new key shows within it.
FINGERPRINT_SECONDS = 60
# Files of unfinished applications held in memory, all chats together. Beyond this the bot
# asks for files later instead of running the server out of memory.
MAX_HELD_BYTES = 256 * 1024 * 1024
# Message ids remembered per chat for deleting the conversation afterwards.
MAX_TRACKED = 1000

LANGUAGES = ("be", "ru", "en")
LANGUAGE_NAMES = {"be": "Беларуская", "ru": "Русский", "en": "English"}

MENU, APPLY, RECEIPT, STATUS_CODE, STATUS_PASSPHRASE, FOLLOW_UP, WRITING = (
    "menu",
    "apply",
    "receipt",
    "status-code",
    "status-passphrase",
    "follow-up",
    "writing",
)
SUMMARY = "-summary"


# --- one chat -----------------------------------------------------------------------------


@dataclass
class Conversation:
    language: str
    last_active: float
    mode: str = MENU
    step: str | None = None
    answers: Answers | None = None
    editing: bool = False
    tracked: list[int] = field(default_factory=list)
    status_code: str = ""
    case_id: int | None = None
    # The receipt until the applicant confirms they wrote it down: if sending it failed,
    # the next message they send gets it again (the application is already committed).
    receipt: Say | None = None

    def track(self, message_id: int) -> None:
        if message_id not in self.tracked:
            self.tracked.append(message_id)
            del self.tracked[:-MAX_TRACKED]

    def take_tracked(self) -> tuple[int, ...]:
        ids, self.tracked = tuple(self.tracked), []
        return ids


def language_of(language_code: str | None) -> str:
    """be, ru or en from the Telegram client's language (``en-US`` -> ``en``)."""
    code = (language_code or "").lower().split("-")[0]
    return code if code in LANGUAGES else settings.LANGUAGE_CODE


def _menu_keyboard() -> Keyboard:
    return (
        ((_("Apply for help"), "menu|apply"),),
        ((_("Check my case"), "menu|status"),),
        tuple((name, f"lang|{code}") for code, name in LANGUAGE_NAMES.items()),
    )


def _wipe_keyboard(label: str | None = None) -> Keyboard:
    return (((label or _("Delete these messages"), "wipe"),),)


class Conversations:
    """Every chat's conversation, in memory. One instance per bot process."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._chats: dict[int, Conversation] = {}
        self._lock = threading.Lock()
        self._fingerprint = ""
        self._fingerprint_at: float | None = None

    # Called from the event loop thread and from the sync thread: only dictionary work
    # under the lock, never a database call or a download.
    def _get(self, chat_id: int, language_code: str | None) -> Conversation | None:
        now = self._clock()
        with self._lock:
            for key in [k for k, c in self._chats.items() if now - c.last_active > IDLE_SECONDS]:
                del self._chats[key]
            conversation = self._chats.get(chat_id)
            if conversation is None:
                if len(self._chats) >= MAX_CONVERSATIONS:
                    return None
                conversation = Conversation(language=language_of(language_code), last_active=now)
                self._chats[chat_id] = conversation
            conversation.last_active = now
            return conversation

    def track(self, chat_id: int, message_id: int) -> None:
        """Remember a message the bot sent, to delete it with the conversation."""
        with self._lock:
            conversation = self._chats.get(chat_id)
            if conversation is not None:
                conversation.track(message_id)

    def held_bytes(self) -> int:
        with self._lock:
            return sum(c.answers.held_bytes() for c in self._chats.values() if c.answers)

    def __len__(self) -> int:
        return len(self._chats)

    def fingerprint(self) -> str:
        """The signing key's fingerprint for the welcome, read at most once a minute: a flood
        of /start must not turn into a flood of database queries. (Sync thread only.)"""
        now = self._clock()
        if self._fingerprint_at is None or now - self._fingerprint_at > FINGERPRINT_SECONDS:
            self._fingerprint = channels.current_fingerprint()
            self._fingerprint_at = now
        return self._fingerprint

    def handle(self, chat_id: int, language_code: str | None, event: Event) -> list[Action]:
        """What to do about one event from one private chat."""
        conversation = self._get(chat_id, language_code)
        if conversation is None:
            with translation.override(language_of(language_code)):
                return [Say(_("The bot is very busy. Please try again in an hour."), track=False)]
        if not isinstance(event, Press):
            conversation.track(event.message_id)
        with translation.override(conversation.language):
            return _Turn(self, chat_id, conversation).run(event)


class _Turn:
    """The handling of one event in one conversation."""

    def __init__(self, store: Conversations, chat_id: int, conversation: Conversation) -> None:
        self.store = store
        self.chat_id = chat_id
        self.c = conversation

    @property
    def client(self) -> str:
        # The flood-control key of intake: only ever hashed in memory (intake/throttle.py).
        return f"telegram:{self.chat_id}"

    def run(self, event: Event) -> list[Action]:
        if self.c.mode == RECEIPT and not isinstance(event, Press):
            return self.remind_receipt()
        if isinstance(event, Command):
            return self.command(event)
        if isinstance(event, Press):
            return self.press(event)
        if isinstance(event, Text):
            return self.text(event)
        if isinstance(event, FileOffer):
            return self.offer(event)
        if isinstance(event, Upload):
            return self.upload(event)
        if isinstance(event, FileTooLarge):
            return [Say(_too_large(event.name, event.limit)), *self.ask_again()]
        return [
            Say(_("I can only take text, photos, PDF files and videos.")),
            *self.ask_again(),
        ]

    # --- commands and the menu ------------------------------------------------------------

    def command(self, event: Command) -> list[Action]:
        name = event.name
        if name in {"start", "help"}:
            if self.c.mode == APPLY:
                return [Say(_("You have an application in progress.")), *self.ask_again()]
            return [self.welcome()]
        if name == "apply":
            return self.start_application()
        if name == "cancel":
            return self.cancel()
        if name == "language":
            return [Say(_("Choose a language."), keyboard=(_menu_keyboard()[-1],))]
        if name == "status":
            return self.start_status(event)
        if name == "channels":
            return [self.official_channels()]
        return [Say(_("I do not know this command.")), self.welcome()]

    def welcome(self) -> Say:
        self.c.mode = MENU
        return Say(
            _(
                "This bot takes applications to a solidarity fund that helps people who lost "
                "their income for their civic stance: who left the security forces, were fired "
                "or went on strike, or face other repression.\n\n"
                "• Nothing you write here is stored until you confirm the application at the "
                "end. Until then your answers are only in the bot's memory: if the bot restarts, "
                "or you stop for more than two hours, an unfinished application is lost and you "
                "start again.\n"
                "• When you confirm, your answers are sealed so that only the fund's "
                "coordinators can read them, and you get a case code and a passphrase.\n"
                "• Then the bot deletes this conversation from the chat. Until then, anyone "
                "who holds your phone can read it.\n\n"
                "/apply: start an application\n"
                "/status: check your case with your code and passphrase\n"
                "/cancel: discard what you have written\n"
                "/language: change the language"
            )
            + _fingerprint_line(self.store.fingerprint()),
            keyboard=_menu_keyboard(),
        )

    def official_channels(self) -> Say:
        """The signed list of the fund's addresses, so a fake bot can be told apart."""
        current = channels.published()
        if current is None:
            return Say(_("The fund has not published a signed list of its addresses yet."))
        found = current.statement
        lines = [_("The fund's official addresses:"), ""]
        lines += [_("Web: %(address)s") % {"address": a} for a in found.web]
        lines += [_("Tor: %(address)s") % {"address": a} for a in found.onion]
        lines += [_("Telegram: %(name)s") % {"name": n} for n in found.bots]
        lines += list(found.other)
        lines += [
            "",
            _("Key fingerprint: %(fingerprint)s") % {"fingerprint": current.fingerprint},
            _(
                "Any other bot or site that uses the fund's name is not us: do not write to it. "
                "Compare the fingerprint with the one the fund published elsewhere; the signed "
                "list and how to check it are on the fund's website at /channels/."
            ),
        ]
        if current.expired:
            lines.append(_("This list has expired: the fund may have changed its addresses."))
        return Say("\n".join(lines))

    def start_application(self) -> list[Action]:
        if self.c.mode == APPLY:
            return self.ask_again()
        self.c.mode, self.c.answers, self.c.editing = APPLY, Answers(), False
        self.c.case_id = None
        first = steps.next_step(None, self.c.answers)
        self.c.step = first.name
        intro = Say(
            _(
                "Answer the questions one by one. You can press Skip where an answer is "
                "optional, check everything at the end, and /cancel at any time. Do not name "
                "other people who could be hurt."
            )
        )
        return [intro, self.ask(first)]

    def cancel(self) -> list[Action]:
        self.c.mode, self.c.answers, self.c.step, self.c.editing = MENU, None, None, False
        self.c.status_code, self.c.case_id = "", None
        return [
            Delete(self.c.take_tracked()),
            Say(
                _("Discarded. Nothing you wrote was stored."),
                keyboard=_wipe_keyboard(_("Delete this message")),
            ),
        ]

    def press(self, event: Press) -> list[Action]:
        head, _sep, value = event.data.partition("|")
        if head == "lang" and value in LANGUAGES:
            self.c.language = value
            translation.activate(value)  # the rest of this turn speaks the new language
            if self.c.mode == MENU:
                return [self.welcome()]
            return self.ask_again()
        if head == "menu" and value == "apply":
            return self.start_application()
        if head == "menu" and value == "status":
            return self.start_status(None)
        if head == "wipe":
            return self.wipe()
        if head == "saved" and self.c.mode == RECEIPT:
            return self.after_receipt()
        if head == "write" and self.c.mode in {FOLLOW_UP, WRITING} and self.c.case_id:
            self.c.mode = WRITING
            return [
                Say(
                    _(
                        "Write your message to the fund, or send a photo, PDF or video. Each "
                        "message is sealed and sent as soon as you send it."
                    ),
                    keyboard=_wipe_keyboard(_("Done: delete these messages")),
                )
            ]
        if self.c.mode == APPLY:
            return self.press_in_application(head, value)
        return []  # a stale button from an earlier conversation: nothing to do

    def wipe(self) -> list[Action]:
        if self.c.mode == APPLY:
            return []  # a stale button: the application in hand keeps its messages
        self.c.mode, self.c.case_id, self.c.status_code = MENU, None, ""
        return [Delete(self.c.take_tracked())]

    # --- the application --------------------------------------------------------------------

    @property
    def answers(self) -> Answers:
        assert self.c.answers is not None
        return self.c.answers

    def ask(self, step: steps.Step, errors: list[str] | None = None) -> Say:
        text, keyboard = step.question(self.answers)
        if errors:
            text = "\n".join(f"⚠️ {e}" for e in errors) + "\n\n" + text
        keyboard = tuple(
            tuple((label, f"{step.name}|{value}") for label, value in row) for row in keyboard
        )
        return Say(text, keyboard=keyboard)

    def ask_again(self, errors: list[str] | None = None) -> list[Action]:
        if self.c.mode == APPLY and self.c.step == SUMMARY:
            return [self.summary(errors)]
        if self.c.mode == APPLY and self.c.step:
            return [self.ask(steps.BY_NAME[self.c.step], errors)]
        if self.c.mode == STATUS_CODE:
            return [Say(_("Send your case code."))]
        if self.c.mode == STATUS_PASSPHRASE:
            return [Say(_("Send your passphrase."))]
        if self.c.mode == RECEIPT:
            return []
        if self.c.mode in {FOLLOW_UP, WRITING}:
            return []
        return [self.welcome()]

    def advance(self, done: steps.Step) -> list[Action]:
        if self.c.editing:
            dependent = steps.BY_NAME.get(done.dependent or "")
            if dependent is not None and dependent.applies(self.answers):
                self.c.step = dependent.name
                return [self.ask(dependent)]
            self.c.step = SUMMARY
            return [self.summary()]
        following = steps.next_step(done.name, self.answers)
        if following is None:
            self.c.step = SUMMARY
            return [self.summary()]
        self.c.step = following.name
        return [self.ask(following)]

    def press_in_application(self, head: str, value: str) -> list[Action]:
        if self.c.step == SUMMARY:
            if head == "send":
                return self.send()
            if head == "edit" and not value:
                return [self.edit_menu()]
            if head == "edit" and value in steps.BY_NAME:
                step = steps.BY_NAME[value]
                if step.applies(self.answers):
                    self.c.step, self.c.editing = value, True
                    # A new story or new files replace the old ones rather than adding to them.
                    if isinstance(step, StoryStep):
                        self.answers.values.pop(step.name, None)
                    if isinstance(step, FilesStep):
                        self.answers.files.pop(step.name, None)
                    return [self.ask(step)]
            if head == "summary":
                return [self.summary()]
            if head == "cancel":
                return self.cancel()
            return []
        step = steps.BY_NAME.get(self.c.step or "")
        if step is None or head != step.name:
            return []  # a button of an earlier question
        if value == steps.SKIP and (step.skippable or isinstance(step, FilesStep)):
            step.skip(self.answers)
            return self.advance(step)
        if value == steps.DONE and isinstance(step, StoryStep):
            errors = step.finish(self.answers)
            return [self.ask(step, errors)] if errors else self.advance(step)
        if value == steps.DONE and isinstance(step, FilesStep | steps.MultiChoiceStep):
            if isinstance(step, steps.MultiChoiceStep):
                self.answers.values.setdefault(step.name, [])
            return self.advance(step)
        errors = step.take_choice(self.answers, value)
        if errors is None:
            return []
        if isinstance(step, steps.MultiChoiceStep):
            keyboard = tuple(
                tuple((label, f"{step.name}|{v}") for label, v in row)
                for row in step.keyboard(self.answers)
            )
            return [KeepButtons(keyboard)]
        if errors:
            return [self.ask(step, errors)]
        return self.advance(step)

    def text(self, event: Text) -> list[Action]:
        if self.c.mode == STATUS_CODE:
            return [Delete((event.message_id,)), *self.status_code(event.text)]
        if self.c.mode == STATUS_PASSPHRASE:
            # The passphrase leaves the chat at once: the phone may be searched.
            return [Delete((event.message_id,)), *self.open_status(event.text)]
        if self.c.mode == WRITING:
            return self.write_to_fund(event.text, [])
        if self.c.mode != APPLY:
            return [self.welcome()]
        step = steps.BY_NAME.get(self.c.step or "")
        if step is None:
            return self.ask_again([_("Please use the buttons under the question.")])
        errors = step.take_text(self.answers, event.text)
        if errors:
            return [self.ask(step, errors)]
        if isinstance(step, StoryStep):
            return [self.story_received(step)]
        return self.advance(step)

    def story_received(self, step: StoryStep) -> Say:
        keyboard = tuple(
            tuple((label, f"{step.name}|{v}") for label, v in row)
            for row in step.keyboard(self.answers)
        )
        return Say(_("Received. Write more, or press Done."), keyboard=keyboard)

    def summary(self, errors: list[str] | None = None) -> Say:
        lines = [_("Please check your application:"), ""]
        for step in steps.STEPS:
            if isinstance(step, steps.CurrencyStep) or not step.applies(self.answers):
                continue
            lines.append(f"{step.label()}: {step.shown(self.answers)}")
        if errors:
            lines = [*(f"⚠️ {e}" for e in errors), "", *lines]
        keyboard = (
            ((_("Send the application"), "send|"),),
            ((_("Change an answer"), "edit|"),),
            ((_("Cancel and discard"), "cancel|"),),
        )
        return Say("\n".join(lines), keyboard=keyboard)

    def edit_menu(self) -> Say:
        rows = [
            ((_shorten(step.label()), f"edit|{step.name}"),)
            for step in steps.STEPS
            if step.applies(self.answers) and not isinstance(step, steps.CurrencyStep)
        ]
        rows.append(((_("Back to the summary"), "summary|"),))
        return Say(_("Which answer do you want to change?"), keyboard=tuple(rows))

    def send(self) -> list[Action]:
        answers = self.answers
        files = MultiValueDict()
        for name, held in answers.files.items():
            files.setlist(
                name,
                [
                    SimpleUploadedFile(f.name, f.data, content_type="application/octet-stream")
                    for f in held
                ],
            )
        extra = {"telegram_chat_id": self.chat_id} if answers.reply_here else None
        try:
            receipt = services.submit_application(
                answers.form_data(),
                files,
                language=self.c.language,
                client=self.client,
                extra_sealed=extra,
            )
        except services.TooManyRequestsError:
            return [
                self.summary(
                    [
                        _(
                            "Too many applications came from this chat in the last hour. Try again later."
                        )
                    ]
                )
            ]
        except services.InvalidApplicationError as exc:
            return self.fix(exc.form)
        except VaultNotInitialisedError:
            log.warning("bot application refused: the organisation is not initialised")
            return [self.summary([_("The fund is not accepting applications yet.")])]
        # Committed. Drop the draft from memory before anything else can fail.
        self.c.answers, self.c.step, self.c.mode, self.c.editing = None, None, RECEIPT, False
        self.c.receipt = self.receipt(receipt)
        return [self.c.receipt]

    def remind_receipt(self) -> list[Action]:
        reminder = Say(
            _(
                "Your application has been sent. When you have written down the code and the "
                "passphrase, press the button under them."
            )
        )
        return [reminder, self.c.receipt] if self.c.receipt else [reminder]

    def fix(self, form: forms.Form) -> list[Action]:
        """The form refused the whole application: say why and ask the first wrong answer."""
        errors, first = [], None
        for name, messages in form.errors.items():
            label = str(form.fields[name].label) if name in form.fields else ""
            errors.extend(f"{label}: {m}" if label else str(m) for m in messages)
            if first is None and name in steps.BY_NAME:
                first = steps.BY_NAME[name]
        if first is None or not first.applies(self.answers):
            self.c.step = SUMMARY
            return [self.summary(errors)]
        if isinstance(first, FilesStep):
            self.answers.files.pop(first.name, None)
        self.c.step, self.c.editing = first.name, True
        return [self.ask(first, errors)]

    def receipt(self, receipt: services.Receipt) -> Say:
        code_label, passphrase_label = _("Case code"), _("Passphrase")
        lines = [
            html.escape(_("Your application was received and sealed.")),
            "",
            html.escape(
                _(
                    "Write these down on paper and keep them safe. Without them you cannot "
                    "check your case, and nobody can recover them. Do not keep them in a "
                    "photo or a screenshot."
                )
            ),
            "",
            f"{html.escape(code_label)}: <code>{html.escape(receipt.case_code)}</code>",
            f"{html.escape(passphrase_label)}: <code>{html.escape(receipt.passphrase)}</code>",
        ]
        if receipt.video_kept_metadata:
            lines += [
                "",
                html.escape(
                    _(
                        "Your video was kept as it is: it may hold the phone model, the date "
                        "and the place it was filmed."
                    )
                ),
            ]
        lines += [
            "",
            html.escape(
                _(
                    "When you have written them down, press the button: the bot deletes this "
                    "whole conversation, this message too."
                )
            ),
        ]
        keyboard = (((_("I have written them down: delete the conversation"), "saved|"),),)
        return Say("\n".join(lines), keyboard=keyboard, html=True, must_arrive=True)

    def after_receipt(self) -> list[Action]:
        self.c.mode, self.c.receipt = MENU, None
        return [
            Delete(self.c.take_tracked()),
            Say(
                _(
                    "The bot has deleted the messages of this conversation that Telegram lets "
                    "it delete. To leave nothing on your phone:\n\n"
                    "1. Keep the code and the passphrase only on paper (or in a password "
                    "manager), never in a photo, a screenshot or a note in this phone.\n"
                    "2. Delete this chat: open the chat's menu (⋮ or the bot's name), choose "
                    "Delete chat, and also delete it for the bot if Telegram offers it.\n"
                    "3. Delete the photos and files you sent from your gallery and downloads, "
                    "and from “Recently deleted”.\n"
                    "4. Telegram shows your chats on every device where you are logged in: "
                    "check Settings → Devices.\n\n"
                    "To check your case later, write /status to this bot or use the fund's "
                    "website."
                ),
                keyboard=_wipe_keyboard(_("Delete this message")),
            ),
        ]

    # --- files ------------------------------------------------------------------------------

    def offer(self, event: FileOffer) -> list[Action]:
        if self.c.mode == WRITING:
            return self.fetch(event, min(settings.MAX_VIDEO_BYTES, DOWNLOAD_LIMIT_BYTES))
        step = steps.BY_NAME.get(self.c.step or "") if self.c.mode == APPLY else None
        if not isinstance(step, FilesStep):
            return [Say(_("Please do not send files now.")), *self.ask_again()]
        if self.answers.file_count() >= settings.MAX_ATTACHMENTS + 1:
            return self.ask_again(
                [_("Attach at most %(n)s files.") % {"n": settings.MAX_ATTACHMENTS + 1}]
            )
        if step.accept == DOCUMENTS and event.kind == "video":
            return self.ask_again(
                [_("This is a video. You can send it at the question about the video.")]
            )
        if step.accept == DOCUMENTS:
            limit = settings.MAX_ATTACHMENT_BYTES
        else:
            limit = min(settings.MAX_VIDEO_BYTES, DOWNLOAD_LIMIT_BYTES)
        if self.store.held_bytes() + min(event.size or limit, limit) > MAX_HELD_BYTES:
            return self.ask_again(
                [_("The bot is very busy. Please send your files again in an hour.")]
            )
        return self.fetch(event, limit)

    def fetch(self, event: FileOffer, limit: int) -> list[Action]:
        # Telegram tells the size before we download: a file over the limit is refused
        # without being fetched at all.
        if event.size is not None and event.size > limit:
            return [Say(_too_large(event.name, limit)), *self.ask_again()]
        return [Fetch(limit)]

    def upload(self, event: Upload) -> list[Action]:
        upload = SimpleUploadedFile(event.name, event.data, content_type="application/octet-stream")
        if self.c.mode == WRITING:
            return self.write_to_fund(event.caption, [upload])
        step = steps.BY_NAME.get(self.c.step or "") if self.c.mode == APPLY else None
        if not isinstance(step, FilesStep):
            return self.ask_again()
        if step.accept == DOCUMENTS and is_video(sniff(event.data[:16]) or ""):
            return self.ask_again(
                [_("This is a video. You can send it at the question about the video.")]
            )
        try:
            # The web form's own check: type by content, size, metadata stripped.
            (cleaned,) = clean_uploads([upload], step.name, accept=step.accept)
        except forms.ValidationError as exc:
            return self.ask_again(list(exc.messages))
        # Only the cleaned bytes are held (no EXIF or GPS position waits in memory).
        self.answers.files.setdefault(step.name, []).append(
            HeldFile(name=cleaned["name"], data=cleaned["file"].data)
        )
        if not step.many:
            step.skip(self.answers)
            return [Say(_("Received.")), *self.advance(step)]
        count = len(self.answers.files[step.name])
        return [
            Say(
                _("Received: %(n)s. Send more, or press Done.") % {"n": count},
                keyboard=(((_("Done"), f"{step.name}|{steps.DONE}"),),),
            )
        ]

    # --- following a case -------------------------------------------------------------------

    def start_status(self, event: Command | None) -> list[Action]:
        if self.c.mode == APPLY:
            return [
                Say(_("You have an application in progress. Send it or /cancel it first.")),
                *self.ask_again(),
            ]
        self.c.mode, self.c.case_id, self.c.status_code = STATUS_CODE, None, ""
        words = event.args.split() if event else []
        if not words:
            return [Say(_("Send your case code."))]
        code, passphrase = _split_receipt(words)
        out: list[Action] = [Delete((event.message_id,))]
        out += self.status_code(code)
        if passphrase and self.c.mode == STATUS_PASSPHRASE:
            out = [Delete((event.message_id,)), *self.open_status(passphrase)]
        return out

    def status_code(self, text: str) -> list[Action]:
        code = receipts.normalise_code(text)
        if len(code.replace("-", "")) != receipts.CODE_GROUPS * receipts.CODE_GROUP_SIZE:
            return [
                Say(_("A case code has 12 letters and digits, like ABCD-EFGH-JKMN. Send it again."))
            ]
        self.c.status_code, self.c.mode = code, STATUS_PASSPHRASE
        return [Say(_("Send your passphrase. The bot deletes your message at once."))]

    def open_status(self, passphrase: str) -> list[Action]:
        code, self.c.status_code = self.c.status_code, ""
        self.c.mode = MENU
        try:
            case, key = services.open_receipt(code, passphrase, client=self.client)
        except services.TooManyRequestsError:
            return [Say(_("Too many attempts. Please try again in an hour."))]
        except services.ReceiptRejectedError:
            return [Say(str(ReceiptForm.rejected_message) + "\n\n/status")]
        view = services.read_case_for_applicant(case, key)
        del key  # the case key is not kept: each /status asks for the passphrase again
        self.c.mode, self.c.case_id = FOLLOW_UP, case.pk
        return [
            Say(
                _status_text(view),
                keyboard=(
                    ((_("Write to the fund"), "write|"),),
                    _wipe_keyboard()[0],
                ),
            )
        ]

    def write_to_fund(self, body: str, uploads: list) -> list[Action]:
        case = Case.objects.filter(pk=self.c.case_id).first()
        if case is None:
            self.c.mode = MENU
            return [self.welcome()]
        try:
            services.add_applicant_message(
                case, {"body": body}, MultiValueDict({"files": uploads} if uploads else {})
            )
        except services.InvalidApplicationError as exc:
            messages = [str(m) for errors in exc.form.errors.values() for m in errors]
            return [Say("\n".join(f"⚠️ {m}" for m in messages))]
        return [
            Say(
                _("Your message was sealed and sent to the fund."),
                keyboard=_wipe_keyboard(_("Done: delete these messages")),
            )
        ]


def _fingerprint_line(fingerprint: str) -> str:
    if not fingerprint:
        return ""
    return "\n\n" + _(
        "The fund's key fingerprint: %(fingerprint)s. /channels: our official addresses, "
        "to tell us apart from fakes."
    ) % {"fingerprint": fingerprint}


def _split_receipt(words: list[str]) -> tuple[str, str]:
    """A code (however it was spaced) followed by the passphrase words."""
    want = receipts.CODE_GROUPS * receipts.CODE_GROUP_SIZE
    code_words: list[str] = []
    count = 0
    while words and count < want:
        word = words.pop(0)
        code_words.append(word)
        count += sum(ch.isalnum() for ch in word)
    return " ".join(code_words), " ".join(words)


def _status_text(view: services.ApplicantView) -> str:
    label = _("Status of your case")
    lines = [f"{label}: {view.case.get_status_display()}"]
    if view.explanation:  # what the status means for them, as the web status page says it
        lines.append(str(view.explanation))
    if not view.messages:
        lines += ["", _("No messages yet.")]
    for message in view.messages:
        who = _("You") if message["from_applicant"] else _("The fund")
        lines += ["", f"— {who}, {message['sent_on'].isoformat()}:", message.get("body", "")]
        if message["files"]:
            lines.append(
                _("Files: %(n)s (open them on the fund's website, on your case page).")
                % {"n": len(message["files"])}
            )
    return "\n".join(lines)


def _too_large(name: str, limit: int) -> str:
    # The web form's message, so it is translated once. Rounded up: Telegram's "20 MB"
    # download limit is 19.07 MiB.
    return _("The file “%(name)s” is too large: the limit is %(mb)s MB.") % {
        "name": name,
        "mb": math.ceil(limit / (1024 * 1024)),
    }


def _shorten(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

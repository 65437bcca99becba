"""A fake Telegram Bot API on loopback, for tests at the wire.

The real bot (python-telegram-bot, built by ``solidarity.bot.handlers``) talks to it over
HTTP through ``TELEGRAM_BOT_API_URL``, exactly as it talks to api.telegram.org. The fake
keeps what Telegram would: the messages of each private chat (the user's and the bot's,
with their buttons and whether they were deleted), files to download, pending updates for
getUpdates, the webhook settings. Tests act as the user with ``send_*`` and ``press`` and
read the chat with ``bot_messages``.

It answers the methods the bot uses and a 404 error to anything else, so a test notices
an unexpected call. Each call is recorded in ``calls`` (method, parameters).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Solidarity test bot",
    "username": "solidarity_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
DOWNLOAD_LIMIT = 20 * 1000 * 1000  # what getFile refuses above, as on api.telegram.org


class ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class ChatMessage:
    message_id: int
    from_bot: bool
    text: str = ""
    reply_markup: dict | None = None
    parse_mode: str | None = None
    deleted: bool = False
    raw: dict = field(default_factory=dict)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class TelegramUser:
    """The person on the other side of a private chat (chat id = user id, as in Telegram)."""

    id: int
    first_name: str
    username: str
    language_code: str = "en"

    def as_user(self) -> dict:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    def as_chat(self) -> dict:
        return {
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass
class StoredFile:
    data: bytes
    declared_size: int | None


class FakeBotApi:
    """Start with ``start()``; ``url`` is what TELEGRAM_BOT_API_URL should be."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._changed = threading.Condition()
        self._update_ids = itertools.count(1)
        self._pending: list[dict] = []
        self._message_ids: dict[int, itertools.count] = {}
        self._closing = False
        self.chats: dict[int, list[ChatMessage]] = {}
        self.files: dict[str, StoredFile] = {}
        self.calls: list[tuple[str, dict]] = []
        self.webhook: dict = {}
        self.blocked: set[int] = set()  # chats whose user blocked the bot
        self._deliver: Callable[[str, str, dict], object] | None = None
        self.confirmed_offset = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        # A short poll interval: shutdown() waits for it (0.5 s by default, at every test).
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    # --- what the user does -----------------------------------------------------------------

    def _new_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def deliver_to(self, post: Callable[[str, str, dict], object] | None) -> None:
        """Webhook mode: hand each new update to ``post(url, secret_token, update)``, with
        the URL and secret of the last setWebhook, instead of keeping it for getUpdates."""
        self._deliver = post

    def _push(self, update: dict) -> int:
        with self._changed:
            update_id = next(self._update_ids)
            full = {"update_id": update_id, **update}
            if self._deliver is None:
                self._pending.append(full)
            self._changed.notify_all()
        if self._deliver is not None:
            self._deliver(self.webhook["url"], self.webhook.get("secret_token", ""), full)
        return update_id

    def _user_message(self, user: TelegramUser, **content) -> int:
        with self._changed:
            message_id = self._new_message_id(user.id)
            raw = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": user.as_chat(),
                "from": user.as_user(),
                **content,
            }
            self.chats.setdefault(user.id, []).append(
                ChatMessage(message_id, from_bot=False, text=content.get("text", ""), raw=raw)
            )
        self._push({"message": raw})
        return message_id

    def send_text(self, user: TelegramUser, text: str) -> int:
        content: dict = {"text": text}
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._user_message(user, **content)

    def add_file(self, data: bytes, declared_size: int | None = None) -> tuple[str, str]:
        """Store a file as Telegram would; returns (file_id, file_unique_id)."""
        file_id = "F" + secrets.token_hex(8)
        size = len(data) if declared_size is None else declared_size
        self.files[file_id] = StoredFile(data=data, declared_size=size)
        return file_id, "U" + file_id[1:9]

    def send_photo(self, user: TelegramUser, data: bytes, declared_size: int | None = None) -> int:
        file_id, unique = self.add_file(data, declared_size)
        size = len(data) if declared_size is None else declared_size
        thumb_id, thumb_unique = self.add_file(data[:100])
        photo = [
            {"file_id": thumb_id, "file_unique_id": thumb_unique, "width": 9, "height": 5,
             "file_size": 100},
            {"file_id": file_id, "file_unique_id": unique, "width": 40, "height": 20,
             "file_size": size},
        ]  # fmt: skip
        return self._user_message(user, photo=photo)

    def send_document(
        self,
        user: TelegramUser,
        data: bytes,
        file_name: str,
        declared_size: int | None = None,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        size_in_message: bool = True,
    ) -> int:
        """``size_in_message=False``: the message omits file_size (it is optional); only
        getFile tells it."""
        file_id, unique = self.add_file(data, declared_size)
        document = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_name": file_name,
            "mime_type": mime_type,
        }
        if size_in_message:
            document["file_size"] = len(data) if declared_size is None else declared_size
        extra = {"caption": caption} if caption else {}
        return self._user_message(user, document=document, **extra)

    def send_video(self, user: TelegramUser, data: bytes, declared_size: int | None = None) -> int:
        file_id, unique = self.add_file(data, declared_size)
        video = {
            "file_id": file_id,
            "file_unique_id": unique,
            "width": 640,
            "height": 360,
            "duration": 12,
            "mime_type": "video/mp4",
            "file_size": len(data) if declared_size is None else declared_size,
        }
        return self._user_message(user, video=video)

    def send_sticker(self, user: TelegramUser) -> int:
        file_id, unique = self.add_file(b"RIFF....WEBPVP8 ")
        sticker = {
            "file_id": file_id,
            "file_unique_id": unique,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._user_message(user, sticker=sticker)

    def press(self, user: TelegramUser, message_id: int, data: str) -> int:
        """Press an inline button under one of the bot's messages."""
        with self._changed:
            message = self._message(user.id, message_id)
            raw = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": user.as_chat(),
                "from": BOT_USER,
                "text": message.text,
            }
        return self._push(
            {
                "callback_query": {
                    "id": secrets.token_hex(8),
                    "from": user.as_user(),
                    "chat_instance": str(user.id * 7),
                    "message": raw,
                    "data": data,
                }
            }
        )

    # --- what tests read ----------------------------------------------------------------------

    def messages(self, chat_id: int) -> list[ChatMessage]:
        with self._changed:
            return list(self.chats.get(chat_id, []))

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return [m for m in self.messages(chat_id) if m.from_bot]

    def calls_of(self, method: str) -> list[dict]:
        with self._changed:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, predicate: Callable[[], object], timeout: float = 15.0, what: str = ""):
        """Wait until ``predicate()`` is truthy (re-checked at every change); return it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what or predicate}")
                self._changed.wait(min(left, 0.2))

    def all_fetched(self) -> bool:
        """Every update so far was handed out and confirmed by a later getUpdates offset."""
        with self._changed:
            return not self._pending or self.confirmed_offset > self._pending[-1]["update_id"]

    # --- the Bot API ----------------------------------------------------------------------------

    def _message(self, chat_id: int, message_id: int) -> ChatMessage:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id:
                return message
        raise ApiError(400, "Bad Request: message not found")

    def call(self, method: str, params: dict) -> object:
        with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def _api_getMe(self, params: dict) -> dict:  # noqa: N802 - Bot API method names
        return BOT_USER

    def _api_deleteWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = {}
        return True

    def _api_setWebhook(self, params: dict) -> bool:  # noqa: N802
        self.webhook = dict(params)
        return True

    def _api_setMyCommands(self, params: dict) -> bool:  # noqa: N802
        return True

    def _api_getUpdates(self, params: dict) -> list[dict]:  # noqa: N802
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        deadline = time.monotonic() + timeout
        with self._changed:
            if offset:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                self._changed.notify_all()
            while not self._pending and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            limit = int(params.get("limit", 100) or 100)
            return list(self._pending[:limit])

    def _sent(self, chat_id: int, text: str, params: dict) -> dict:
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self.chats and chat_id not in self._message_ids:
            raise ApiError(400, "Bad Request: chat not found")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        with self._changed:
            message_id = self._new_message_id(chat_id)
            raw = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": text,
            }
            if markup:
                raw["reply_markup"] = markup
            self.chats.setdefault(chat_id, []).append(
                ChatMessage(
                    message_id,
                    from_bot=True,
                    text=text,
                    reply_markup=markup,
                    parse_mode=params.get("parse_mode"),
                    raw=raw,
                )
            )
            self._changed.notify_all()
        return raw

    def _api_sendMessage(self, params: dict) -> dict:  # noqa: N802
        text = params.get("text", "")
        if not text or len(text) > 4096:
            raise ApiError(400, "Bad Request: message text is empty or too long")
        return self._sent(int(params["chat_id"]), text, params)

    def _api_answerCallbackQuery(self, params: dict) -> bool:  # noqa: N802
        return True

    def _api_editMessageReplyMarkup(self, params: dict) -> dict:  # noqa: N802
        with self._changed:
            message = self._message(int(params["chat_id"]), int(params["message_id"]))
            if message.deleted:
                raise ApiError(400, "Bad Request: message to edit not found")
            markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
            if markup == message.reply_markup or (not markup and not message.reply_markup):
                raise ApiError(400, "Bad Request: message is not modified")
            message.reply_markup = markup
            self._changed.notify_all()
            return {**message.raw, "reply_markup": markup} if markup else message.raw

    def _delete(self, chat_id: int, message_id: int) -> bool:
        for message in self.chats.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                message.deleted = True
                return True
        return False

    def _api_deleteMessage(self, params: dict) -> bool:  # noqa: N802
        with self._changed:
            if not self._delete(int(params["chat_id"]), int(params["message_id"])):
                raise ApiError(400, "Bad Request: message to delete not found")
            self._changed.notify_all()
        return True

    def _api_deleteMessages(self, params: dict) -> bool:  # noqa: N802
        ids = json.loads(params["message_ids"])
        if not 1 <= len(ids) <= 100:
            raise ApiError(400, "Bad Request: too many messages to delete")
        with self._changed:
            for message_id in ids:
                self._delete(int(params["chat_id"]), int(message_id))
            self._changed.notify_all()
        return True

    def _api_getFile(self, params: dict) -> dict:  # noqa: N802
        file_id = params["file_id"]
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if (stored.declared_size or 0) > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": "U" + file_id[1:9],
            "file_size": stored.declared_size,
            "file_path": f"documents/{file_id}.bin",
        }

    def download(self, file_path: str) -> bytes:
        with self._changed:
            self.calls.append(("download", {"file_path": file_path}))
            self._changed.notify_all()
        file_id = file_path.rsplit("/", 1)[-1].removesuffix(".bin")
        stored = self.files.get(file_id)
        if stored is None:
            raise ApiError(404, "Not Found")
        return stored.data


def _handler_for(api: FakeBotApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every call.
        disable_nagle_algorithm = True

        def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's signature
            return  # quiet: request lines would only clutter the test output

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                # The bot cancels its long poll when it shuts down.
                return

        def _json(self, status: int, document: dict) -> None:
            self._reply(status, json.dumps(document).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            prefix = f"/file/bot{api.token}/"
            path = unquote(self.path)  # python-telegram-bot quotes the token's colon here
            if not path.startswith(prefix):
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            try:
                data = api.download(path[len(prefix) :])
            except ApiError as exc:
                self._json(
                    exc.code, {"ok": False, "error_code": exc.code, "description": exc.description}
                )
                return
            self._reply(200, data, "application/octet-stream")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            prefix = f"/bot{api.token}/"
            if not self.path.startswith(prefix):
                self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            method = self.path[len(prefix) :].split("?", 1)[0]
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("application/json"):
                params = json.loads(body or b"{}")
            else:
                params = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
            try:
                result = api.call(method, params)
            except ApiError as exc:
                self._json(
                    exc.code, {"ok": False, "error_code": exc.code, "description": exc.description}
                )
                return
            self._json(200, {"ok": True, "result": result})

    return Handler

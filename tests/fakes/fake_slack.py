#!/usr/bin/python3
"""A fake Slack (Web API + Socket Mode) for testing bots offline.

It is held to Slack's own documentation (api.slack.com: Socket Mode,
apps.connections.open, the Web API's "Basics" and "Rate limits" pages, the
pages of each method used here, Block Kit reference and its limits) and to
Slack's OpenAPI description of the Web API (web-api-openapi-v2.json): every
method call is checked against that file (method exists, required arguments
present, argument types) and against the documented limits it does not
encode. Whatever a client does wrong lands in `fake.violations`; a test
asserts that list is empty.

Two loopback ports, both random:
  Web API      http://127.0.0.1:P/api/<method>     (plus /upload/<file_id> for
               the bytes of an external upload, and /_fake/* control endpoints)
  Socket Mode  ws://127.0.0.1:S/link/?ticket=...&app_id=...

In-process use:

    async with FakeSlack(app_token="xapp-1-A1-1-abc", bot_token="xoxb-1-2-abc") as fake:
        ...start the bot with fake.api_base...
        await fake.wait_hello()
        env = fake.slash("leaderboard week")
        await fake.wait_acked(env)
        assert fake.violations == []

CLI use (clients in other languages):

    /usr/bin/python3 fake_slack.py --ready-file F

writes one JSON line with api_base, tokens and ids to F and serves until
SIGTERM; the control endpoints (/_fake/state, /_fake/slash, ...) drive it.

Where the fake departs from the 2021 OpenAPI file, and why:

- Methods the file lacks, implemented from their doc pages:
  apps.connections.open (app-level token only), files.getUploadURLExternal
  and files.completeUploadExternal (the file predates them). They are
  checked against argument tables written here from the docs.
- HTTP verbs: the file lists GET for views.open, views.publish, users.info
  and auth.test, POST for others. Slack accepts GET and POST for every
  method used here, so the verb is recorded but not enforced.
- Content types: the file's `consumes` is enforced (users.info takes only
  form-urlencoded or query arguments; a JSON body there is a violation and
  its arguments are not read, as Slack does not read them either).
- Unknown arguments: Slack ignores them, and the file lacks many newer ones
  (metadata, unfurl options, ...); they are listed in `fake.unknown_args`,
  not in violations.
- views.open/views.publish/views.update: the file marks `view` as a query
  string; a JSON body carrying `view` as an object is accepted, as the docs
  allow for JSON POSTs.
- Block Kit: the file types `blocks` as a string; the fake parses it and
  applies the Block Kit reference's limits. Bad blocks in a message give
  `invalid_blocks`, bad views give `invalid_arguments` (what Slack answers
  for views), both with response_metadata.messages.
- thread_ts naming no message: the docs list no error for it (Slack posts
  into an invisible thread); the fake answers ok and records a violation.
- Acks: @slack/socket-mode always sends `"payload": {}`. An empty payload
  carries no response, so it is accepted for envelopes whose
  accepts_response_payload is false; a non-empty one is a violation.
- Retries of an events_api envelope keep its envelope_id (an ack of any
  delivery acks the event); retry_attempt/retry_reason are set as documented.
- Where the docs give no number, the fake picks one, configurable: the
  delay between a refresh_requested/warning disconnect and the close
  (`refresh_close_after`, 5 s), the server's ping interval
  (`server_ping_interval`, 10 s), chat.postMessage's burst per channel
  (`post_burst`, 8 at once, refilling at 1 per second), and the tier
  budgets (Tier 1..4: 1, 20, 50, 100 per minute, with small bursts).
  `rate_scale` shrinks every window for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import secrets
import struct
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import WSMsgType, web

if __name__ == "__main__":
    sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openapi_check import load_spec  # noqa: E402  (import after the path tweak above)
from fakebase import FakeBase, FakeError, add_cli_args, cli_log, serve_until_signal  # noqa: E402


def default_slack_spec_path() -> str:
    """$SLACK_OPENAPI, else <repo>/../shared/api-specs/slack/web-api-openapi-v2.json."""
    env = os.environ.get("SLACK_OPENAPI")
    if env:
        return env
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.normpath(os.path.join(root, "..", "shared", "api-specs", "slack", "web-api-openapi-v2.json"))


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# Methods the 2021 file lacks: argument tables from their doc pages
# (name -> (required, type)), accepted content types.
EXTRA_METHODS: Dict[str, Dict[str, Any]] = {
    "apps.connections.open": {"args": {}, "consumes": ["application/x-www-form-urlencoded"], "tier": 1},
    "files.getUploadURLExternal": {
        "args": {"filename": (True, "string"), "length": (True, "integer"), "alt_txt": (False, "string"),
                 "snippet_type": (False, "string")},
        "consumes": ["application/x-www-form-urlencoded"], "tier": 4},
    "files.completeUploadExternal": {
        "args": {"files": (True, "string"), "channel_id": (False, "string"), "channels": (False, "string"),
                 "initial_comment": (False, "string"), "thread_ts": (False, "string")},
        "consumes": ["application/x-www-form-urlencoded", "application/json"], "tier": 4},
}

# Rate-limit tiers from the methods' doc pages; chat.postMessage is "Special".
METHOD_TIERS = {
    "auth.test": 4, "users.info": 4, "conversations.open": 3, "views.open": 4, "views.publish": 4,
    "views.update": 4, "chat.postEphemeral": 4, "chat.update": 3, "chat.delete": 3,
    "conversations.members": 4, "conversations.info": 3, "conversations.history": 3,
    "conversations.replies": 3,
}
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
TIER_BURST = {1: 5, 2: 5, 3: 10, 4: 20}

# Missing required arguments: the error each method's page documents.
MISSING_ARG_ERROR = {
    ("chat.postMessage", "channel"): "channel_not_found",
    ("chat.postEphemeral", "channel"): "channel_not_found",
    ("chat.postEphemeral", "user"): "user_not_found",
    ("chat.update", "channel"): "channel_not_found",
    ("chat.update", "ts"): "message_not_found",
    ("users.info", "user"): "user_not_found",
    ("conversations.open", "users"): "users_list_not_supplied",
}

# Block Kit limits (Block Kit reference pages).
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100


class FakeSlackError(FakeError):
    pass


@dataclass
class Envelope:
    """One Socket Mode envelope and what became of it."""

    id: str
    type: str  # events_api, slash_commands, interactive
    payload: Dict[str, Any]
    accepts_response_payload: bool
    created_at: float
    acked: bool = False
    acks: int = 0
    ack_payload: Optional[Dict[str, Any]] = None
    acked_at: Optional[float] = None
    deliveries: int = 0
    timed_out: bool = False
    sent_at: List[float] = field(default_factory=list)
    conns: List[int] = field(default_factory=list)
    retry_attempt: int = 0
    retry_reason: str = ""

    def frame(self) -> Dict[str, Any]:
        out = {"envelope_id": self.id, "payload": self.payload, "type": self.type,
               "accepts_response_payload": self.accepts_response_payload}
        if self.type == "events_api":
            out["retry_attempt"] = self.retry_attempt
            out["retry_reason"] = self.retry_reason
        return out


class SocketConn:
    """One Socket Mode websocket (tests read these fields)."""

    _ids = itertools.count(1)

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, ticket: str):
        self.id = next(self._ids)
        self.ws = ws
        self.request = request
        self.ticket = ticket
        self.opened_at = time.monotonic()
        self.hello_at: Optional[float] = None
        self.closed_at: Optional[float] = None
        self.acks: List[Dict[str, Any]] = []  # {"at", "envelope_id", "payload"}
        self.pings: List[float] = []  # client pings received
        self.pongs: List[float] = []  # client pongs to our pings
        self.sent: List[Dict[str, Any]] = []  # {"at", "type", "envelope_id"}
        self.received: List[Any] = []
        self.dropped: List[Dict[str, Any]] = []  # what a silenced connection swallowed
        self.silenced = False
        self.disconnecting: Optional[str] = None  # reason of the disconnect message sent
        self.refused = False  # the connection past the limit
        self._tasks: List[asyncio.Task] = []

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.ws.closed

    @property
    def usable(self) -> bool:
        return self.open and self.hello_at is not None and self.disconnecting is None and not self.refused

    def __repr__(self) -> str:
        return (f"<SocketConn #{self.id} open={self.open} hello={self.hello_at is not None} "
                f"silenced={self.silenced} disconnecting={self.disconnecting}>")


class _Bucket:
    """Token bucket: `burst` at once, refilling at `rate` per second."""

    def __init__(self, burst: float, rate: float):
        self.burst, self.rate = burst, rate
        self.tokens = burst
        self.at = time.monotonic()
        self.blocked_until = 0.0  # when the last 429's Retry-After ends

    def take(self) -> Optional[float]:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate  # seconds until the next token


def ws_frames(opcode: int, data: bytes, size: int) -> bytes:
    """Server-to-client websocket frames (unmasked, RFC 6455 §5.2): the message
    split into a first frame with `opcode` and continuation frames (opcode 0),
    FIN set on the last only. aiohttp writes whole messages only."""
    out = b""
    chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    for i, chunk in enumerate(chunks):
        b0 = (0x80 if i == len(chunks) - 1 else 0) | (opcode if i == 0 else 0)
        n = len(chunk)
        if n < 126:
            hdr = struct.pack("!BB", b0, n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 127, n)
        out += hdr + chunk
    return out


class FakeSlack(FakeBase):
    """The fake Slack. Construct, `await start()` (or `async with`), point a client at it."""

    TEAM_ID = "T0STUDY01"
    APP_ID = "A0STUDYBOT"
    BOT_USER_ID = "U0STUDYBOT"
    BOT_ID = "B0STUDYBOT"
    STUDY_ID = "C0STUDY"
    GENERAL_ID = "C0GENERAL"
    ALICE_ID = "U0ALICE"
    BOB_ID = "U0BOB"
    ADMIN_ID = "U0ADMIN"
    ENTERPRISE_ID = None

    def __init__(
        self,
        app_token: str = "xapp-1-A0STUDYBOT-1-fake",
        bot_token: str = "xoxb-1-2-fake",
        *,
        users: Optional[List[Dict[str, Any]]] = None,
        channels: Optional[List[Dict[str, Any]]] = None,
        ack_timeout: float = 3.0,
        max_retries: int = 3,
        max_connections: int = 10,
        refresh_close_after: float = 5.0,
        link_disabled_close_after: float = 0.2,
        server_ping_interval: float = 10.0,
        trigger_lifetime: float = 3.0,
        post_burst: int = 8,
        post_rate: float = 1.0,
        rate_scale: float = 1.0,
        command: str = "/study",
        team_domain: str = "studygroup",
        openapi_path: Optional[str] = None,
        host: str = "127.0.0.1",
        log: Optional[Callable[[str], None]] = None,
    ):
        self.app_token = app_token
        self.bot_token = bot_token
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self.max_connections = max_connections
        self.refresh_close_after = refresh_close_after
        self.link_disabled_close_after = link_disabled_close_after
        self.server_ping_interval = server_ping_interval
        self.trigger_lifetime = trigger_lifetime
        self.post_burst = post_burst
        self.post_rate = post_rate
        self.rate_scale = rate_scale
        self.command = command
        self.team_domain = team_domain
        FakeBase.__init__(self, host, log)
        self.spec = load_spec(openapi_path or default_slack_spec_path())

        # What tests read.
        self.unknown_args: List[str] = []
        self.rate_limited: List[Dict[str, Any]] = []  # every 429 the pace model caused
        self.premature: List[Dict[str, Any]] = []  # calls made before a Retry-After ended
        self.envelopes: List[Envelope] = []
        self.views: List[Dict[str, Any]] = []
        self.files: List[Dict[str, Any]] = []
        self._calls: List[Dict[str, Any]] = []
        self._messages: List[Dict[str, Any]] = []
        self._ephemerals: List[Dict[str, Any]] = []
        self._homes: Dict[str, List[Dict[str, Any]]] = {}

        # The world.
        default_users = [
            {"id": self.ALICE_ID, "name": "alice", "real_name": "Alice", "is_admin": False, "is_owner": False},
            {"id": self.BOB_ID, "name": "bob", "real_name": "Bob", "is_admin": False, "is_owner": False},
            {"id": self.ADMIN_ID, "name": "admin", "real_name": "Ada Admin", "is_admin": True, "is_owner": False},
        ]
        self.users: Dict[str, Dict[str, Any]] = {}
        for u in users if users is not None else default_users:
            self.add_user(u)
        if users is not None:
            ids = [u["id"] for u in users]
            self.ALICE_ID = ids[0] if ids else self.ALICE_ID
            self.BOB_ID = ids[1] if len(ids) > 1 else self.BOB_ID
            admins = [u["id"] for u in users if u.get("is_admin") or u.get("is_owner")]
            self.ADMIN_ID = admins[0] if admins else None  # type: ignore[assignment]
        self.users[self.BOT_USER_ID] = self._user_obj({"id": self.BOT_USER_ID, "name": "studybot",
                                                       "real_name": "studybot", "is_bot": True})
        # Channels: {"id", "name", "members": [user ids] (default everyone), "bot_member": bool (default True)}.
        self.channels: Dict[str, Dict[str, Any]] = {}
        for ch in channels if channels is not None else [{"id": self.STUDY_ID, "name": "study"},
                                                         {"id": self.GENERAL_ID, "name": "general"}]:
            self.add_channel(ch)
        if channels:
            self.STUDY_ID = channels[0]["id"]
        self.dm_channels: Dict[str, str] = {}  # user id -> D… id
        self._dm_seq = itertools.count(1)

        # Machinery.
        self._ts_last = 0
        self._ids = itertools.count(1)
        self._tickets: Dict[str, float] = {}  # unused tickets -> issued at
        self._used_tickets: set = set()
        self._triggers: Dict[str, Dict[str, Any]] = {}  # trigger_id -> {"at", "used"}
        self._uploads: Dict[str, Dict[str, Any]] = {}  # file_id -> {"filename", "length", "data"}
        self._injections: List[Dict[str, Any]] = []
        self._buckets: Dict[Tuple[str, str], _Bucket] = {}
        self._queue: List[Envelope] = []  # waiting for a usable connection
        self.api_port = self.socket_port = 0

    # ------------------------------------------------------------- world setup
    def _user_obj(self, u: Dict[str, Any]) -> Dict[str, Any]:
        name = u.get("name", u["id"].lower())
        real = u.get("real_name", name.title())
        return {
            "id": u["id"], "team_id": self.TEAM_ID, "name": name, "deleted": False, "color": "9f69e7",
            "real_name": real, "tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600,
            "profile": {"real_name": real, "display_name": u.get("display_name", name), "avatar_hash": "ge3b51ca72de",
                        "real_name_normalized": real, "display_name_normalized": u.get("display_name", name),
                        "image_72": "https://a.slack-edge.com/80588/img/avatars/user_shapes/ava_0001-72.png",
                        "team": self.TEAM_ID, "status_text": "", "status_emoji": ""},
            "is_admin": bool(u.get("is_admin", False)), "is_owner": bool(u.get("is_owner", False)),
            "is_primary_owner": bool(u.get("is_primary_owner", False)), "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": bool(u.get("is_bot", False)), "is_app_user": False,
            "updated": 1700000000, "is_email_confirmed": True, "who_can_share_contact_card": "EVERYONE",
            **({"bot_id": self.BOT_ID} if u.get("is_bot") else {}),
        }

    def add_user(self, u: Dict[str, Any]) -> Dict[str, Any]:
        self.users[u["id"]] = self._user_obj(u)
        return self.users[u["id"]]

    def add_channel(self, ch: Dict[str, Any]) -> Dict[str, Any]:
        c = {"id": ch["id"], "name": ch.get("name", ch["id"].lower()), "members": ch.get("members"),
             "bot_member": ch.get("bot_member", True)}
        self.channels[c["id"]] = c
        return c

    def _is_member(self, channel: str, user: str) -> bool:
        if channel.startswith("D"):
            return self.dm_channels.get(user) == channel
        ch = self.channels.get(channel)
        if ch is None:
            return False
        if user == self.BOT_USER_ID:
            return bool(ch["bot_member"])
        return ch["members"] is None or user in ch["members"]

    def _dm_for(self, user: str) -> str:
        if user not in self.dm_channels:
            self.dm_channels[user] = f"D0{next(self._dm_seq):07d}"
        return self.dm_channels[user]

    def _resolve_channel(self, value: str) -> Optional[str]:
        """A channel id, a DM id, a user id (the bot's DM with them) or a name."""
        if value in self.channels:
            return value
        if value in self.dm_channels.values():
            return value
        if value in self.users and value != self.BOT_USER_ID:
            return self._dm_for(value)
        name = value.lstrip("#")
        return next((cid for cid, c in self.channels.items() if c["name"] == name), None)

    # --------------------------------------------------------------- lifecycle
    async def start(self) -> "FakeSlack":
        api = web.Application(client_max_size=64 * 1024 * 1024)
        api.router.add_route("*", "/{tail:.*}", self._api_entry)
        self.api_port = await self._serve(api)
        sock = web.Application()
        sock.router.add_route("GET", "/{tail:.*}", self._ws_entry)
        self.socket_port = await self._serve(sock)
        return self

    async def _stop_conn(self, conn: SocketConn) -> None:
        for t in conn._tasks:
            t.cancel()
        if conn.open:
            await self._close_ws(conn.ws)

    @property
    def api_base(self) -> str:
        return f"http://{self.host}:{self.api_port}/api"

    @property
    def socket_base(self) -> str:
        return f"ws://{self.host}:{self.socket_port}/link/"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.api_port}/_fake"

    def info(self) -> Dict[str, Any]:
        return {"pid": os.getpid(), "api_base": self.api_base, "socket_base": self.socket_base,
                "control_url": self.control_url, "app_token": self.app_token, "bot_token": self.bot_token,
                "team_id": self.TEAM_ID, "app_id": self.APP_ID, "bot_user_id": self.BOT_USER_ID,
                "bot_id": self.BOT_ID, "study_id": self.STUDY_ID, "alice_id": self.ALICE_ID,
                "bob_id": self.BOB_ID, "admin_id": self.ADMIN_ID,
                "channels": {c["name"]: cid for cid, c in self.channels.items()},
                "users": {u["name"]: uid for uid, u in self.users.items()}}

    # ------------------------------------------------------------ waiting in tests
    async def wait_hello(self, n: int = 1, timeout: float = 10.0) -> List[SocketConn]:
        """Wait until n open connections have been sent hello; return them."""
        return await self.wait_connections(lambda c: c.open and c.hello_at is not None, n, timeout,
                                           f"{n} connection(s) with hello")

    async def wait_acked(self, env: Envelope, timeout: float = 5.0) -> Envelope:
        await self.wait_for(lambda: env.acked, timeout, what=f"ack of {env.type} envelope {env.id}")
        return env

    # ---------------------------------------------------------------- records
    def calls(self, method: Optional[str] = None) -> List[Dict[str, Any]]:
        return [c for c in self._calls if method is None or c["method"] == method]

    def messages(self, channel: Optional[str] = None) -> List[Dict[str, Any]]:
        if channel is not None:
            channel = self._resolve_channel(channel) or channel
        return [m for m in self._messages if channel is None or m["channel"] == channel]

    def dms(self, user: str) -> List[Dict[str, Any]]:
        dm = self.dm_channels.get(user)
        return [m for m in self._messages if dm is not None and m["channel"] == dm]

    def ephemerals(self, user: Optional[str] = None, channel: Optional[str] = None) -> List[Dict[str, Any]]:
        return [e for e in self._ephemerals if (user is None or e["user"] == user)
                and (channel is None or e["channel"] == channel)]

    def home(self, user: str) -> Optional[Dict[str, Any]]:
        views = self._homes.get(user)
        return views[-1] if views else None

    def inject(self, method: str, status: Optional[int] = None, retry_after: float = 1, times: int = 1,
               error: Optional[str] = None, delay: float = 0.0) -> None:
        """The next `times` calls of method fail: HTTP status (429 with Retry-After, 5xx) or, given
        `error`, HTTP 200 {"ok": false, "error": error}. Neither given: 429. Given `delay`
        instead, the calls succeed but are answered that many seconds late (the work is
        done at once, as when Slack posted a message and the answer got lost)."""
        if status is None:
            status = 200 if error else 429
        self._injections.append({"method": method, "status": status, "retry_after": retry_after,
                                 "times": times, "error": error, "delay": delay})

    # ============================================================== Web API
    async def _api_entry(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await self._control(request)
        if request.path.startswith("/upload/"):
            return await self._upload(request)
        if not request.path.startswith("/api/"):
            self.violation(f"{request.method} {request.path}: not under /api/")
            return web.Response(status=404, text="Not Found")
        return await self._api(request, request.path[len("/api/"):])

    def _op(self, method: str) -> Optional[Dict[str, Any]]:
        """The method's description: from the OpenAPI file (whatever verb it lists), else the
        doc-page tables above."""
        item = self.spec.doc.get("paths", {}).get("/" + method)
        if item:
            return self._op_from_spec(next(iter(item.values())))
        extra = EXTRA_METHODS.get(method)
        if extra is None:
            return None
        return {"args": dict(extra["args"]), "consumes": extra["consumes"], "errors": None}

    @staticmethod
    def _op_from_spec(op: Dict[str, Any]) -> Dict[str, Any]:
        args = {p["name"]: (bool(p.get("required")), p.get("type", "string"))
                for p in op.get("parameters", []) if p.get("in") in ("formData", "query") and p["name"] != "token"}
        errs = op.get("responses", {}).get("default", {}).get("schema", {}).get("properties", {}) \
            .get("error", {}).get("enum")
        return {"args": args, "consumes": op.get("consumes") or ["application/x-www-form-urlencoded"],
                "errors": errs}

    async def _api(self, request: web.Request, method: str) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        ctype_full = headers.get("content-type", "")
        ctype = ctype_full.split(";")[0].strip().lower()
        call: Dict[str, Any] = {"method": method, "args": {}, "headers": headers, "http_method": request.method,
                                "content_type": ctype_full, "status": None, "response": None,
                                "at": time.monotonic(), "violations": []}
        self._calls.append(call)
        warnings: List[str] = []

        def bad(msg: str) -> None:
            msg = f"{method}: {msg}"
            call["violations"].append(msg)
            self.violation(msg)

        def answer(payload: Dict[str, Any], status: int = 200, hdrs: Optional[Dict[str, str]] = None) -> web.Response:
            if warnings and payload.get("ok"):
                payload.setdefault("warning", ",".join(warnings))
                payload.setdefault("response_metadata", {}).setdefault("warnings", []).extend(warnings)
            call["status"], call["response"] = status, payload
            return web.json_response(payload, status=status, headers=hdrs)

        def error(code: str, why: Optional[str] = None, **extra: Any) -> web.Response:
            if why is not None:
                bad(why)
            return answer({"ok": False, "error": code, **extra})

        # Arguments: the query string, then the body by content type.
        args: Dict[str, Any] = {k: v for k, v in request.query.items()}
        op = self._op(method)
        consumes = op["consumes"] if op else ["application/x-www-form-urlencoded", "application/json"]
        if body:
            if request.method == "GET":
                bad("a GET request carries a body (Slack reads only the query string)")
            elif ctype == "application/json":
                if "charset" not in ctype_full.lower():
                    warnings.append("missing_charset")
                    bad("JSON body sent without a charset in Content-Type (Slack warns missing_charset)")
                try:
                    parsed = json.loads(body)
                except ValueError:
                    return error("invalid_json", "body is not valid JSON")
                if not isinstance(parsed, dict):
                    return error("json_not_object", "JSON body is not an object")
                if "application/json" in consumes:
                    args.update(parsed)
                else:
                    bad("this method does not take JSON bodies (its content types: "
                        f"{', '.join(consumes)}); Slack ignores the arguments")
                if "token" in parsed:
                    bad("token inside a JSON body is not read by Slack; use the Authorization header")
            elif ctype == "application/x-www-form-urlencoded":
                try:
                    form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
                except UnicodeDecodeError:
                    return error("invalid_charset", "form body is not UTF-8")
                for k, v in form.items():
                    args[k] = v[-1]
            elif ctype == "multipart/form-data":
                bad("multipart bodies are only for the upload URL here")
                return error("invalid_form_data")
            else:
                return error("invalid_post_type" if ctype else "missing_post_type",
                             f"body sent with Content-Type {ctype_full!r}")
        body_token = args.pop("token", None)
        call["args"] = dict(args)

        if op is None:
            return error("unknown_method", "no such method in the OpenAPI description or the docs")

        # Authentication (Bearer header, or token as a POST form argument).
        auth = headers.get("authorization")
        token = None
        if auth is not None:
            if not auth.startswith("Bearer "):
                return error("invalid_auth", "Authorization is not 'Bearer <token>'")
            token = auth[len("Bearer "):].strip()
        elif body_token is not None:
            if body_token in request.query:
                bad("token passed in the query string (not accepted for new apps; use the Authorization header)")
            token = body_token
        if not token:
            return error("not_authed", "no token")
        if token not in (self.app_token, self.bot_token):
            return error("invalid_auth", "wrong token")
        app_method = method == "apps.connections.open"
        if app_method and token != self.app_token:
            return error("not_allowed_token_type", "apps.connections.open needs the app-level token (xapp-)")
        if not app_method and token == self.app_token:
            return error("not_allowed_token_type", "an app-level token (xapp-) may only open connections")

        # Premature retry: a call inside the Retry-After of an earlier 429.
        now = time.monotonic()
        for key, b in self._buckets.items():
            if key[0] == method and now < b.blocked_until and (key[1] == "" or key[1] == str(args.get("channel", ""))):
                self.premature.append({"method": method, "key": key[1], "at": now, "early_by": b.blocked_until - now})

        # Injected failures.
        inj = next((i for i in self._injections if i["method"] == method and i["times"] > 0), None)
        if inj is not None and inj.get("delay"):
            # Slack did the work but the answer is slow (or never reaches a
            # client that dies meanwhile): handled below, answered late.
            inj["times"] -= 1
            delay = inj["delay"]
        else:
            delay = 0.0
        if inj is not None and not inj.get("delay"):
            inj["times"] -= 1
            if inj["error"]:
                return answer({"ok": False, "error": inj["error"]})
            if inj["status"] == 429:
                ra = max(1, int(math.ceil(inj["retry_after"])))
                return answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(ra)})
            return answer({"ok": False, "error": "fatal_error"}, inj["status"])

        # Arguments against the description.
        for name, value in list(args.items()):
            if name not in op["args"]:
                self.unknown_args.append(f"{method}: {name}")
                continue
            _req, typ = op["args"][name]
            if typ == "boolean" and not (isinstance(value, bool) or str(value).lower() in ("true", "false", "1", "0")):
                return error("invalid_arguments", f"argument {name}={value!r} is not a boolean",
                             response_metadata={"messages": [f"[ERROR] invalid boolean for `{name}`"]})
            if typ == "integer" and not (isinstance(value, int) or str(value).isdigit()):
                return error("invalid_arguments", f"argument {name}={value!r} is not an integer",
                             response_metadata={"messages": [f"[ERROR] invalid integer for `{name}`"]})
        for name, (req, _typ) in op["args"].items():
            if req and (name not in args or args[name] in ("", None)):
                code = MISSING_ARG_ERROR.get((method, name), "invalid_arguments")
                return error(code, f"required argument {name!r} missing",
                             response_metadata={"messages": [f"[ERROR] missing required field: {name}"]})

        # Rate limits: per-method tiers, chat.postMessage per channel.
        limited = self._pace(method, args)
        if limited is not None:
            return answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(limited)})

        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return answer({"ok": True})
        try:
            result = handler(args, bad, request)
        except Exception as e:  # a bug in the fake must fail the test, not pass silently
            return error("fatal_error", f"the fake failed handling this call: {e!r}")
        if delay:
            await asyncio.sleep(delay)
        return answer(result)

    def _pace(self, method: str, args: Dict[str, Any]) -> Optional[int]:
        if method == "chat.postMessage":
            key = (method, str(args.get("channel", "")))
            burst, rate = self.post_burst, self.post_rate / self.rate_scale
        else:
            tier = METHOD_TIERS.get(method) or EXTRA_METHODS.get(method, {}).get("tier") or 3
            key = (method, "")
            burst, rate = TIER_PER_MINUTE[tier] + TIER_BURST[tier], TIER_PER_MINUTE[tier] / (60.0 * self.rate_scale)
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(burst, rate)
        wait = b.take()
        if wait is None:
            return None
        ra = max(1, int(math.ceil(wait)))
        b.blocked_until = time.monotonic() + ra
        self.rate_limited.append({"method": method, "key": key[1], "retry_after": ra, "at": time.monotonic()})
        self.log(f"429 {method} {key[1]} Retry-After {ra}")
        return ra

    # ---------------------------------------------------------- Block Kit checks
    def _text_obj(self, t: Any, where: str, errs: List[str], limit: int = 3000, plain: bool = False,
                  required: bool = True) -> None:
        if t is None:
            if required:
                errs.append(f"{where}: required text object missing")
            return
        if not isinstance(t, dict) or t.get("type") not in ("plain_text", "mrkdwn"):
            errs.append(f"{where}: must be a text object of type plain_text or mrkdwn")
            return
        if plain and t["type"] != "plain_text":
            errs.append(f"{where}: must be plain_text")
        s = t.get("text")
        if not isinstance(s, str) or not s:
            errs.append(f"{where}.text: must be a non-empty string")
        elif len(s) > limit:
            errs.append(f"{where}.text: {len(s)} characters, more than {limit}")

    def _str(self, v: Any, where: str, limit: int, errs: List[str], required: bool = False) -> None:
        if v is None:
            if required:
                errs.append(f"{where}: required")
            return
        if not isinstance(v, str):
            errs.append(f"{where}: must be a string")
        elif len(v) > limit:
            errs.append(f"{where}: {len(v)} characters, more than {limit}")

    def _option(self, o: Any, where: str, errs: List[str]) -> None:
        if not isinstance(o, dict):
            errs.append(f"{where}: must be an option object")
            return
        self._text_obj(o.get("text"), where + ".text", errs, 75)
        self._str(o.get("value"), where + ".value", 150, errs, required=True)
        if o.get("description") is not None:
            self._text_obj(o["description"], where + ".description", errs, 75)

    def _element(self, e: Any, where: str, errs: List[str]) -> None:
        if not isinstance(e, dict):
            errs.append(f"{where}: must be an object")
            return
        t = e.get("type")
        self._str(e.get("action_id"), where + ".action_id", 255, errs)
        if t == "button":
            self._text_obj(e.get("text"), where + ".text", errs, 75, plain=True)
            self._str(e.get("value"), where + ".value", 2000, errs)
            self._str(e.get("url"), where + ".url", 3000, errs)
            if e.get("style") not in (None, "primary", "danger"):
                errs.append(f"{where}.style: must be primary or danger")
        elif t in ("static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"):
            if e.get("placeholder") is not None:
                self._text_obj(e["placeholder"], where + ".placeholder", errs, 150, plain=True)
            opts = e.get("options")
            groups = e.get("option_groups")
            if opts is None and groups is None:
                errs.append(f"{where}: options or option_groups required")
            limit = {"radio_buttons": 10, "checkboxes": 10, "overflow": 5}.get(t, 100)
            if isinstance(opts, list):
                if len(opts) > limit:
                    errs.append(f"{where}.options: {len(opts)} options, more than {limit}")
                for i, o in enumerate(opts):
                    self._option(o, f"{where}.options[{i}]", errs)
        elif t == "plain_text_input":
            if e.get("placeholder") is not None:
                self._text_obj(e["placeholder"], where + ".placeholder", errs, 150, plain=True)
            for k in ("max_length", "min_length"):
                v = e.get(k)
                if v is not None and (not isinstance(v, int) or v < 0 or v > 3000):
                    errs.append(f"{where}.{k}: must be an integer from 0 to 3000")
        elif t in ("datepicker", "timepicker", "users_select", "conversations_select", "channels_select",
                   "external_select", "email_text_input", "number_input", "url_text_input", "image",
                   "multi_users_select", "multi_conversations_select", "multi_channels_select"):
            if e.get("placeholder") is not None:
                self._text_obj(e["placeholder"], where + ".placeholder", errs, 150, plain=True)
        else:
            errs.append(f"{where}.type: unknown element type {t!r}")

    def _blocks(self, blocks: Any, surface: str, errs: List[str]) -> None:
        limit = MAX_BLOCKS_MESSAGE if surface == "message" else MAX_BLOCKS_VIEW
        if not isinstance(blocks, list):
            errs.append("blocks: must be an array")
            return
        if len(blocks) > limit:
            errs.append(f"blocks: {len(blocks)} blocks, more than {limit} for a {surface}")
        seen_ids: set = set()
        for i, b in enumerate(blocks):
            w = f"blocks[{i}]"
            if not isinstance(b, dict):
                errs.append(f"{w}: must be an object")
                continue
            bid = b.get("block_id")
            self._str(bid, w + ".block_id", 255, errs)
            if bid is not None:
                if bid in seen_ids:
                    errs.append(f"{w}.block_id: duplicate {bid!r}")
                seen_ids.add(bid)
            t = b.get("type")
            if t == "section":
                if b.get("text") is None and not b.get("fields"):
                    errs.append(f"{w}: a section needs text or fields")
                self._text_obj(b.get("text"), w + ".text", errs, 3000, required=False)
                fields = b.get("fields")
                if fields is not None:
                    if not isinstance(fields, list) or len(fields) > 10:
                        errs.append(f"{w}.fields: at most 10 text objects")
                    else:
                        for j, f in enumerate(fields):
                            self._text_obj(f, f"{w}.fields[{j}]", errs, 2000)
                if b.get("accessory") is not None:
                    self._element(b["accessory"], w + ".accessory", errs)
            elif t == "header":
                self._text_obj(b.get("text"), w + ".text", errs, 150, plain=True)
            elif t == "actions":
                els = b.get("elements")
                if not isinstance(els, list) or not els or len(els) > 25:
                    errs.append(f"{w}.elements: 1 to 25 elements")
                else:
                    for j, e in enumerate(els):
                        self._element(e, f"{w}.elements[{j}]", errs)
            elif t == "context":
                els = b.get("elements")
                if not isinstance(els, list) or not els or len(els) > 10:
                    errs.append(f"{w}.elements: 1 to 10 elements")
                else:
                    for j, e in enumerate(els):
                        if isinstance(e, dict) and e.get("type") in ("plain_text", "mrkdwn"):
                            self._text_obj(e, f"{w}.elements[{j}]", errs)
                        elif not (isinstance(e, dict) and e.get("type") == "image"):
                            errs.append(f"{w}.elements[{j}]: text or image only")
            elif t == "input":
                self._text_obj(b.get("label"), w + ".label", errs, 2000, plain=True)
                if b.get("hint") is not None:
                    self._text_obj(b["hint"], w + ".hint", errs, 2000, plain=True)
                self._element(b.get("element"), w + ".element", errs)
            elif t in ("divider", "image", "rich_text", "file", "video"):
                pass
            else:
                errs.append(f"{w}.type: unknown block type {t!r}")

    def _parse_json_arg(self, value: Any) -> Tuple[Any, bool]:
        if isinstance(value, str):
            try:
                return json.loads(value), True
            except ValueError:
                return None, False
        return value, True

    def _view_errors(self, view: Any) -> List[str]:
        errs: List[str] = []
        if not isinstance(view, dict):
            return ["view: must be a JSON object"]
        t = view.get("type")
        if t not in ("modal", "home"):
            errs.append("view.type: must be modal or home")
        self._blocks(view.get("blocks"), "modal" if t == "modal" else "home", errs)
        self._str(view.get("callback_id"), "view.callback_id", 255, errs)
        self._str(view.get("private_metadata"), "view.private_metadata", 3000, errs)
        self._str(view.get("external_id"), "view.external_id", 255, errs)
        if t == "modal":
            self._text_obj(view.get("title"), "view.title", errs, 24, plain=True)
            for k in ("submit", "close"):
                if view.get(k) is not None:
                    self._text_obj(view[k], "view." + k, errs, 24, plain=True)
            blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
            if view.get("submit") is None and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks):
                errs.append("view.submit: required when the view has input blocks")
        return errs

    # ------------------------------------------------------------ method handlers
    def _next_ts(self) -> str:
        now_us = int(time.time() * 1e6)
        self._ts_last = max(self._ts_last + 100, now_us)
        return f"{self._ts_last // 1000000}.{self._ts_last % 1000000:06d}"

    def _message_args(self, args: Dict[str, Any], bad: Callable[[str], None]) -> Tuple[Optional[Any], Optional[Dict]]:
        """Blocks parsed and checked: (blocks, None) or (None, error answer)."""
        blocks = None
        if args.get("blocks") not in (None, ""):
            blocks, ok = self._parse_json_arg(args["blocks"])
            if not ok:
                bad("blocks is not valid JSON")
                return None, {"ok": False, "error": "invalid_blocks_format"}
            errs: List[str] = []
            self._blocks(blocks, "message", errs)
            if errs:
                bad("invalid blocks: " + "; ".join(errs))
                return None, {"ok": False, "error": "invalid_blocks", "errors": errs,
                              "response_metadata": {"messages": ["[ERROR] " + e for e in errs]}}
        if not args.get("text") and not blocks and not args.get("attachments"):
            bad("neither text nor blocks nor attachments")
            return None, {"ok": False, "error": "no_text"}
        text = args.get("text")
        if isinstance(text, str) and len(text) > 40000:
            bad("text longer than 40000 characters")
            return None, {"ok": False, "error": "msg_too_long"}
        return blocks, None

    def _m_auth_test(self, args, bad, request):
        return {"ok": True, "url": f"https://{self.team_domain}.slack.com/", "team": "Study Group",
                "user": "studybot", "team_id": self.TEAM_ID, "user_id": self.BOT_USER_ID, "bot_id": self.BOT_ID,
                "is_enterprise_install": False}

    def _m_apps_connections_open(self, args, bad, request):
        ticket = secrets.token_hex(16)
        self._tickets[ticket] = time.monotonic()
        return {"ok": True, "url": f"{self.socket_base}?ticket={ticket}&app_id={self.APP_ID}"}

    def _m_chat_postMessage(self, args, bad, request):
        channel = self._resolve_channel(str(args["channel"]))
        if channel is None:
            bad(f"channel {args['channel']!r} does not exist")
            return {"ok": False, "error": "channel_not_found"}
        if not channel.startswith("D") and not self._is_member(channel, self.BOT_USER_ID):
            bad(f"the bot is not a member of {channel}")
            return {"ok": False, "error": "not_in_channel"}
        blocks, err = self._message_args(args, bad)
        if err:
            return err
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None:
            parent = next((m for m in self._messages if m["channel"] == channel and m["ts"] == thread_ts), None)
            if parent is None:
                bad(f"thread_ts {thread_ts} names no message in {channel}")
            elif parent.get("thread_ts") not in (None, parent["ts"]):
                bad(f"thread_ts {thread_ts} is a reply's ts; Slack asks for the parent's")
        ts = self._next_ts()
        msg = {"type": "message", "user": self.BOT_USER_ID, "bot_id": self.BOT_ID, "app_id": self.APP_ID,
               "text": args.get("text", ""), "ts": ts, "team": self.TEAM_ID, "blocks": blocks or [],
               "bot_profile": {"id": self.BOT_ID, "app_id": self.APP_ID, "name": "studybot", "deleted": False,
                               "team_id": self.TEAM_ID, "updated": 1700000000}}
        if thread_ts:
            msg["thread_ts"] = thread_ts
            if str(args.get("reply_broadcast", "")).lower() in ("true", "1"):
                msg["subtype"] = "thread_broadcast"
        meta = self._metadata_arg(args, bad)
        if meta is not None:
            msg["metadata"] = meta
        record = dict(msg, channel=channel, files=[], thread_ts=thread_ts)
        self._messages.append(record)
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    @staticmethod
    def _metadata_arg(args, bad):
        """Message metadata (docs: "Using message metadata"): an object, or its JSON in a
        form body, with a string event_type and an object event_payload."""
        meta = args.get("metadata")
        if meta is None:
            return None
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                bad("metadata is not JSON")
                return None
        if not isinstance(meta, dict) or not isinstance(meta.get("event_type"), str) or \
                not isinstance(meta.get("event_payload"), dict):
            bad("metadata needs a string event_type and an object event_payload")
            return None
        return meta

    def _history_view(self, m, with_meta):
        out = {k: v for k, v in m.items() if k not in ("channel", "files") and v is not None}
        if not with_meta:
            out.pop("metadata", None)
        return out

    def _m_conversations_history(self, args, bad, request):
        """Top-level messages, newest first; metadata only with include_all_metadata
        (docs: conversations.history)."""
        channel = self._resolve_channel(str(args["channel"]))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(args.get("limit") or 100)
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        top = [m for m in self._messages if m["channel"] == channel and m.get("thread_ts") in (None, m["ts"])]
        top = sorted(top, key=lambda m: m["ts"], reverse=True)[:max(1, min(limit, 999))]
        return {"ok": True, "messages": [self._history_view(m, with_meta) for m in top], "has_more": False,
                "pin_count": 0, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_replies(self, args, bad, request):
        """A thread: its parent, then the replies, oldest first (docs: conversations.replies)."""
        channel = self._resolve_channel(str(args["channel"]))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(args.get("ts", ""))
        parent = next((m for m in self._messages if m["channel"] == channel and m["ts"] == ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        thread = [parent] + sorted((m for m in self._messages if m["channel"] == channel and
                                    m.get("thread_ts") == ts and m["ts"] != ts), key=lambda m: m["ts"])
        return {"ok": True, "messages": [self._history_view(m, with_meta) for m in thread], "has_more": False,
                "response_metadata": {"next_cursor": ""}}

    def _m_chat_update(self, args, bad, request):
        channel = self._resolve_channel(str(args["channel"]))
        if channel is None:
            bad(f"channel {args['channel']!r} does not exist")
            return {"ok": False, "error": "channel_not_found"}
        msg = next((m for m in self._messages if m["channel"] == channel and m["ts"] == args["ts"]), None)
        if msg is None:
            bad(f"no message {args['ts']} in {channel}")
            return {"ok": False, "error": "message_not_found"}
        blocks, err = self._message_args(args, bad)
        if err:
            return err
        if "text" in args:
            msg["text"] = args["text"]
        if blocks is not None:
            msg["blocks"] = blocks
        msg.setdefault("edits", 0)
        msg["edits"] += 1
        return {"ok": True, "channel": channel, "ts": msg["ts"], "text": msg["text"],
                "message": {k: v for k, v in msg.items() if k not in ("channel", "files", "edits")}}

    def _m_chat_delete(self, args, bad, request):
        channel = self._resolve_channel(str(args.get("channel", "")))
        msg = next((m for m in self._messages if m["channel"] == channel and m["ts"] == args.get("ts")), None)
        if msg is None:
            bad(f"no message {args.get('ts')} in {args.get('channel')}")
            return {"ok": False, "error": "message_not_found"}
        self._messages.remove(msg)
        return {"ok": True, "channel": channel, "ts": msg["ts"]}

    def _m_chat_postEphemeral(self, args, bad, request):
        channel = self._resolve_channel(str(args["channel"]))
        if channel is None:
            bad(f"channel {args['channel']!r} does not exist")
            return {"ok": False, "error": "channel_not_found"}
        user = str(args["user"])
        if user not in self.users:
            bad(f"user {user} does not exist")
            return {"ok": False, "error": "user_not_found"}
        if not self._is_member(channel, user) and not (channel.startswith("D") and self.dm_channels.get(user) == channel):
            bad(f"user {user} is not in {channel}")
            return {"ok": False, "error": "user_not_in_channel"}
        blocks, err = self._message_args(args, bad)
        if err:
            return err
        ts = self._next_ts()
        self._ephemerals.append({"channel": channel, "user": user, "text": args.get("text", ""),
                                 "blocks": blocks or [], "thread_ts": args.get("thread_ts") or None,
                                 "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def _m_conversations_open(self, args, bad, request):
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if args.get("channel"):
            ch = str(args["channel"])
            if ch not in self.dm_channels.values():
                bad(f"no DM {ch}")
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": ch}}
        if not users:
            bad("conversations.open without users or channel")
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 1:
            bad("conversations.open with several users opens a group DM, which the fake does not model")
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        if users[0] not in self.users or users[0] == self.BOT_USER_ID:
            bad(f"user {users[0]} does not exist")
            return {"ok": False, "error": "user_not_found"}
        existed = users[0] in self.dm_channels
        dm = self._dm_for(users[0])
        out: Dict[str, Any] = {"ok": True, "channel": {"id": dm}}
        if str(args.get("return_im", "")).lower() in ("true", "1"):
            out["channel"].update({"created": 1700000000, "is_im": True, "is_org_shared": False,
                                   "user": users[0], "is_user_deleted": False, "priority": 0})
        if existed:
            out.update({"no_op": True, "already_open": True})
        return out

    def _m_users_info(self, args, bad, request):
        u = self.users.get(str(args.get("user", "")))
        if u is None:
            bad(f"user {args.get('user')!r} does not exist")
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": u}

    def _trigger_check(self, trigger_id: str, bad: Callable[[str], None]) -> Optional[str]:
        t = self._triggers.get(trigger_id)
        if t is None:
            bad(f"trigger_id {trigger_id!r} was not issued by the fake")
            return "invalid_trigger_id"
        if t["used"]:
            bad(f"trigger_id {trigger_id!r} already used")
            return "exchanged_trigger_id"
        t["used"] = True
        if time.monotonic() - t["at"] > self.trigger_lifetime:
            bad(f"trigger_id {trigger_id!r} used {time.monotonic() - t['at']:.1f} s after it was issued "
                f"(limit {self.trigger_lifetime:g} s)")
            return "expired_trigger_id"
        return None

    def _view_obj(self, view: Dict[str, Any], vid: Optional[str] = None) -> Dict[str, Any]:
        vid = vid or f"V0{next(self._ids):08d}"
        out = {"id": vid, "team_id": self.TEAM_ID, "type": view.get("type"), "blocks": view.get("blocks", []),
               "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
               "state": {"values": {}}, "hash": secrets.token_hex(8), "clear_on_close": False,
               "notify_on_close": False, "root_view_id": vid, "previous_view_id": None, "app_id": self.APP_ID,
               "external_id": view.get("external_id", ""), "app_installed_team_id": self.TEAM_ID,
               "bot_id": self.BOT_ID}
        for k in ("title", "submit", "close"):
            if view.get(k) is not None:
                out[k] = view[k]
        return out

    def _view_arg(self, args: Dict[str, Any], bad: Callable[[str], None]) -> Tuple[Optional[Dict], Optional[Dict]]:
        view, ok = self._parse_json_arg(args.get("view"))
        if not ok:
            bad("view is not valid JSON")
            return None, {"ok": False, "error": "invalid_arguments",
                          "response_metadata": {"messages": ["[ERROR] failed to parse view"]}}
        errs = self._view_errors(view)
        if errs:
            bad("invalid view: " + "; ".join(errs))
            return None, {"ok": False, "error": "invalid_arguments",
                          "response_metadata": {"messages": ["[ERROR] " + e for e in errs]}}
        return view, None

    def _m_views_open(self, args, bad, request):
        view, err = self._view_arg(args, bad)
        if err:
            return err
        if view.get("type") != "modal":
            bad("views.open needs a modal view")
            return {"ok": False, "error": "invalid_arguments"}
        trig = self._trigger_check(str(args["trigger_id"]), bad)
        if trig:
            return {"ok": False, "error": trig}
        v = self._view_obj(view)
        user = self._triggers[str(args["trigger_id"])].get("user")
        self.views.append({"id": v["id"], "user": user, "trigger_id": args["trigger_id"], "view": view,
                           "callback_id": view.get("callback_id", ""),
                           "private_metadata": view.get("private_metadata", ""), "obj": v})
        return {"ok": True, "view": v}

    def _m_views_update(self, args, bad, request):
        view, err = self._view_arg(args, bad)
        if err:
            return err
        rec = next((v for v in self.views if v["id"] == args.get("view_id")
                    or (args.get("external_id") and v["view"].get("external_id") == args.get("external_id"))), None)
        if rec is None:
            bad(f"no view {args.get('view_id') or args.get('external_id')}")
            return {"ok": False, "error": "not_found"}
        rec["view"] = view
        rec["obj"] = self._view_obj(view, rec["id"])
        return {"ok": True, "view": rec["obj"]}

    def _m_views_publish(self, args, bad, request):
        view, err = self._view_arg(args, bad)
        if err:
            return err
        if view.get("type") != "home":
            bad("views.publish needs a home view")
            return {"ok": False, "error": "invalid_arguments"}
        user = str(args["user_id"])
        if user not in self.users:
            bad(f"user {user} does not exist")
            return {"ok": False, "error": "user_not_found"}
        v = self._view_obj(view)
        self._homes.setdefault(user, []).append(dict(view, id=v["id"]))
        return {"ok": True, "view": v}

    def _m_files_getUploadURLExternal(self, args, bad, request):
        fid = f"F0{next(self._ids):08d}"
        length = int(args["length"])
        if length <= 0:
            bad("length must be positive")
            return {"ok": False, "error": "invalid_arguments"}
        self._uploads[fid] = {"filename": args["filename"], "length": length, "data": None}
        return {"ok": True, "upload_url": f"http://{self.host}:{self.api_port}/upload/{fid}", "file_id": fid}

    async def _upload(self, request: web.Request) -> web.Response:
        fid = request.path[len("/upload/"):].strip("/")
        up = self._uploads.get(fid)
        if up is None or request.method != "POST":
            self.violation(f"upload: {request.method} {request.path} is not an upload URL the fake issued")
            return web.Response(status=404, text="Not Found")
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            reader = await request.multipart()
            data = b""
            async for part in reader:
                if part.filename is not None or part.name in ("file", "filename"):
                    data = await part.read(decode=False)
                    break
        else:
            data = await request.read()
        if len(data) != up["length"]:
            self.violation(f"upload {fid}: {len(data)} bytes sent, files.getUploadURLExternal said {up['length']}")
        up["data"] = data
        return web.Response(status=200, text=f"OK - {len(data)}")

    def _m_files_completeUploadExternal(self, args, bad, request):
        files, ok = self._parse_json_arg(args["files"])
        if not ok or not isinstance(files, list) or not files:
            bad("files is not a JSON array of {id, title}")
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id") or args.get("channels")
        if channel is not None:
            resolved = self._resolve_channel(str(channel).split(",")[0])
            if resolved is None:
                bad(f"channel {channel!r} does not exist")
                return {"ok": False, "error": "channel_not_found"}
            if not resolved.startswith("D") and not self._is_member(resolved, self.BOT_USER_ID):
                bad(f"the bot is not a member of {resolved}")
                return {"ok": False, "error": "not_in_channel"}
            channel = resolved
        out = []
        for f in files:
            fid = f.get("id") if isinstance(f, dict) else None
            up = self._uploads.get(fid)
            if up is None or up["data"] is None:
                bad(f"file {fid} was not uploaded to its upload URL first")
                return {"ok": False, "error": "file_not_found"}
            title = f.get("title") or up["filename"]
            rec = {"id": fid, "name": up["filename"], "title": title, "data": up["data"], "channel": channel,
                   "thread_ts": args.get("thread_ts") or None, "initial_comment": args.get("initial_comment")}
            self.files.append(rec)
            out.append({"id": fid, "name": up["filename"], "title": title, "size": len(up["data"])})
        if channel is not None:
            ts = self._next_ts()
            self._messages.append({"type": "message", "subtype": "file_share", "user": self.BOT_USER_ID,
                                   "bot_id": self.BOT_ID, "text": args.get("initial_comment", "") or "", "ts": ts,
                                   "thread_ts": args.get("thread_ts") or None, "blocks": [], "channel": channel,
                                   "files": [o["id"] for o in out]})
        return {"ok": True, "files": out}

    # ============================================================== Socket Mode
    async def _ws_entry(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if request.path.rstrip("/") != "/link" or ticket not in self._tickets:
            why = "reused" if ticket in self._used_tickets else "unknown"
            self.violation(f"socket: connection with an {why} ticket ({request.path_qs})")
            return web.Response(status=401 if why == "unknown" else 410, text="invalid ticket")
        del self._tickets[ticket]
        self._used_tickets.add(ticket)
        # autoping off: pings are answered by hand, so silence() can stop answering.
        ws = web.WebSocketResponse(autoping=False, heartbeat=None, max_msg_size=4 * 1024 * 1024, timeout=2.0)
        await ws.prepare(request)
        conn = SocketConn(ws, request, ticket)
        self.connections.append(conn)
        if len([c for c in self.connections if c.open and not c.refused]) > self.max_connections:
            conn.refused = True
            self.violation(f"socket: more than {self.max_connections} connections open for the app")
            await self._send_now(conn, {"type": "disconnect", "reason": "too_many_websockets",
                                        "debug_info": {"host": "applink-fake"}})
            await ws.close(code=1000)
            conn.closed_at = time.monotonic()
            return ws
        open_now = len([c for c in self.connections if c.open and not c.refused])
        await self._send_now(conn, {"type": "hello", "num_connections": open_now,
                                    "debug_info": {"host": f"applink-fake-{conn.id}", "build_number": 1,
                                                   "approximate_connection_time": 18060},
                                    "connection_info": {"app_id": self.APP_ID}})
        conn.hello_at = time.monotonic()
        self.log(f"socket: connection #{conn.id} hello")
        conn._tasks.append(asyncio.ensure_future(self._server_pings(conn)))
        self._flush_queue()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING:
                    conn.pings.append(time.monotonic())
                    if not conn.silenced:
                        await ws.pong(msg.data)
                elif msg.type == WSMsgType.PONG:
                    conn.pongs.append(time.monotonic())
                elif msg.type == WSMsgType.TEXT:
                    self._on_client_text(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.violation(f"socket #{conn.id}: binary message (Socket Mode is JSON text)")
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.ERROR):
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            conn.closed_at = conn.closed_at or time.monotonic()
            for t in conn._tasks:
                t.cancel()
            self.log(f"socket: connection #{conn.id} closed")
            self._flush_queue()
        return ws

    async def _server_pings(self, conn: SocketConn) -> None:
        while conn.open:
            await asyncio.sleep(self.server_ping_interval)
            if conn.open and not conn.silenced:
                try:
                    await conn.ws.ping(b"ping")
                except Exception:
                    return

    async def _send_now(self, conn: SocketConn, obj: Dict[str, Any]) -> None:
        await conn.ws.send_str(dumps(obj))
        conn.sent.append({"at": time.monotonic(), "type": obj.get("type"), "envelope_id": obj.get("envelope_id")})

    def _on_client_text(self, conn: SocketConn, data: str) -> None:
        conn.received.append(data)
        try:
            obj = json.loads(data)
        except ValueError:
            self.violation(f"socket #{conn.id}: message is not JSON: {data[:80]!r}")
            return
        if not isinstance(obj, dict) or "envelope_id" not in obj:
            self.violation(f"socket #{conn.id}: message is not an ack: {data[:120]!r}")
            return
        eid = obj["envelope_id"]
        env = next((e for e in self.envelopes if e.id == eid), None)
        conn.acks.append({"at": time.monotonic(), "envelope_id": eid, "payload": obj.get("payload")})
        extra = set(obj) - {"envelope_id", "payload"}
        if extra:
            self.violation(f"socket #{conn.id}: ack with unknown fields {sorted(extra)}")
        if env is None:
            self.violation(f"socket #{conn.id}: ack of unknown envelope {eid!r}")
            return
        payload = obj.get("payload")
        if payload is not None and not isinstance(payload, dict):
            self.violation(f"socket #{conn.id}: ack payload of {eid} is not an object")
        elif payload and not env.accepts_response_payload:
            self.violation(f"socket #{conn.id}: ack of {env.type} envelope {eid} carries a payload, "
                           "but accepts_response_payload is false")
        elif payload and env.type == "interactive" and env.payload.get("type") == "view_submission":
            ra = payload.get("response_action")
            if ra not in ("errors", "update", "push", "clear"):
                self.violation(f"socket #{conn.id}: view_submission ack response_action {ra!r}")
            elif ra == "errors" and not isinstance(payload.get("errors"), dict):
                self.violation(f"socket #{conn.id}: response_action errors without an errors object")
            elif ra in ("update", "push"):
                errs = self._view_errors(payload.get("view"))
                if errs:
                    self.violation(f"socket #{conn.id}: ack view invalid: {'; '.join(errs)}")
        elif payload and env.type == "slash_commands":
            blocks = payload.get("blocks")
            if blocks is not None:
                errs: List[str] = []
                self._blocks(blocks, "message", errs)
                if errs:
                    self.violation(f"socket #{conn.id}: slash ack blocks invalid: {'; '.join(errs)}")
        env.acks += 1
        if env.acks > max(1, env.deliveries):
            # One ack per delivery: a client that acked the first delivery
            # late and then the re-delivery did what Slack asks.
            self.violation(f"socket #{conn.id}: envelope {eid} acked twice")
            return
        if env.acked:
            return
        if env.timed_out:
            self.violation(f"socket #{conn.id}: envelope {eid} acked after its {self.ack_timeout:g} s deadline")
        env.acked, env.ack_payload, env.acked_at = True, payload, time.monotonic()

    # ------------------------------------------------------------ delivery
    def _pick(self, avoid: Optional[int] = None) -> Optional[SocketConn]:
        """The newest usable connection, healthy ones first; a retry goes elsewhere when it can."""
        usable = [c for c in self.connections if c.usable]
        healthy = [c for c in usable if not c.silenced]
        pool = healthy or usable
        if avoid is not None and any(c.id != avoid for c in pool):
            pool = [c for c in pool if c.id != avoid]
        return max(pool, key=lambda c: c.hello_at or 0) if pool else None

    def _flush_queue(self) -> None:
        while self._queue:
            conn = self._pick()
            if conn is None:
                return
            self._deliver(self._queue.pop(0), conn)

    def _enqueue(self, env: Envelope) -> Envelope:
        self.envelopes.append(env)
        conn = self._pick()
        if conn is None:
            self._queue.append(env)
        else:
            self._deliver(env, conn)
        return env

    def _deliver(self, env: Envelope, conn: SocketConn) -> None:
        env.deliveries += 1
        env.sent_at.append(time.monotonic())
        env.conns.append(conn.id)
        frame = env.frame()
        if conn.silenced:
            conn.dropped.append(frame)
        else:
            async def send() -> None:
                try:
                    await self._send_now(conn, frame)
                except Exception:
                    pass
            self._spawn(send())
        self._spawn(self._ack_deadline(env, env.deliveries))

    async def _ack_deadline(self, env: Envelope, delivery: int) -> None:
        await asyncio.sleep(self.ack_timeout)
        if env.acked or env.deliveries != delivery:
            return
        if env.type == "events_api" and env.retry_attempt < self.max_retries:
            env.retry_attempt += 1
            env.retry_reason = "timeout"
            self.log(f"socket: events_api {env.id} not acked, retry {env.retry_attempt}")
            conn = self._pick(avoid=env.conns[-1] if env.conns else None)
            if conn is None:
                self._queue.append(env)
            else:
                self._deliver(env, conn)
            return
        env.timed_out = True
        self.log(f"socket: {env.type} {env.id} not acked within {self.ack_timeout:g} s")

    def _new_envelope(self, type_: str, payload: Dict[str, Any], accepts: bool) -> Envelope:
        return Envelope(id=secrets.token_hex(4) + "-" + secrets.token_hex(2) + "-" + secrets.token_hex(6),
                        type=type_, payload=payload, accepts_response_payload=accepts, created_at=time.monotonic())

    def _trigger(self, user: str) -> str:
        tid = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(16)}"
        self._triggers[tid] = {"at": time.monotonic(), "used": False, "user": user}
        return tid

    def _user_ref(self, user: str) -> Dict[str, Any]:
        u = self.users.get(user, {"id": user, "name": user.lower()})
        return {"id": user, "username": u.get("name"), "name": u.get("name"), "team_id": self.TEAM_ID}

    # ------------------------------------------------------------ what users do
    def slash(self, text: str = "", user: Optional[str] = None, channel: Optional[str] = None,
              command: Optional[str] = None) -> Envelope:
        user = user or self.ALICE_ID
        channel = channel or self.STUDY_ID
        ch = self.channels.get(channel)
        payload = {
            "token": "fakeVerificationToken", "team_id": self.TEAM_ID, "team_domain": self.team_domain,
            "channel_id": channel, "channel_name": ch["name"] if ch else "directmessage", "user_id": user,
            "user_name": self.users.get(user, {}).get("name", user), "command": command or self.command,
            "text": text, "api_app_id": self.APP_ID, "is_enterprise_install": "false",
            "response_url": f"http://{self.host}:{self.api_port}/_fake/response_url/{secrets.token_hex(8)}",
            "trigger_id": self._trigger(user),
        }
        return self._enqueue(self._new_envelope("slash_commands", payload, True))

    def click(self, user: Optional[str], message: Dict[str, Any], action_id: str, channel: Optional[str] = None,
              value: Optional[str] = None) -> Envelope:
        """block_actions on a button (or other element) of a message, ephemeral or view the bot made."""
        user = user or self.ALICE_ID
        blocks = message.get("blocks") or []
        if "view" in message and isinstance(message["view"], dict):
            blocks = message["view"].get("blocks") or []
        found = None
        for b in blocks:
            els = b.get("elements") if b.get("type") == "actions" else [b.get("accessory")] if b.get("accessory") else []
            for e in els or []:
                if isinstance(e, dict) and e.get("action_id") == action_id:
                    found = (b, e)
        if found is None:
            raise FakeSlackError(f"no element with action_id {action_id!r} in that message")
        block, el = found
        action = {"action_id": action_id, "block_id": block.get("block_id", ""), "type": el.get("type"),
                  "action_ts": f"{time.time():.6f}"}
        if el.get("type") == "button":
            action["text"] = el.get("text")
            if el.get("value") is not None:
                action["value"] = el["value"]
        elif value is not None:
            opt = next((o for o in el.get("options", []) if o.get("value") == value), {"value": value})
            action["selected_option"] = opt
        trig = self._trigger(user)
        payload: Dict[str, Any] = {
            "type": "block_actions", "user": self._user_ref(user), "api_app_id": self.APP_ID,
            "token": "fakeVerificationToken", "trigger_id": trig,
            "team": {"id": self.TEAM_ID, "domain": self.team_domain}, "enterprise": None,
            "is_enterprise_install": False, "actions": [action], "state": {"values": {}},
        }
        if "view" in message or message.get("type") in ("home", "modal"):
            view = message.get("view", message)
            payload["container"] = {"type": "view", "view_id": message.get("id", "")}
            payload["view"] = {**view, "id": message.get("id", view.get("id", ""))}
        elif "message_ts" in message and "user" in message and "ts" not in message:  # an ephemeral
            ch = message["channel"]
            payload["container"] = {"type": "message", "message_ts": message["message_ts"], "channel_id": ch,
                                    "is_ephemeral": True}
            payload["channel"] = {"id": ch, "name": self.channels.get(ch, {}).get("name", "directmessage")}
            payload["response_url"] = f"http://{self.host}:{self.api_port}/_fake/response_url/{secrets.token_hex(8)}"
        else:
            ch = channel or message.get("channel")
            payload["container"] = {"type": "message", "message_ts": message["ts"], "channel_id": ch,
                                    "is_ephemeral": False}
            payload["channel"] = {"id": ch, "name": self.channels.get(ch, {}).get("name", "directmessage")}
            payload["message"] = {k: v for k, v in message.items() if k not in ("channel", "files")}
            payload["response_url"] = f"http://{self.host}:{self.api_port}/_fake/response_url/{secrets.token_hex(8)}"
        return self._enqueue(self._new_envelope("interactive", payload, False))

    def submit(self, user: Optional[str], view: Dict[str, Any], values: Dict[str, Any]) -> Envelope:
        """view_submission of a view the bot opened (an entry of fake.views): {block_id: value}."""
        user = user or view.get("user") or self.ALICE_ID
        v = view.get("view", view)
        state: Dict[str, Dict[str, Any]] = {}
        for b in v.get("blocks", []):
            if b.get("type") != "input" or b.get("block_id") not in values:
                continue
            el = b.get("element", {})
            val = values[b["block_id"]]
            aid = el.get("action_id", "input")
            t = el.get("type")
            if t in ("static_select", "radio_buttons"):
                opt = next((o for o in el.get("options", []) if o.get("value") == val), {"value": val})
                state[b["block_id"]] = {aid: {"type": t, "selected_option": opt}}
            elif t == "checkboxes":
                vals = val if isinstance(val, list) else [val]
                state[b["block_id"]] = {aid: {"type": t, "selected_options": [
                    o for o in el.get("options", []) if o.get("value") in vals]}}
            else:
                state[b["block_id"]] = {aid: {"type": t or "plain_text_input", "value": val}}
        missing = set(values) - set(state)
        if missing:
            raise FakeSlackError(f"no input blocks {sorted(missing)} in that view")
        obj = dict(view.get("obj") or self._view_obj(v, view.get("id")))
        obj["state"] = {"values": state}
        payload = {"type": "view_submission", "team": {"id": self.TEAM_ID, "domain": self.team_domain},
                   "user": self._user_ref(user), "api_app_id": self.APP_ID, "token": "fakeVerificationToken",
                   "trigger_id": self._trigger(user), "view": obj, "response_urls": [],
                   "is_enterprise_install": False, "enterprise": None}
        return self._enqueue(self._new_envelope("interactive", payload, True))

    def event(self, event: Dict[str, Any]) -> Envelope:
        event = dict(event)
        event.setdefault("event_ts", f"{time.time():.6f}")
        eid = "Ev" + secrets.token_hex(5).upper()
        payload = {"token": "fakeVerificationToken", "team_id": self.TEAM_ID, "context_team_id": self.TEAM_ID,
                   "context_enterprise_id": None, "api_app_id": self.APP_ID, "event": event,
                   "type": "event_callback", "event_id": eid, "event_time": int(time.time()),
                   "authorizations": [{"enterprise_id": None, "team_id": self.TEAM_ID, "user_id": self.BOT_USER_ID,
                                       "is_bot": True, "is_enterprise_install": False}],
                   "is_ext_shared_channel": False, "event_context": "4-" + secrets.token_hex(20)}
        return self._enqueue(self._new_envelope("events_api", payload, False))

    def message(self, channel: str, text: str, user: Optional[str] = None,
                thread_ts: Optional[str] = None) -> Envelope:
        user = user or self.ALICE_ID
        ts = self._next_ts()
        ev = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
              "client_msg_id": secrets.token_hex(16), "team": self.TEAM_ID,
              "channel_type": "im" if channel.startswith("D") else "channel", "event_ts": ts,
              "blocks": [{"type": "rich_text", "block_id": secrets.token_hex(2),
                          "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
        if thread_ts:
            ev["thread_ts"] = thread_ts
            ev["parent_user_id"] = next((m["user"] for m in self._messages if m["ts"] == thread_ts), user)
        return self.event(ev)

    def edit(self, channel: str, ts: str, text: str, user: Optional[str] = None) -> Envelope:
        user = user or self.ALICE_ID
        now = self._next_ts()
        ev = {"type": "message", "subtype": "message_changed", "channel": channel, "hidden": True, "ts": now,
              "event_ts": now, "channel_type": "channel",
              "message": {"type": "message", "user": user, "text": text, "ts": ts,
                          "edited": {"user": user, "ts": now}, "team": self.TEAM_ID},
              "previous_message": {"type": "message", "user": user, "ts": ts, "team": self.TEAM_ID}}
        return self.event(ev)

    def home_opened(self, user: Optional[str] = None) -> Envelope:
        user = user or self.ALICE_ID
        ev = {"type": "app_home_opened", "user": user, "channel": self._dm_for(user), "tab": "home"}
        last = self.home(user)
        if last is not None:
            ev["view"] = self._view_obj(last, last.get("id"))
        return self.event(ev)

    # ------------------------------------------------------------ connection control
    def _target(self, conn: Optional[SocketConn]) -> SocketConn:
        if conn is not None:
            return conn
        live = [c for c in self.connections if c.open and c.hello_at is not None]
        if not live:
            raise FakeSlackError("no open connection")
        return live[-1]

    def disconnect(self, reason: str = "refresh_requested", conn: Optional[SocketConn] = None,
                   close_after: Optional[float] = None) -> SocketConn:
        """Send a disconnect message; Slack closes the socket itself later
        (refresh_requested/warning: refresh_close_after s; link_disabled: soon)."""
        conn = self._target(conn)
        conn.disconnecting = reason
        if close_after is None:
            close_after = self.link_disabled_close_after if reason == "link_disabled" else self.refresh_close_after

        async def run() -> None:
            try:
                await self._send_now(conn, {"type": "disconnect", "reason": reason,
                                            "debug_info": {"host": f"applink-fake-{conn.id}"}})
            except Exception:
                return
            self._requeue_from(conn)
            await asyncio.sleep(close_after)
            if conn.open:
                await conn.ws.close(code=1000)
                conn.closed_at = conn.closed_at or time.monotonic()
        self._spawn(run())
        return conn

    def _requeue_from(self, conn: SocketConn) -> None:
        """Slack stops routing to a connection it told to go away."""
        self._flush_queue()

    def silence(self, conn: Optional[SocketConn] = None) -> SocketConn:
        conn = self._target(conn)
        conn.silenced = True
        return conn

    def send_fragmented(self, env_or_dict: Any, size: int = 4096, conn: Optional[SocketConn] = None) -> Any:
        """Write one text message as a first frame plus continuation frames."""
        conn = self._target(conn)
        if isinstance(env_or_dict, Envelope):
            env = env_or_dict
            if env not in self.envelopes:
                self.envelopes.append(env)
            env.deliveries += 1
            env.sent_at.append(time.monotonic())
            env.conns.append(conn.id)
            obj = env.frame()
            self._spawn(self._ack_deadline(env, env.deliveries))
        else:
            obj = env_or_dict
        data = dumps(obj).encode()
        transport = conn.request.transport
        if transport is None:
            raise FakeSlackError("connection has no transport")
        transport.write(ws_frames(0x1, data, max(1, size)))
        conn.sent.append({"at": time.monotonic(), "type": obj.get("type"), "envelope_id": obj.get("envelope_id"),
                          "fragmented": True})
        return env_or_dict

    # ------------------------------------------------------ builders for tests
    def fragmentable(self, text: str = "", user: Optional[str] = None) -> Envelope:
        """A slash envelope not yet delivered (for send_fragmented)."""
        user = user or self.ALICE_ID
        env = self._new_envelope("slash_commands", {
            "token": "fakeVerificationToken", "team_id": self.TEAM_ID, "team_domain": self.team_domain,
            "channel_id": self.STUDY_ID, "channel_name": "study", "user_id": user, "user_name": "alice",
            "command": self.command, "text": text, "api_app_id": self.APP_ID, "is_enterprise_install": "false",
            "response_url": f"http://{self.host}:{self.api_port}/_fake/response_url/x",
            "trigger_id": self._trigger(user)}, True)
        return env

    # ------------------------------------------------------ control endpoints
    def state(self) -> Dict[str, Any]:
        def env_json(e: Envelope) -> Dict[str, Any]:
            return {"id": e.id, "type": e.type, "acked": e.acked, "ack_payload": e.ack_payload,
                    "deliveries": e.deliveries, "timed_out": e.timed_out, "payload": e.payload}
        return {
            "violations": self.violations, "unknown_args": self.unknown_args, "rate_limited": self.rate_limited,
            "premature": self.premature,
            "connections": [{"id": c.id, "open": c.open, "hello": c.hello_at is not None, "acks": len(c.acks),
                             "pings": len(c.pings), "silenced": c.silenced, "disconnecting": c.disconnecting}
                            for c in self.connections],
            "envelopes": [env_json(e) for e in self.envelopes],
            "messages": self._messages, "ephemerals": self._ephemerals,
            "views": [{k: v for k, v in x.items()} for x in self.views],
            "homes": self._homes, "dm_channels": self.dm_channels,
            "files": [{**{k: v for k, v in f.items() if k != "data"}, "size": len(f["data"])} for f in self.files],
            "calls": [{k: v for k, v in c.items() if k != "headers"} for c in self._calls],
        }

    async def _control(self, request: web.Request) -> web.Response:
        action = request.path[len("/_fake/"):]
        if action.startswith("response_url/"):
            # response_url posts: recorded, answered ok (not modelled further).
            self._calls.append({"method": "response_url", "args": await request.text(), "headers": {},
                                "http_method": request.method, "content_type": request.headers.get("Content-Type"),
                                "status": 200, "response": {"ok": True}, "at": time.monotonic(), "violations": []})
            return web.json_response({"ok": True})
        return await super()._control(request)

    def _conn_by_id(self, cid: Any) -> Optional[SocketConn]:
        return next((c for c in self.connections if c.id == cid), None) if cid is not None else None

    async def _control_action(self, action: str, args: Dict[str, Any],
                              conn: Optional[SocketConn]) -> Optional[web.Response]:
        envj = lambda e: {"id": e.id, "type": e.type, "payload": e.payload}  # noqa: E731
        if action == "state":
            return web.json_response(self.state())
        if action == "slash":
            return web.json_response(envj(self.slash(args.get("text", ""), args.get("user"), args.get("channel"))))
        if action == "click":
            return web.json_response(envj(self.click(args.get("user"), args["message"], args["action_id"],
                                                     args.get("channel"), args.get("value"))))
        if action == "submit":
            return web.json_response(envj(self.submit(args.get("user"), args["view"], args["values"])))
        if action == "message":
            return web.json_response(envj(self.message(args["channel"], args["text"], args.get("user"),
                                                       args.get("thread_ts"))))
        if action == "edit":
            return web.json_response(envj(self.edit(args["channel"], args["ts"], args["text"], args.get("user"))))
        if action == "home_opened":
            return web.json_response(envj(self.home_opened(args.get("user"))))
        if action == "event":
            return web.json_response(envj(self.event(args["event"])))
        if action == "inject":
            self.inject(args["method"], int(args.get("status", 200)), float(args.get("retry_after", 1)),
                        int(args.get("times", 1)), args.get("error"))
            return web.json_response({})
        if action == "disconnect":
            return web.json_response({"conn": self.disconnect(args.get("reason", "refresh_requested"), conn).id})
        if action == "silence":
            return web.json_response({"conn": self.silence(conn).id})
        return None


# ----------------------------------------------------------------------- CLI

async def _main(args: argparse.Namespace) -> int:
    world: Dict[str, Any] = {}
    if args.world:
        with open(args.world, encoding="utf-8") as f:
            world = json.load(f)
    fake = FakeSlack(app_token=args.app_token, bot_token=args.bot_token, ack_timeout=args.ack_timeout,
                     rate_scale=args.rate_scale, openapi_path=args.openapi, log=cli_log(args),
                     users=world.get("users"), channels=world.get("channels"))
    return await serve_until_signal(fake, args, lambda: {
        "violations": fake.violations, "rate_limited": fake.rate_limited, "premature": fake.premature,
        "unknown_args": fake.unknown_args})


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Fake Slack (Web API + Socket Mode) on loopback.")
    p.add_argument("--app-token", default="xapp-1-A0STUDYBOT-1-fake", help="the app-level token (xapp-)")
    p.add_argument("--bot-token", default="xoxb-1-2-fake", help="the bot token (xoxb-)")
    p.add_argument("--ack-timeout", type=float, default=3.0, help="seconds before an unacked envelope times out")
    p.add_argument("--world", help='JSON file {"users": [...], "channels": [...]} as the constructor takes them')
    p.add_argument("--rate-scale", type=float, default=1.0, help="multiply every rate-limit window by this")
    p.add_argument("--openapi", help="path of web-api-openapi-v2.json (default: $SLACK_OPENAPI or the shared copy)")
    add_cli_args(p, "write one JSON line with api_base, tokens and ids here once serving",
                 "on SIGTERM, write violations and rate-limit records here as JSON")
    args = p.parse_args(argv)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())

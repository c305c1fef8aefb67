#!/usr/bin/python3
"""A fake Discord (REST API v10 + Gateway) for testing bots offline.

It is held to Discord's own documentation (discord-api-docs: the Gateway,
Gateway Events, Opcodes and Status Codes, Rate Limits, Message and
Interactions pages) and to Discord's OpenAPI description of HTTP API v10:
every REST request is checked against the spec and against the documented
limits the spec does not encode, and every gateway payload against the
documented protocol. Whatever a client does wrong lands in `fake.violations`;
a test asserts that list is empty.

Three loopback ports, all random:
  REST      http://127.0.0.1:P/api/v10/...        (plus /_fake/* control endpoints)
  gateway   ws://127.0.0.1:G/?v=10&encoding=json[&compress=zlib-stream]
  resume    ws://127.0.0.1:R   (the READY's resume_gateway_url, so a test can
            tell whether a client resumed where Discord told it to)

In-process use:

    async with FakeDiscord(token="t", allowed_privileged=MESSAGE_CONTENT) as fake:
        ...start the bot with fake.api_base / fake.gateway_url...
        conn, = await fake.wait_identified()
        fake.message_create(fake.channel_id, "hello")
        inter = fake.interaction("command", name="study")
        await fake.wait_for(lambda: inter.callbacks, 5)
        assert fake.violations == []

CLI use (benchmarks, clients in other languages):

    /usr/bin/python3 fake_discord.py --token T --ready-file F

writes one JSON line with ports and URLs to F and serves until SIGTERM; the
same injections are reachable over HTTP at http://127.0.0.1:P/_fake/*.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as _dt
import email.parser
import email.policy
import hashlib
import itertools
import json
import os
import re
import secrets
import socket
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Tuple, Union

from aiohttp import WSMsgType, web

if __name__ == "__main__":
    sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openapi_check import (  # noqa: E402  (import after the path tweak above)
    FieldError,
    NoSuchMethod,
    NoSuchPath,
    default_spec_path,
    errors_tree,
    load_spec,
)
from fakebase import FakeBase, FakeError, add_cli_args, cli_log, serve_until_signal  # noqa: E402

# ----------------------------------------------------------------- constants

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10

# Gateway intents (docs/events/gateway.mdx "List of Intents").
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_EXPRESSIONS = 1 << 3
GUILD_INTEGRATIONS = 1 << 4
GUILD_WEBHOOKS = 1 << 5
GUILD_INVITES = 1 << 6
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
DIRECT_MESSAGE_TYPING = 1 << 14
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
AUTO_MODERATION_CONFIGURATION = 1 << 20
AUTO_MODERATION_EXECUTION = 1 << 21
GUILD_MESSAGE_POLLS = 1 << 24
DIRECT_MESSAGE_POLLS = 1 << 25
VALID_INTENTS = (
    (1 << 17) - 1
    | AUTO_MODERATION_CONFIGURATION
    | AUTO_MODERATION_EXECUTION
    | GUILD_MESSAGE_POLLS
    | DIRECT_MESSAGE_POLLS
)
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Gateway opcodes.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_GUILD_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK, OP_REQUEST_SOUNDBOARD_SOUNDS = 10, 11, 31
CLIENT_OPS = {OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE, OP_RESUME,
              OP_REQUEST_GUILD_MEMBERS, OP_REQUEST_SOUNDBOARD_SOUNDS}

# Gateway close codes, with the docs' "Resume" column: after a close whose
# code says resume=false, the session is gone.
CLOSE_CODES = {
    4000: ("Unknown error", True),
    4001: ("Unknown opcode", False),
    4002: ("Decode error", True),
    4003: ("Not authenticated", False),
    4004: ("Authentication failed", False),
    4005: ("Already authenticated", False),
    4007: ("Invalid seq", False),
    4008: ("Rate limited", True),
    4009: ("Session timed out", False),
    4010: ("Invalid shard", False),
    4011: ("Sharding required", False),
    4012: ("Invalid API version", False),
    4013: ("Invalid intent(s)", False),
    4014: ("Disallowed intent(s)", False),
}

# Which intent an event needs (guild variant, DM variant); events not listed
# are sent regardless of intents.
EVENT_INTENTS: Dict[str, Tuple[int, int]] = {}
for _ev in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE", "GUILD_ROLE_CREATE", "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE", "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "THREAD_CREATE",
            "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBER_UPDATE",
            "STAGE_INSTANCE_CREATE", "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE"):
    EVENT_INTENTS[_ev] = (GUILDS, GUILDS)
for _ev in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"):
    EVENT_INTENTS[_ev] = (GUILD_MEMBERS, GUILD_MEMBERS)
for _ev in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"):
    EVENT_INTENTS[_ev] = (GUILD_MESSAGES, DIRECT_MESSAGES)
for _ev in ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL",
            "MESSAGE_REACTION_REMOVE_EMOJI"):
    EVENT_INTENTS[_ev] = (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS)
EVENT_INTENTS["TYPING_START"] = (GUILD_MESSAGE_TYPING, DIRECT_MESSAGE_TYPING)
EVENT_INTENTS["PRESENCE_UPDATE"] = (GUILD_PRESENCES, GUILD_PRESENCES)

# Channel types.
GUILD_TEXT, DM, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 11, 12
THREAD_TYPES = (10, 11, 12)

# Message flags.
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_IS_COMPONENTS_V2 = 1 << 15

ALL_PERMISSIONS = str((1 << 51) - 1)
USER_AGENT_RE = re.compile(r"^DiscordBot \(([^,()\s][^,()]*), ([^()]+)\)")


def now_iso() -> str:
    """Discord's timestamp format: microseconds and an explicit +00:00 offset."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def snowflake_time_iso(snowflake: str) -> str:
    ms = (int(snowflake) >> 22) + DISCORD_EPOCH_MS
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).isoformat(timespec="microseconds")


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Snowflakes:
    """Real-shaped snowflakes: timestamp since the Discord epoch, worker, process, increment."""

    def __init__(self) -> None:
        self._inc = itertools.count()
        self._last = 0

    def next(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        ms = max(ms, self._last)  # monotonic even if the wall clock steps back
        self._last = ms
        return str((ms << 22) | (1 << 17) | ((os.getpid() & 0x1F) << 12) | (next(self._inc) & 0xFFF))


# -------------------------------------------------------------------- records

@dataclass
class RestRequest:
    """One REST request as the fake saw it."""

    method: str
    path: str  # path after /api/v10
    raw_path: str  # full request path
    query: Dict[str, List[str]]
    headers: Dict[str, str]  # lower-case names
    body: bytes
    json: Any = None
    template: Optional[str] = None
    params: Dict[str, str] = field(default_factory=dict)
    time: float = 0.0  # time.monotonic() on arrival
    status: Optional[int] = None
    response: Any = None
    violations: List[str] = field(default_factory=list)
    files: List[str] = field(default_factory=list)
    handled: bool = False  # reached the route's handler (not refused or injected before)


@dataclass
class Interaction:
    id: str
    token: str
    kind: str
    payload: Dict[str, Any]
    created_at: float  # monotonic, when queued
    sent_at: Optional[float] = None  # monotonic, when written to a socket
    callbacks: List[Dict[str, Any]] = field(default_factory=list)
    acknowledged: bool = False
    original_message_id: Optional[str] = None
    channel_id: Optional[str] = None
    followups: List[str] = field(default_factory=list)


class Session:
    """A gateway session: sequence counter and replay buffer survive connections."""

    def __init__(self, session_id: str, token: str, intents: int, shard: Optional[List[int]],
                 identify: Dict[str, Any]):
        self.id = session_id
        self.token = token
        self.intents = intents
        self.shard = shard
        self.identify = identify
        self.seq = 0
        self.buffer: Deque[Tuple[int, str, Any]] = collections.deque()
        self.valid = True
        self.conn: Optional["GatewayConnection"] = None
        self.detached_at: Optional[float] = None
        self.created_at = time.monotonic()


class GatewayConnection:
    """Everything the fake knows about one websocket connection (tests read these fields)."""

    _ids = itertools.count(1)

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, port_kind: str):
        self.id = next(self._ids)
        self.ws = ws
        self.request = request
        self.port_kind = port_kind  # "base" or "resume"
        self.query = dict(request.query)
        self.compress = request.query.get("compress") == "zlib-stream"
        self.opened_at = time.monotonic()
        self.hello_at: Optional[float] = None
        self.closed_at: Optional[float] = None
        # Client -> server payloads: {"at", "op", "payload"} (payload is the parsed dict or raw text).
        self.received: List[Dict[str, Any]] = []
        # Server -> client payloads: {"at", "op", "t", "s"}.
        self.sent: List[Dict[str, Any]] = []
        self.identify: Optional[Dict[str, Any]] = None
        self.resume: Optional[Dict[str, Any]] = None
        self.session: Optional[Session] = None
        self.identified = False
        self.resumed = False
        self.replayed: List[int] = []  # sequence numbers replayed on RESUME
        self.heartbeats: List[float] = []  # arrival times
        self.heartbeat_seqs: List[Any] = []  # the `d` of each heartbeat
        self.first_heartbeat_delay: Optional[float] = None  # seconds from HELLO
        self.heartbeat_intervals: List[float] = []  # seconds between heartbeats
        self.withhold_acks = 0  # do not ACK this many more heartbeats
        self.acks_withheld = 0
        self.acks_sent = 0
        self.heartbeat_requests: List[Dict[str, Any]] = []  # {"sent", "answered", "delay"}
        self.close_code_sent: Optional[int] = None
        self.close_reason_sent: Optional[str] = None
        self.client_close_code: Optional[int] = None
        self.was_reset = False
        self.closing = False  # a close frame is queued: later client payloads are ignored
        self.send_times: Deque[float] = collections.deque()
        self.bytes_sent = 0
        self.frames_sent = 0
        self._compressor = zlib.compressobj() if self.compress else None
        self._queue: "asyncio.Queue[Tuple[str, Any]]" = asyncio.Queue()
        self._writer: Optional[asyncio.Task] = None
        self._lock = asyncio.Lock()

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.ws.closed

    @property
    def session_id(self) -> Optional[str]:
        return self.session.id if self.session else None

    def __repr__(self) -> str:
        return (f"<GatewayConnection #{self.id} {self.port_kind} identified={self.identified} "
                f"resumed={self.resumed} open={self.open} close_sent={self.close_code_sent} "
                f"client_close={self.client_close_code}>")


class FakeDiscordError(FakeError):
    pass


# ---------------------------------------------------------------- the fake

class FakeDiscord(FakeBase):
    """The fake Discord. Construct, `await start()` (or `async with`), point a client at it."""

    # Fixed, realistic-looking ids so configurations can name them.
    BOT_ID = "1200000000000000001"
    GUILD_ID = "1200000000000000100"
    GENERAL_ID = "1200000000000000101"
    STUDY_ID = "1200000000000000102"
    THREAD_ID = "1200000000000000103"
    ALICE_ID = "1200000000000000201"
    BOB_ID = "1200000000000000202"

    def __init__(
        self,
        token: str = "fake-bot-token",
        *,
        heartbeat_interval: int = 41250,
        heartbeat_timeout_factor: float = 1.5,
        heartbeat_timeout_close: Optional[int] = 4000,
        allowed_privileged: int = 0,
        guilds: Optional[List[Dict[str, Any]]] = None,
        users: Optional[List[Dict[str, Any]]] = None,
        bot_username: str = "studybot",
        shards: int = 1,
        required_shard_count: Optional[int] = None,
        session_start_total: int = 1000,
        session_start_remaining: Optional[int] = None,
        session_start_reset_after: int = 14400000,
        max_concurrency: int = 1,
        identify_window: float = 5.0,
        identify_tolerance: float = 0.05,
        split_frames: bool = False,
        split_frame_size: int = 512,
        send_limit: int = 120,
        send_window: float = 60.0,
        max_payload_bytes: int = 4096,
        session_timeout: float = 120.0,
        replay_buffer: int = 10000,
        reconnect_grace: float = 5.0,
        filter_intents: bool = True,
        rate_limits: Optional[Dict[Tuple[str, str], Dict[str, Any]]] = None,
        default_rate_limit: Tuple[int, float] = (50, 1.0),
        global_limit: int = 50,
        global_window: float = 1.0,
        interaction_deadline: float = 3.0,
        interaction_token_lifetime: float = 900.0,
        nonce_window: float = 300.0,
        openapi_path: Optional[str] = None,
        host: str = "127.0.0.1",
        log: Optional[Callable[[str], None]] = None,
    ):
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.heartbeat_timeout_factor = heartbeat_timeout_factor
        self.heartbeat_timeout_close = heartbeat_timeout_close
        self.allowed_privileged = allowed_privileged
        self.shards = shards
        self.required_shard_count = required_shard_count
        self.session_start_total = session_start_total
        self.session_start_remaining = (session_start_total if session_start_remaining is None
                                        else session_start_remaining)
        self.session_start_reset_after = session_start_reset_after
        self._sl_window_start = time.monotonic()
        self.max_concurrency = max_concurrency
        self.identify_window = identify_window
        # Arrival times jitter by a few ms against the client's send times.
        self.identify_tolerance = identify_tolerance
        self.split_frames = split_frames
        self.split_frame_size = split_frame_size
        self.send_limit = send_limit
        self.send_window = send_window
        self.max_payload_bytes = max_payload_bytes
        self.session_timeout = session_timeout
        self.replay_buffer = replay_buffer
        self.reconnect_grace = reconnect_grace
        self.filter_intents = filter_intents
        self.default_rate_limit = default_rate_limit
        self.global_limit = global_limit
        self.global_window = global_window
        self.interaction_deadline = interaction_deadline
        self.interaction_token_lifetime = interaction_token_lifetime
        self.nonce_window = nonce_window
        FakeBase.__init__(self, host, log)

        # Per-route limits: (METHOD, template) -> {"limit", "window", "bucket"?}.
        # Create Message: 5 per 5 s per channel, as bots commonly observe; message
        # deletion has its own, higher limit per the docs.
        self.rate_limits: Dict[Tuple[str, str], Dict[str, Any]] = {
            ("POST", "/channels/{channel_id}/messages"): {"limit": 5, "window": 5.0},
            ("DELETE", "/channels/{channel_id}/messages/{message_id}"): {"limit": 100, "window": 1.0},
        }
        if rate_limits:
            self.rate_limits.update(rate_limits)

        self.spec = load_spec(openapi_path or default_spec_path())
        self.ids = Snowflakes()

        # What tests read.
        self.unimplemented: List[str] = []
        self.premature: List[Dict[str, Any]] = []
        self.requests: List[RestRequest] = []
        self.callbacks: List[Dict[str, Any]] = []
        self.sessions: Dict[str, Session] = {}
        self.interactions: Dict[str, Interaction] = {}
        self.messages: Dict[str, List[Dict[str, Any]]] = collections.defaultdict(list)
        self.identify_count = 0
        self.stream_results: List[Dict[str, Any]] = []

        # The world.
        self.bot_user = {
            "id": self.BOT_ID, "username": bot_username, "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True, "system": False, "mfa_enabled": False, "banner": None,
            "accent_color": None, "locale": "en-US", "verified": True, "email": None, "flags": 0,
            "premium_type": 0, "public_flags": 0, "avatar_decoration_data": None,
        }
        self.application = {
            "id": self.BOT_ID, "name": bot_username, "icon": None, "description": "",
            "type": None, "bot_public": True, "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32), "flags": (1 << 19) if allowed_privileged & MESSAGE_CONTENT else 0,
            "team": None, "summary": "", "hook": True, "is_monetized": False,
            "install_params": None, "integration_types_config": {"0": {}},
            "owner": {"id": "1200000000000000999", "username": "owner", "discriminator": "0",
                      "global_name": "Owner", "avatar": None, "public_flags": 0, "flags": 0},
            "bot": {k: self.bot_user[k] for k in ("id", "username", "discriminator", "avatar", "bot",
                                                  "global_name", "public_flags", "flags")},
            "redirect_uris": [], "interactions_endpoint_url": None, "approximate_guild_count": 1,
        }
        self.users: Dict[str, Dict[str, Any]] = {self.BOT_ID: self.bot_user}
        for u in users or [{"id": self.ALICE_ID, "username": "alice"}, {"id": self.BOB_ID, "username": "bob"}]:
            self.add_user(u["id"], u["username"], **{k: v for k, v in u.items() if k not in ("id", "username")})
        self.guilds: Dict[str, Dict[str, Any]] = {}
        self.channels: Dict[str, Dict[str, Any]] = {}
        self.members: Dict[Tuple[str, str], Dict[str, Any]] = {}
        for g in guilds if guilds is not None else [self._default_guild_spec()]:
            self.add_guild(g)
        self.dm_channels: Dict[str, str] = {}  # recipient id -> channel id
        self.commands: Dict[Optional[str], List[Dict[str, Any]]] = {}  # guild id (None = global) -> commands
        self.reactions: List[Tuple[str, str, str]] = []

        # REST machinery.
        self._buckets: Dict[Tuple[str, str], Dict[str, float]] = {}
        self._informed: Dict[Tuple[str, str, str], float] = {}  # (method, template, major) -> reset time told
        self._global_window_start = 0.0
        self._global_count = 0
        self._global_reset_told = 0.0
        self._injections: List[Dict[str, Any]] = []
        self._delays: List[Dict[str, Any]] = []
        self._nonces: Dict[Tuple[str, str, str], Tuple[float, str]] = {}
        self._identify_times: Dict[int, float] = {}
        self.rest_port = self.gateway_port = self.resume_port = 0
        self._started = False

    # ------------------------------------------------------------- world setup
    def _default_guild_spec(self) -> Dict[str, Any]:
        return {
            "id": self.GUILD_ID, "name": "Study Group",
            "channels": [{"id": self.GENERAL_ID, "name": "general"},
                         {"id": self.STUDY_ID, "name": "daily-question"}],
            "threads": [{"id": self.THREAD_ID, "name": "answers", "parent_id": self.STUDY_ID}],
            "members": [self.ALICE_ID, self.BOB_ID],
        }

    def add_user(self, user_id: str, username: str, **extra: Any) -> Dict[str, Any]:
        user = {"id": user_id, "username": username, "discriminator": "0", "global_name": username.title(),
                "avatar": None, "public_flags": 0, "flags": 0, "banner": None, "accent_color": None,
                "avatar_decoration_data": None, "collectibles": None, "primary_guild": None}
        user.update(extra)
        self.users[user_id] = user
        return user

    def _user(self, user_id: str) -> Dict[str, Any]:
        if user_id not in self.users:
            self.add_user(user_id, f"user{user_id[-4:]}")
        return self.users[user_id]

    def add_guild(self, spec: Dict[str, Any]) -> Dict[str, Any]:
        gid = spec["id"]
        joined = now_iso()
        guild = {
            "id": gid, "name": spec.get("name", "Guild"), "icon": None, "icon_hash": None, "splash": None,
            "discovery_splash": None, "owner_id": spec.get("owner_id", self.application["owner"]["id"]),
            "afk_channel_id": None, "afk_timeout": 300, "widget_enabled": False,
            "verification_level": 1, "default_message_notifications": 1, "explicit_content_filter": 2,
            "roles": [
                {"id": gid, "name": "@everyone", "color": 0, "colors": {"primary_color": 0, "secondary_color": None,
                                                                       "tertiary_color": None},
                 "hoist": False, "icon": None, "unicode_emoji": None, "position": 0,
                 "permissions": "2248473465835073", "managed": False, "mentionable": False, "flags": 0},
                {"id": str(int(gid) + 50), "name": spec.get("bot_role", "studybot"), "color": 0,
                 "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                 "hoist": False, "icon": None, "unicode_emoji": None, "position": 1,
                 "permissions": "397821737024", "managed": True, "mentionable": False, "flags": 0,
                 "tags": {"bot_id": self.BOT_ID}},
            ],
            "emojis": [], "features": [], "mfa_level": 0, "application_id": None,
            "system_channel_id": spec["channels"][0]["id"] if spec.get("channels") else None,
            "system_channel_flags": 0, "rules_channel_id": None, "max_presences": None, "max_members": 25000000,
            "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "premium_subscription_count": 0, "preferred_locale": "en-US", "public_updates_channel_id": None,
            "max_video_channel_users": 25, "max_stage_video_channel_users": 50, "nsfw_level": 0,
            "stickers": [], "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None,
            "incidents_data": None, "latest_onboarding_question_id": None, "home_header": None,
            "hub_type": None, "nsfw": False, "inventory_settings": None, "version": int(time.time() * 1000),
            "region": "deprecated", "lazy": True, "large": False, "unavailable": False,
            "joined_at": joined, "member_count": 0, "voice_states": [], "members": [], "channels": [],
            "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [], "embedded_activities": [], "activity_instances": [],
            "application_command_counts": {},
        }
        self.guilds[gid] = guild
        bot_member = self._make_member(gid, self.BOT_ID, roles=[str(int(gid) + 50)], joined_at=joined)
        self.members[(gid, self.BOT_ID)] = bot_member
        guild["members"].append(bot_member)
        for uid in spec.get("members", []):
            m = self._make_member(gid, uid)
            self.members[(gid, uid)] = m
            guild["members"].append(m)
        guild["member_count"] = len(guild["members"])
        for pos, ch in enumerate(spec.get("channels", [])):
            self.add_channel(gid, ch["id"], ch.get("name", f"channel-{pos}"), ch.get("type", GUILD_TEXT),
                             position=pos)
        for th in spec.get("threads", []):
            self.add_thread(gid, th["id"], th.get("name", "thread"), th["parent_id"], th.get("type", PUBLIC_THREAD))
        return guild

    def _make_member(self, guild_id: str, user_id: str, roles: Optional[List[str]] = None,
                     joined_at: Optional[str] = None) -> Dict[str, Any]:
        return {"user": self._user(user_id), "nick": None, "avatar": None, "banner": None,
                "roles": roles or [], "joined_at": joined_at or snowflake_time_iso(guild_id),
                "premium_since": None, "deaf": False, "mute": False, "flags": 0, "pending": False,
                "communication_disabled_until": None, "unusual_dm_activity_until": None}

    def add_channel(self, guild_id: str, channel_id: str, name: str, type_: int = GUILD_TEXT,
                    position: int = 0) -> Dict[str, Any]:
        ch = {"id": channel_id, "type": type_, "guild_id": guild_id, "name": name, "position": position,
              "permission_overwrites": [], "topic": None, "nsfw": False, "last_message_id": None,
              "rate_limit_per_user": 0, "parent_id": None, "flags": 0, "icon_emoji": None,
              "theme_color": None, "default_thread_rate_limit_per_user": 0}
        self.channels[channel_id] = ch
        # In GUILD_CREATE, channels come without guild_id (clients fill it in).
        self.guilds[guild_id]["channels"].append({k: v for k, v in ch.items() if k != "guild_id"})
        return ch

    def add_thread(self, guild_id: str, thread_id: str, name: str, parent_id: str,
                   type_: int = PUBLIC_THREAD, owner_id: Optional[str] = None,
                   announce: bool = False) -> Dict[str, Any]:
        ts = now_iso()
        th = {"id": thread_id, "type": type_, "guild_id": guild_id, "parent_id": parent_id, "name": name,
              "owner_id": owner_id or self.BOT_ID, "last_message_id": None, "message_count": 0,
              "member_count": 1, "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0,
              "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": ts,
                                  "locked": False, "create_timestamp": ts,
                                  **({"invitable": True} if type_ == PRIVATE_THREAD else {})},
              "member": {"id": thread_id, "user_id": self.BOT_ID, "join_timestamp": ts, "flags": 1}}
        self.channels[thread_id] = th
        if guild_id in self.guilds:
            self.guilds[guild_id]["threads"].append(th)
        if announce:
            self.dispatch("THREAD_CREATE", {**th, "newly_created": True})
        return th

    @property
    def guild_id(self) -> str:
        return next(iter(self.guilds))

    @property
    def channel_id(self) -> str:
        """The first text channel of the first guild."""
        return next(c["id"] for c in self.channels.values() if c["type"] == GUILD_TEXT)

    # --------------------------------------------------------------- lifecycle
    async def start(self) -> "FakeDiscord":
        rest = web.Application(client_max_size=64 * 1024 * 1024)
        rest.router.add_route("*", "/{tail:.*}", self._rest_entry)
        self.rest_port = await self._serve(rest)
        async def base_entry(request: web.Request) -> web.StreamResponse:
            return await self._ws_entry(request, "base")

        async def resume_entry(request: web.Request) -> web.StreamResponse:
            return await self._ws_entry(request, "resume")
        base = web.Application()
        base.router.add_route("GET", "/{tail:.*}", base_entry)
        self.gateway_port = await self._serve(base)
        resume = web.Application()
        resume.router.add_route("GET", "/{tail:.*}", resume_entry)
        self.resume_port = await self._serve(resume)
        self._started = True
        return self

    async def _stop_conn(self, conn: GatewayConnection) -> None:
        if conn.open:
            conn.close_code_sent, conn.close_reason_sent = 1001, "shutting down"
            await self._close_ws(conn.ws)
        if conn._writer:
            conn._writer.cancel()

    @property
    def api_base(self) -> str:
        """What a client library takes as its API root (discord.js `rest.api`): no version."""
        return f"http://{self.host}:{self.rest_port}/api"

    @property
    def api_url(self) -> str:
        return f"{self.api_base}/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.gateway_port}"

    @property
    def resume_url(self) -> str:
        return f"ws://{self.host}:{self.resume_port}"

    @property
    def control_url(self) -> str:
        return f"http://{self.host}:{self.rest_port}/_fake"

    def info(self) -> Dict[str, Any]:
        """The CLI's ready-file line: everything a client in another process needs."""
        return {
            "pid": os.getpid(), "token": self.token, "rest_port": self.rest_port,
            "gateway_port": self.gateway_port, "resume_port": self.resume_port,
            "api_base": self.api_base, "api_url": self.api_url, "gateway_url": self.gateway_url,
            "resume_gateway_url": self.resume_url, "control_url": self.control_url,
            "application_id": self.application["id"], "bot_user_id": self.BOT_ID,
            "guild_id": self.guild_id, "channel_id": self.channel_id,
            "channels": {c["name"]: cid for cid, c in self.channels.items()},
            "users": {u["username"]: uid for uid, u in self.users.items()},
        }

    # ------------------------------------------------------------ waiting in tests
    async def wait_identified(self, n: int = 1, timeout: float = 10.0) -> List[GatewayConnection]:
        """Wait until n connections have completed IDENTIFY (READY sent); return them."""
        return await self.wait_connections(lambda c: c.identified, n, timeout, f"{n} identified connection(s)")

    async def wait_resumed(self, n: int = 1, timeout: float = 10.0) -> List[GatewayConnection]:
        """Wait until n connections have completed RESUME (RESUMED sent); return them."""
        return await self.wait_connections(lambda c: c.resumed, n, timeout, f"{n} resumed connection(s)")

    def live_connections(self) -> List[GatewayConnection]:
        return [c for c in self.connections if c.open and c.session is not None and c.session.conn is c]

    def requests_to(self, method: str, template: str) -> List[RestRequest]:
        return [r for r in self.requests if r.method == method and r.template == template]

    # ============================================================== REST side
    CALLBACK_ROUTE = "/interactions/{interaction_id}/{interaction_token}/callback"

    async def _rest_entry(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/_fake/"):
            return await self._control(request)
        rec_count = len(self.requests)
        resp = await self._rest_handle(request)
        rec = self.requests[rec_count] if len(self.requests) > rec_count else None
        if rec is not None and rec.template == self.CALLBACK_ROUTE and not rec.handled:
            # Every callback attempt is recorded, also those refused before the
            # handler (invalid body, rate limit, injected failure).
            self._record_callback(rec, rec.json, rec.status)
        return resp

    def _record_callback(self, rec: RestRequest, body: Any, status: Optional[int]) -> Dict[str, Any]:
        iid = rec.params.get("interaction_id", "")
        body = body if isinstance(body, dict) else {}
        now = time.monotonic()
        # "delay" runs to when the fake has checked the request; "received"
        # to when the request reached it, which is the client's own share.
        entry = {"interaction_id": iid, "type": body.get("type"), "data": body.get("data"), "at": now,
                 "delay": None, "received": None, "status": status, "accepted": False}
        self.callbacks.append(entry)
        inter = self.interactions.get(iid)
        if inter is not None and inter.token == rec.params.get("interaction_token"):
            inter.callbacks.append(entry)
            entry["delay"] = now - (inter.sent_at or inter.created_at)
            entry["received"] = rec.time - (inter.sent_at or inter.created_at)
        return entry

    async def _rest_handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        query: Dict[str, List[str]] = {}
        for k, v in request.query.items():
            query.setdefault(k, []).append(v)
        m = re.match(r"^/api/v(\d+)(/.*)$", request.path)
        path = m.group(2) if m else request.path
        rec = RestRequest(request.method, path, request.path, query, headers, body, time=time.monotonic())
        self.requests.append(rec)

        def fail(status: int, payload: Any, why: Optional[str] = None,
                 extra_headers: Optional[Dict[str, str]] = None) -> web.Response:
            if why:
                msg = f"{rec.method} {request.path}: {why}"
                rec.violations.append(msg)
                self.violation(msg)
            rec.status, rec.response = status, payload
            return web.json_response(payload, status=status, headers=extra_headers)

        # Version: only v10 exists here.
        if not m:
            return fail(404, {"message": "404: Not Found", "code": 0}, "path is not under /api/v10")
        if int(m.group(1)) != API_VERSION:
            return fail(404, {"message": "404: Not Found", "code": 0},
                        f"API version v{m.group(1)} requested; only v{API_VERSION} is served")

        # Route: the spec must know the path and the method.
        try:
            match = self.spec.match(request.method, path)
        except NoSuchMethod as e:
            return fail(405, {"message": "405: Method Not Allowed", "code": 0},
                        f"method not defined for {e.template} (allowed: {', '.join(e.allowed)})")
        except NoSuchPath:
            return fail(404, {"message": "404: Not Found", "code": 0}, "no such path in the OpenAPI spec")
        rec.template, rec.params = match.template, match.params
        key = (request.method, match.template)

        # User-Agent: Discord requires "DiscordBot ($url, $versionNumber)".
        ua = headers.get("user-agent", "")
        if not USER_AGENT_RE.match(ua):
            msg = f"{rec.method} {request.path}: User-Agent {ua!r} is not 'DiscordBot ($url, $versionNumber)'"
            rec.violations.append(msg)
            self.violation(msg)

        # Authorization: required unless the spec's security allows none; a
        # token that is present must be right either way.
        auth = headers.get("authorization")
        if auth is not None and auth != f"Bot {self.token}":
            return fail(401, {"message": "401: Unauthorized", "code": 0},
                        "Authorization is not 'Bot <the token>'")
        if auth is None and self.spec.requires_auth(match):
            return fail(401, {"message": "401: Unauthorized", "code": 0}, "missing Authorization header")

        # Parameters and body, against the spec and the docs.
        errors: List[FieldError] = self.spec.validate_params(match, query)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        content_types = self.spec.body_content_types(match)
        payload: Any = None
        if body:
            if not content_types:
                errors.append(FieldError((), "BODY_NOT_ALLOWED", "This route takes no request body."))
            elif ctype == "application/json":
                try:
                    payload = json.loads(body)
                except ValueError:
                    return fail(400, {"message": "The request body contains invalid JSON.", "code": 50109},
                                "body is not valid JSON")
            elif ctype == "multipart/form-data" and ctype in content_types:
                try:
                    payload, rec.files = self._parse_multipart(headers.get("content-type", ""), body)
                except ValueError:
                    return fail(400, {"message": "The request body contains invalid JSON.", "code": 50109},
                                "payload_json is not valid JSON")
            else:
                return fail(400, {"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": [
                    {"code": "CONTENT_TYPE_INVALID",
                     "message": f"Expected \"Content-Type\" header to be one of {sorted(content_types)}."}]}},
                    f"body sent with Content-Type {ctype!r}")
        elif self.spec.body_required(match):
            errors.append(FieldError((), "BASE_TYPE_REQUIRED", "A request body is required."))
        rec.json = payload
        if payload is not None and content_types:
            errors += self.spec.validate_body(match, "application/json", payload)
            errors += self._doc_rules(key, payload)
        # Discord ignores unknown query parameters and bodies on routes that take
        # none: a client doing that has a bug worth reporting, but the answer
        # stays what Discord would give.
        soft = [e for e in errors if e.code in ("UNKNOWN_QUERY_PARAMETER", "BODY_NOT_ALLOWED")]
        errors = [e for e in errors if e not in soft]
        for e in soft:
            msg = f"{rec.method} {request.path}: {e}"
            rec.violations.append(msg)
            self.violation(msg)
        if errors:
            resp = {"code": 50035, "message": "Invalid Form Body", "errors": errors_tree(errors)}
            return fail(400, resp, "invalid request: " + "; ".join(str(e) for e in errors))

        # Rate limits (after validation: Discord answers malformed requests 400 too).
        bucket, major, exempt = self._bucket_for(key, match.params)
        limited = self._rate_limit(rec, key, bucket, major, exempt)
        if limited is not None:
            rec.status, rec.response = limited.status, json.loads(limited.text) if limited.text else None
            return limited
        rl_headers = self._rl_headers(bucket, major)

        # Injected failures and delays.
        inj = self._take_injection(key)
        delay = self._take_delay(key)
        if inj is not None:
            resp = self._injected_response(inj, key, bucket, major, rl_headers)
            rec.status = resp.status
            rec.response = inj.get("body")
            if delay and delay["before"]:
                await asyncio.sleep(delay["seconds"])
            return resp
        if delay and delay["before"]:
            await asyncio.sleep(delay["seconds"])

        # Handle: implemented routes, else a benign empty success.
        handler = self._handlers().get(key)
        if handler is None:
            self.unimplemented.append(f"{request.method} {match.template}")
            status = self.spec.success_status(match)
            result: Tuple[int, Any] = (status, None if status == 204 else {})
        else:
            rec.handled = True
            try:
                result = await handler(rec, payload, match)
            except Exception as e:  # a bug in the fake must fail the test, not pass silently
                return fail(500, {"message": "500: Internal Server Error", "code": 0},
                            f"the fake failed handling this request: {e!r}")
        status, out = result
        rec.status, rec.response = status, out
        if delay and not delay["before"]:
            # The work is done; only the answer is slow (a client timing out
            # here and retrying is what nonce + enforce_nonce is for).
            await asyncio.sleep(delay["seconds"])
        if status == 204 or out is None:
            return web.Response(status=status, headers=rl_headers)
        return web.json_response(out, status=status, headers=rl_headers)

    @staticmethod
    def _parse_multipart(content_type: str, body: bytes) -> Tuple[Any, List[str]]:
        """multipart/form-data: the JSON lives in `payload_json`; files are only named."""
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
        payload, files = None, []
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "payload_json":
                payload = json.loads(part.get_payload(decode=True) or b"null")
            else:
                files.append(part.get_filename() or name or "")
        return payload, files

    # ------------------------------------------------------------ doc rules
    MESSAGE_BODY_ROUTES = {
        ("POST", "/channels/{channel_id}/messages"),
        ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    }

    def _doc_rules(self, key: Tuple[str, str], body: Any) -> List[FieldError]:
        """Limits the docs state and the OpenAPI description does not encode (or encodes looser)."""
        errors: List[FieldError] = []
        if not isinstance(body, dict):
            return errors
        if key in self.MESSAGE_BODY_ROUTES:
            errors += self._message_rules(body, ())
            if key == ("POST", "/channels/{channel_id}/messages"):
                nonce = body.get("nonce")
                if isinstance(nonce, str) and len(nonce) > 25:
                    errors.append(FieldError(("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        elif key == ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"):
            data = body.get("data")
            if isinstance(data, dict):
                if body.get("type") == 9:
                    errors += self._modal_rules(data, ("data",))
                elif body.get("type") in (4, 7):
                    errors += self._message_rules(data, ("data",))
        return errors

    def _message_rules(self, msg: Dict[str, Any], at: Tuple[Any, ...]) -> List[FieldError]:
        errors: List[FieldError] = []
        content = msg.get("content")
        if isinstance(content, str) and len(content) > 2000:
            errors.append(FieldError(at + ("content",), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
        embeds = msg.get("embeds") or []
        if isinstance(embeds, list):
            if len(embeds) > 10:
                errors.append(FieldError(at + ("embeds",), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
            total = 0
            for i, e in enumerate(embeds):
                if not isinstance(e, dict):
                    continue
                limits = {"title": 256, "description": 4096}
                for k, lim in limits.items():
                    v = e.get(k)
                    if isinstance(v, str):
                        total += len(v)
                        if len(v) > lim:
                            errors.append(FieldError(at + ("embeds", i, k), "BASE_TYPE_MAX_LENGTH",
                                                     f"Must be {lim} or fewer in length."))
                fields = e.get("fields") or []
                if len(fields) > 25:
                    errors.append(FieldError(at + ("embeds", i, "fields"), "BASE_TYPE_MAX_LENGTH",
                                             "Must be 25 or fewer in length."))
                for j, f in enumerate(fields):
                    for k, lim in (("name", 256), ("value", 1024)):
                        v = f.get(k) if isinstance(f, dict) else None
                        if isinstance(v, str):
                            total += len(v)
                            if len(v) > lim:
                                errors.append(FieldError(at + ("embeds", i, "fields", j, k), "BASE_TYPE_MAX_LENGTH",
                                                         f"Must be {lim} or fewer in length."))
                for k, sub, lim in (("footer", "text", 2048), ("author", "name", 256)):
                    v = (e.get(k) or {}).get(sub) if isinstance(e.get(k), dict) else None
                    if isinstance(v, str):
                        total += len(v)
                        if len(v) > lim:
                            errors.append(FieldError(at + ("embeds", i, k, sub), "BASE_TYPE_MAX_LENGTH",
                                                     f"Must be {lim} or fewer in length."))
            if total > 6000:
                errors.append(FieldError(at + ("embeds",), "MAX_EMBED_SIZE_EXCEEDED",
                                         "Embed size exceeds maximum size of 6000"))
        comps = msg.get("components") or []
        flags = msg.get("flags") or 0
        if isinstance(comps, list) and not (isinstance(flags, int) and flags & FLAG_IS_COMPONENTS_V2):
            if len(comps) > 5:
                errors.append(FieldError(at + ("components",), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
            for i, row in enumerate(comps):
                if not isinstance(row, dict):
                    continue
                if row.get("type") != 1:
                    errors.append(FieldError(at + ("components", i, "type"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                                             "Top-level components must be action rows without IS_COMPONENTS_V2."))
                    continue
                inner = row.get("components") or []
                buttons = [c for c in inner if isinstance(c, dict) and c.get("type") == 2]
                if len(buttons) > 5:
                    errors.append(FieldError(at + ("components", i, "components"), "BASE_TYPE_MAX_LENGTH",
                                             "Must be 5 or fewer in length."))
                if any(isinstance(c, dict) and c.get("type") in (3, 5, 6, 7, 8) for c in inner) and len(inner) > 1:
                    errors.append(FieldError(at + ("components", i, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                                             "A select menu must be alone in its action row."))
        errors += self._custom_id_rules(comps, at + ("components",))
        return errors

    def _custom_id_rules(self, comps: Any, at: Tuple[Any, ...]) -> List[FieldError]:
        errors: List[FieldError] = []
        if not isinstance(comps, list):
            return errors
        for i, c in enumerate(comps):
            if not isinstance(c, dict):
                continue
            cid = c.get("custom_id")
            if isinstance(cid, str) and len(cid) > 100:
                errors.append(FieldError(at + (i, "custom_id"), "BASE_TYPE_MAX_LENGTH",
                                         "Must be 100 or fewer in length."))
            if c.get("type") == 2 and c.get("style") != 5 and c.get("style") != 6 and not cid:
                errors.append(FieldError(at + (i, "custom_id"), "BASE_TYPE_REQUIRED",
                                         "A non-link button needs a custom_id."))
            if isinstance(c.get("components"), list):
                errors += self._custom_id_rules(c["components"], at + (i, "components"))
            if isinstance(c.get("component"), dict):
                errors += self._custom_id_rules([c["component"]], at + (i, "component"))
        return errors

    def _modal_rules(self, data: Dict[str, Any], at: Tuple[Any, ...]) -> List[FieldError]:
        errors: List[FieldError] = []
        title = data.get("title")
        if not isinstance(title, str) or not title:
            errors.append(FieldError(at + ("title",), "BASE_TYPE_REQUIRED", "This field is required"))
        elif len(title) > 45:
            errors.append(FieldError(at + ("title",), "BASE_TYPE_MAX_LENGTH", "Must be 45 or fewer in length."))
        cid = data.get("custom_id")
        if not isinstance(cid, str) or not cid:
            errors.append(FieldError(at + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required"))
        elif len(cid) > 100:
            errors.append(FieldError(at + ("custom_id",), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
        comps = data.get("components")
        if not isinstance(comps, list) or not 1 <= len(comps) <= 5:
            errors.append(FieldError(at + ("components",), "BASE_TYPE_BAD_LENGTH",
                                     "Must be between 1 and 5 in length."))
            return errors
        inputs = 0
        for i, top in enumerate(comps):
            if not isinstance(top, dict):
                continue
            # Classic layout: action row holding one text input; current layout:
            # a label (type 18) holding one component.
            children = top.get("components") if top.get("type") == 1 else [top.get("component")] \
                if top.get("type") == 18 else [top] if top.get("type") == 10 else None
            if children is None:
                errors.append(FieldError(at + ("components", i, "type"), "BASE_TYPE_CHOICES",
                                         "Modal components must be action rows, labels or text displays."))
                continue
            for j, c in enumerate(children or []):
                if not isinstance(c, dict) or c.get("type") != 4:
                    continue
                inputs += 1
                where = at + ("components", i) + (("components", j) if top.get("type") == 1 else ("component",))
                for k, lim in (("max_length", 4000), ("min_length", 4000)):
                    v = c.get(k)
                    if isinstance(v, int) and not (0 if k == "min_length" else 1) <= v <= lim:
                        errors.append(FieldError(where + (k,), "NUMBER_TYPE_MAX", f"{k} must be within 1..{lim}."))
                for k, lim in (("value", 4000), ("placeholder", 100), ("label", 45)):
                    v = c.get(k)
                    if isinstance(v, str) and len(v) > lim:
                        errors.append(FieldError(where + (k,), "BASE_TYPE_MAX_LENGTH",
                                                 f"Must be {lim} or fewer in length."))
                if top.get("type") == 1 and not c.get("label"):
                    errors.append(FieldError(where + ("label",), "BASE_TYPE_REQUIRED", "This field is required"))
                cid = c.get("custom_id")
                if not isinstance(cid, str) or not cid or len(cid) > 100:
                    errors.append(FieldError(where + ("custom_id",), "BASE_TYPE_MAX_LENGTH",
                                             "custom_id is required, 1 to 100 characters."))
            if top.get("type") == 18:
                lbl = top.get("label")
                if not isinstance(lbl, str) or not lbl or len(lbl) > 45:
                    errors.append(FieldError(at + ("components", i, "label"), "BASE_TYPE_MAX_LENGTH",
                                             "A label needs 1 to 45 characters."))
        return errors

    # ---------------------------------------------------------- rate limits
    def _bucket_for(self, key: Tuple[str, str], params: Dict[str, str]) -> Tuple[Dict[str, Any], str, bool]:
        """(bucket definition, major parameter value, exempt from the global limit)."""
        method, template = key
        conf = dict(self.rate_limits.get(key) or {})
        conf.setdefault("limit", self.default_rate_limit[0])
        conf.setdefault("window", self.default_rate_limit[1])
        name = conf.get("bucket") or f"{method} {template}"
        # The bucket header is opaque and excludes the top-level resource.
        conf["hash"] = hashlib.sha1(name.encode()).hexdigest()[:32]
        if "webhook_id" in params:
            major = params["webhook_id"] + "/" + params.get("webhook_token", "")
        elif "interaction_id" in params:
            major = params["interaction_id"] + "/" + params.get("interaction_token", "")
        else:
            major = params.get("channel_id") or params.get("guild_id") or ""
        # Interaction endpoints (callback, follow-ups) are not bound to the global limit.
        exempt = template.startswith("/interactions/") or template.startswith("/webhooks/{webhook_id}/{webhook_token}")
        return conf, major, exempt

    def _bucket_state(self, conf: Dict[str, Any], major: str) -> Dict[str, float]:
        now = time.time()
        k = (conf["hash"], major)
        st = self._buckets.get(k)
        if st is None or now >= st["reset"]:
            # Window starts with the first request in it.
            st = {"remaining": conf["limit"], "reset": now + conf["window"], "limit": conf["limit"]}
            self._buckets[k] = st
        return st

    def _rl_headers(self, conf: Dict[str, Any], major: str) -> Dict[str, str]:
        st = self._bucket_state(conf, major)
        now = time.time()
        return {
            "X-RateLimit-Limit": str(int(st["limit"])),
            "X-RateLimit-Remaining": str(int(st["remaining"])),
            "X-RateLimit-Reset": f"{st['reset']:.3f}",
            "X-RateLimit-Reset-After": f"{max(0.0, st['reset'] - now):.3f}",
            "X-RateLimit-Bucket": conf["hash"],
        }

    def _rate_limit(self, rec: RestRequest, key: Tuple[str, str], conf: Dict[str, Any], major: str,
                    exempt: bool) -> Optional[web.Response]:
        now = time.time()
        # Global: N requests per window per bot, across routes.
        if not exempt:
            if now - self._global_window_start >= self.global_window:
                self._global_window_start, self._global_count = now, 0
            if self._global_count >= self.global_limit:
                retry = self._global_window_start + self.global_window - now
                self.premature.append({"method": rec.method, "path": rec.path, "template": rec.template,
                                       "scope": "global", "at": rec.time,
                                       "informed": self._global_reset_told >= now})
                self._global_reset_told = self._global_window_start + self.global_window
                body = {"message": "You are being rate limited.", "retry_after": round(retry, 3), "global": True}
                return web.json_response(body, status=429, headers={
                    "Retry-After": str(max(1, int(-(-retry // 1)))), "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global"})
            self._global_count += 1
        st = self._bucket_state(conf, major)
        inf_key = (key[0], key[1], major)
        if st["remaining"] <= 0:
            retry = st["reset"] - now
            # "informed": this client had already been shown this window's exhaustion.
            self.premature.append({"method": rec.method, "path": rec.path, "template": rec.template,
                                   "scope": "user", "bucket": conf["hash"], "major": major, "at": rec.time,
                                   "informed": self._informed.get(inf_key, 0) >= now})
            self._informed[inf_key] = st["reset"]
            headers = self._rl_headers(conf, major)
            headers.update({"Retry-After": str(max(1, int(-(-retry // 1)))), "X-RateLimit-Scope": "user"})
            body = {"message": "You are being rate limited.", "retry_after": round(retry, 3), "global": False}
            return web.json_response(body, status=429, headers=headers)
        st["remaining"] -= 1
        if st["remaining"] == 0:
            self._informed[inf_key] = st["reset"]
        return None

    # ------------------------------------------------------------ injection
    def inject_rest(self, status: int, times: int = 1, route: Optional[Tuple[str, str]] = None,
                    global_: bool = False, retry_after: float = 1.0, body: Any = None,
                    headers: bool = True, scope: str = "user") -> None:
        """The next `times` requests matching route ((METHOD, template) or None = any) get `status`.

        429: route-scoped (scope "user" or "shared") or global_=True, with the documented
        headers and body; headers=False gives a bare 429 without rate-limit headers (the
        shape of a Cloudflare ban). Other statuses (500, 502, 503...) get a Discord-shaped
        JSON body unless `body` is given (a str body is sent as text/plain).
        """
        self._injections.append({"status": status, "times": times, "route": route, "global": global_,
                                 "retry_after": retry_after, "body": body, "headers": headers, "scope": scope})

    def inject_delay(self, seconds: float, route: Optional[Tuple[str, str]] = None, times: int = 1,
                     before: bool = False) -> None:
        """Answer the next `times` matching requests `seconds` late.

        before=False (default): the request takes effect at once and only the answer is late,
        as when a response is lost in transit; before=True: nothing happens until the delay ends.
        """
        self._delays.append({"seconds": seconds, "route": route, "times": times, "before": before})

    def _take(self, items: List[Dict[str, Any]], key: Tuple[str, str]) -> Optional[Dict[str, Any]]:
        for it in items:
            if it["times"] > 0 and (it["route"] is None or tuple(it["route"]) == key):
                it["times"] -= 1
                if it["times"] == 0:
                    items.remove(it)
                return it
        return None

    def _take_injection(self, key: Tuple[str, str]) -> Optional[Dict[str, Any]]:
        return self._take(self._injections, key)

    def _take_delay(self, key: Tuple[str, str]) -> Optional[Dict[str, Any]]:
        return self._take(self._delays, key)

    def _injected_response(self, inj: Dict[str, Any], key: Tuple[str, str], conf: Dict[str, Any], major: str,
                           rl_headers: Dict[str, str]) -> web.Response:
        status, body = inj["status"], inj["body"]
        if status == 429:
            retry = float(inj["retry_after"])
            if not inj["headers"]:
                text = body if isinstance(body, str) else "error code: 1015"
                return web.Response(status=429, text=text, content_type="text/plain")
            if body is None:
                body = {"message": "You are being rate limited.", "retry_after": retry, "global": inj["global"]}
            if inj["global"]:
                headers = {"Retry-After": str(max(1, int(-(-retry // 1)))), "X-RateLimit-Global": "true",
                           "X-RateLimit-Scope": "global"}
            else:
                now = time.time()
                headers = dict(rl_headers)
                headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{now + retry:.3f}",
                                "X-RateLimit-Reset-After": f"{retry:.3f}",
                                "Retry-After": str(max(1, int(-(-retry // 1)))), "X-RateLimit-Scope": inj["scope"]})
                # The bucket really is exhausted for that long: a client that
                # ignores the answer shows up in `premature`.
                st = self._bucket_state(conf, major)
                st["remaining"], st["reset"] = 0, now + retry
                self._informed[(key[0], key[1], major)] = now + retry
            return web.json_response(body, status=429, headers=headers)
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/plain")
        if body is None:
            reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                      504: "Gateway Timeout"}.get(status, "Error")
            body = {"message": f"{status}: {reason}", "code": 0}
        return web.json_response(body, status=status, headers=rl_headers if status < 500 else None)

    # ------------------------------------------------------------- handlers
    def _handlers(self) -> Dict[Tuple[str, str], Callable[..., Any]]:
        return {
            ("GET", "/gateway"): self._h_gateway,
            ("GET", "/gateway/bot"): self._h_gateway_bot,
            ("GET", "/users/@me"): self._h_me,
            ("GET", "/users/{user_id}"): self._h_user,
            ("GET", "/applications/@me"): self._h_app,
            ("GET", "/oauth2/applications/@me"): self._h_app,
            ("GET", "/guilds/{guild_id}"): self._h_guild,
            ("GET", "/guilds/{guild_id}/channels"): self._h_guild_channels,
            ("GET", "/guilds/{guild_id}/members/{user_id}"): self._h_guild_member,
            ("GET", "/guilds/{guild_id}/roles"): self._h_guild_roles,
            ("GET", "/channels/{channel_id}"): self._h_channel,
            ("GET", "/channels/{channel_id}/messages"): self._h_list_messages,
            ("POST", "/channels/{channel_id}/messages"): self._h_create_message,
            ("GET", "/channels/{channel_id}/messages/{message_id}"): self._h_get_message,
            ("PATCH", "/channels/{channel_id}/messages/{message_id}"): self._h_edit_message,
            ("DELETE", "/channels/{channel_id}/messages/{message_id}"): self._h_delete_message,
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): self._h_thread_from_message,
            ("POST", "/channels/{channel_id}/threads"): self._h_thread,
            ("PUT", "/channels/{channel_id}/thread-members/@me"): self._h_no_content,
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}"): self._h_no_content,
            ("POST", "/channels/{channel_id}/typing"): self._h_no_content,
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me"): self._h_react,
            ("POST", "/users/@me/channels"): self._h_dm,
            ("GET", "/applications/{application_id}/commands"): self._h_get_commands,
            ("PUT", "/applications/{application_id}/commands"): self._h_put_commands,
            ("POST", "/applications/{application_id}/commands"): self._h_post_command,
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands"): self._h_get_commands,
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): self._h_put_commands,
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"): self._h_post_command,
            ("DELETE", "/applications/{application_id}/commands/{command_id}"): self._h_delete_command,
            ("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"):
                self._h_delete_command,
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): self._h_callback,
            ("POST", "/webhooks/{webhook_id}/{webhook_token}"): self._h_followup,
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._h_webhook_message,
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._h_webhook_message,
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"): self._h_webhook_message,
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._h_webhook_message,
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._h_webhook_message,
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"): self._h_webhook_message,
        }

    @staticmethod
    def _err(status: int, code: int, message: str) -> Tuple[int, Dict[str, Any]]:
        return status, {"message": message, "code": code}

    async def _h_gateway(self, rec, body, m):
        return 200, {"url": self.gateway_url}

    def _session_starts(self) -> int:
        """Remaining session starts; the budget refills when reset_after has
        passed, as Discord's docs describe, and reset_after counts down."""
        now = time.monotonic()
        if now >= self._sl_window_start + self.session_start_reset_after / 1000.0:
            self._sl_window_start = now
            self.session_start_remaining = self.session_start_total
        return self.session_start_remaining

    async def _h_gateway_bot(self, rec, body, m):
        remaining = self._session_starts()
        left_ms = int((self._sl_window_start + self.session_start_reset_after / 1000.0
                       - time.monotonic()) * 1000)
        return 200, {"url": self.gateway_url, "shards": self.shards, "session_start_limit": {
            "total": self.session_start_total, "remaining": remaining,
            "reset_after": max(0, left_ms), "max_concurrency": self.max_concurrency}}

    async def _h_me(self, rec, body, m):
        return 200, self.bot_user

    async def _h_user(self, rec, body, m):
        u = self.users.get(m.params["user_id"])
        return (200, u) if u else self._err(404, 10013, "Unknown User")

    async def _h_app(self, rec, body, m):
        return 200, self.application

    async def _h_guild(self, rec, body, m):
        g = self.guilds.get(m.params["guild_id"])
        if not g:
            return self._err(404, 10004, "Unknown Guild")
        skip = ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large",
                "member_count", "unavailable", "lazy", "stage_instances", "guild_scheduled_events",
                "soundboard_sounds", "embedded_activities", "activity_instances", "application_command_counts")
        return 200, {k: v for k, v in g.items() if k not in skip}

    async def _h_guild_channels(self, rec, body, m):
        gid = m.params["guild_id"]
        if gid not in self.guilds:
            return self._err(404, 10004, "Unknown Guild")
        return 200, [c for c in self.channels.values() if c.get("guild_id") == gid and c["type"] not in THREAD_TYPES]

    async def _h_guild_member(self, rec, body, m):
        mem = self.members.get((m.params["guild_id"], m.params["user_id"]))
        return (200, mem) if mem else self._err(404, 10007, "Unknown Member")

    async def _h_guild_roles(self, rec, body, m):
        g = self.guilds.get(m.params["guild_id"])
        return (200, g["roles"]) if g else self._err(404, 10004, "Unknown Guild")

    async def _h_channel(self, rec, body, m):
        ch = self.channels.get(m.params["channel_id"])
        return (200, ch) if ch else self._err(404, 10003, "Unknown Channel")

    async def _h_no_content(self, rec, body, m):
        if m.params.get("channel_id") and m.params["channel_id"] not in self.channels:
            return self._err(404, 10003, "Unknown Channel")
        return 204, None

    async def _h_react(self, rec, body, m):
        cid, mid = m.params["channel_id"], m.params["message_id"]
        if not self._find_message(cid, mid):
            return self._err(404, 10008, "Unknown Message")
        self.reactions.append((cid, mid, m.params["emoji_name"]))
        return 204, None

    async def _h_list_messages(self, rec, body, m):
        cid = m.params["channel_id"]
        if cid not in self.channels:
            return self._err(404, 10003, "Unknown Channel")
        limit = int(rec.query.get("limit", ["50"])[0])
        return 200, list(reversed(self.messages[cid]))[:limit]

    def _find_message(self, channel_id: str, message_id: str) -> Optional[Dict[str, Any]]:
        for msg in self.messages.get(channel_id, []):
            if msg["id"] == message_id:
                return msg
        return None

    def _build_message(self, channel_id: str, author: Dict[str, Any], body: Dict[str, Any],
                       **extra: Any) -> Dict[str, Any]:
        """A message object as Discord returns it."""
        ch = self.channels.get(channel_id, {})
        mid = extra.pop("id", None) or self.ids.next()
        msg = {
            "type": extra.pop("type", 0), "channel_id": channel_id, "content": body.get("content") or "",
            "attachments": [], "embeds": body.get("embeds") or [], "timestamp": now_iso(),
            "edited_timestamp": None, "flags": body.get("flags") or 0,
            "components": self._fill_components(body.get("components") or []),
            "id": mid, "author": author, "mentions": [], "mention_roles": [], "pinned": False,
            "mention_everyone": False, "tts": bool(body.get("tts")),
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if ch.get("type") in THREAD_TYPES:
            ch["message_count"] = ch.get("message_count", 0) + 1
            ch["total_message_sent"] = ch.get("total_message_sent", 0) + 1
            msg["position"] = ch["total_message_sent"] - 1
        if body.get("message_reference"):
            msg["message_reference"] = {"type": 0, "channel_id": channel_id, **body["message_reference"]}
        msg.update(extra)
        ch["last_message_id"] = mid
        return msg

    @staticmethod
    def _fill_components(comps: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Components as Discord echoes them: with numeric ids assigned."""
        counter = itertools.count(1)

        def fill(c: Any) -> Any:
            if not isinstance(c, dict):
                return c
            out = dict(c)
            out.setdefault("id", next(counter))
            if isinstance(out.get("components"), list):
                out["components"] = [fill(x) for x in out["components"]]
            return out
        return [fill(c) for c in comps]

    def _store_and_announce(self, msg: Dict[str, Any]) -> None:
        self.messages[msg["channel_id"]].append(msg)
        ev = dict(msg)
        gid = self.channels.get(msg["channel_id"], {}).get("guild_id")
        if gid:
            ev["guild_id"] = gid
            mem = self.members.get((gid, msg["author"]["id"]))
            if mem and not msg.get("webhook_id"):
                ev["member"] = {k: v for k, v in mem.items() if k != "user"}
        self.dispatch("MESSAGE_CREATE", ev)

    async def _h_create_message(self, rec, body, m):
        cid = m.params["channel_id"]
        if cid not in self.channels:
            return self._err(404, 10003, "Unknown Channel")
        body = body or {}
        if not any(body.get(k) for k in ("content", "embeds", "sticker_ids", "components", "poll")) and not rec.files:
            rec.violations.append("empty message")
            self.violation(f"POST {rec.raw_path}: Cannot send an empty message")
            return self._err(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Documented: with enforce_nonce, a nonce seen from the same author in
            # the past few minutes returns the earlier message, creating nothing.
            k = (cid, self.BOT_ID, str(nonce))
            hit = self._nonces.get(k)
            if hit and time.monotonic() - hit[0] < self.nonce_window:
                existing = self._find_message(cid, hit[1])
                if existing:
                    return 200, existing
        msg = self._build_message(cid, self.bot_user, body)
        if nonce is not None:
            self._nonces[(cid, self.BOT_ID, str(nonce))] = (time.monotonic(), msg["id"])
        self._store_and_announce(msg)
        return 200, msg

    async def _h_get_message(self, rec, body, m):
        msg = self._find_message(m.params["channel_id"], m.params["message_id"])
        return (200, msg) if msg else self._err(404, 10008, "Unknown Message")

    def _edit(self, msg: Dict[str, Any], body: Dict[str, Any]) -> Dict[str, Any]:
        for k in ("content", "embeds", "flags"):
            if k in body:
                msg[k] = body[k] if body[k] is not None else ("" if k == "content" else [] if k == "embeds" else 0)
        if "components" in body:
            msg["components"] = self._fill_components(body["components"] or [])
        msg["edited_timestamp"] = now_iso()
        msg["flags"] = (msg.get("flags") or 0) & ~FLAG_LOADING
        ev = dict(msg)
        gid = self.channels.get(msg["channel_id"], {}).get("guild_id")
        if gid:
            ev["guild_id"] = gid
        self.dispatch("MESSAGE_UPDATE", ev)
        return msg

    async def _h_edit_message(self, rec, body, m):
        msg = self._find_message(m.params["channel_id"], m.params["message_id"])
        if not msg:
            return self._err(404, 10008, "Unknown Message")
        if msg["author"]["id"] != self.BOT_ID:
            return self._err(403, 50005, "Cannot edit a message authored by another user")
        return 200, self._edit(msg, body or {})

    def _delete(self, msg: Dict[str, Any]) -> None:
        self.messages[msg["channel_id"]].remove(msg)
        ev = {"id": msg["id"], "channel_id": msg["channel_id"]}
        gid = self.channels.get(msg["channel_id"], {}).get("guild_id")
        if gid:
            ev["guild_id"] = gid
        self.dispatch("MESSAGE_DELETE", ev)

    async def _h_delete_message(self, rec, body, m):
        msg = self._find_message(m.params["channel_id"], m.params["message_id"])
        if not msg:
            return self._err(404, 10008, "Unknown Message")
        self._delete(msg)
        return 204, None

    async def _h_thread_from_message(self, rec, body, m):
        cid, mid = m.params["channel_id"], m.params["message_id"]
        parent = self.channels.get(cid)
        if not parent:
            return self._err(404, 10003, "Unknown Channel")
        msg = self._find_message(cid, mid)
        if not msg:
            return self._err(404, 10008, "Unknown Message")
        if mid in self.channels:
            return self._err(400, 160004, "A thread has already been created for this message")
        # A thread started from a message has the message's id.
        th = self.add_thread(parent["guild_id"], mid, body.get("name") or "thread", cid, PUBLIC_THREAD)
        if body.get("auto_archive_duration"):
            th["thread_metadata"]["auto_archive_duration"] = body["auto_archive_duration"]
        msg["flags"] = (msg.get("flags") or 0) | FLAG_HAS_THREAD
        msg["thread"] = th
        self.dispatch("THREAD_CREATE", {**th, "newly_created": True})
        return 201, th

    async def _h_thread(self, rec, body, m):
        cid = m.params["channel_id"]
        parent = self.channels.get(cid)
        if not parent:
            return self._err(404, 10003, "Unknown Channel")
        th = self.add_thread(parent["guild_id"], self.ids.next(), body.get("name") or "thread", cid,
                             body.get("type") or PRIVATE_THREAD)
        self.dispatch("THREAD_CREATE", {**th, "newly_created": True})
        return 201, th

    async def _h_dm(self, rec, body, m):
        rid = (body or {}).get("recipient_id")
        if not rid or rid not in self.users or rid == self.BOT_ID:
            return self._err(400, 50033, "Invalid Recipient(s)")
        cid = self.dm_channels.get(rid)
        if cid is None:
            cid = self.ids.next()
            self.dm_channels[rid] = cid
            self.channels[cid] = {"id": cid, "type": DM, "last_message_id": None, "flags": 0,
                                  "recipients": [self.users[rid]]}
        return 200, self.channels[cid]

    def _command_scope(self, m) -> Tuple[Optional[str], Optional[Tuple[int, Dict[str, Any]]]]:
        if m.params["application_id"] != self.application["id"]:
            return None, self._err(404, 10002, "Unknown Application")
        gid = m.params.get("guild_id")
        if gid is not None and gid not in self.guilds:
            return None, self._err(404, 10004, "Unknown Guild")
        return gid, None

    def _make_command(self, spec: Dict[str, Any], gid: Optional[str],
                      existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        cmd = {"id": existing["id"] if existing else self.ids.next(), "application_id": self.application["id"],
               "version": self.ids.next(), "default_member_permissions": None, "type": 1, "nsfw": False,
               "description": "", "dm_permission": True, "contexts": None, "integration_types": [0]}
        cmd.update({k: v for k, v in spec.items() if v is not None})
        if gid:
            cmd["guild_id"] = gid
            cmd.pop("dm_permission", None)
        return cmd

    async def _h_get_commands(self, rec, body, m):
        gid, err = self._command_scope(m)
        return err or (200, self.commands.get(gid, []))

    async def _h_put_commands(self, rec, body, m):
        gid, err = self._command_scope(m)
        if err:
            return err
        old = {(c["name"], c.get("type", 1)): c for c in self.commands.get(gid, [])}
        self.commands[gid] = [self._make_command(s, gid, old.get((s["name"], s.get("type", 1)))) for s in body or []]
        return 200, self.commands[gid]

    async def _h_post_command(self, rec, body, m):
        gid, err = self._command_scope(m)
        if err:
            return err
        cmds = self.commands.setdefault(gid, [])
        old = next((c for c in cmds if c["name"] == body["name"] and c.get("type", 1) == body.get("type", 1)), None)
        cmd = self._make_command(body, gid, old)
        if old:
            cmds[cmds.index(old)] = cmd
            return 200, cmd
        cmds.append(cmd)
        return 201, cmd

    async def _h_delete_command(self, rec, body, m):
        """Delete Global/Guild Application Command: 204 No Content (docs)."""
        gid, err = self._command_scope(m)
        if err:
            return err
        cmds = self.commands.get(gid, [])
        old = next((c for c in cmds if c["id"] == m.params["command_id"]), None)
        if old is None:
            return self._err(404, 10063, "Unknown application command")
        cmds.remove(old)
        return 204, None

    # Interaction callback types valid for each interaction type (docs table).
    CALLBACKS_FOR = {1: {1}, 2: {4, 5, 9, 12}, 3: {4, 5, 6, 7, 9, 12}, 4: {8}, 5: {4, 5, 6, 7}}

    async def _h_callback(self, rec, body, m):
        iid, tok = m.params["interaction_id"], m.params["interaction_token"]
        inter = self.interactions.get(iid)
        now = time.monotonic()
        entry = self._record_callback(rec, body, None)

        def done(res: Tuple[int, Any]) -> Tuple[int, Any]:
            entry["status"] = res[0]
            return res
        if inter is None or inter.token != tok:
            return done(self._err(404, 10062, "Unknown interaction"))
        start = inter.sent_at or inter.created_at
        if inter.acknowledged:
            self.violation(f"POST callback for interaction {iid}: already acknowledged")
            return done(self._err(400, 40060, "Interaction has already been acknowledged."))
        if now - start > self.interaction_deadline:
            # Documented: no initial response within 3 s invalidates the token.
            self.violation(f"POST callback for interaction {iid}: {now - start:.2f}s after dispatch (limit 3 s)")
            return done(self._err(404, 10062, "Unknown interaction"))
        ctype = body["type"]
        if ctype not in self.CALLBACKS_FOR.get(inter.payload["type"], set()):
            self.violation(f"POST callback for interaction {iid}: callback type {ctype} is not valid for "
                           f"interaction type {inter.payload['type']}")
            return done((400, {"code": 50035, "message": "Invalid Form Body", "errors": {"type": {"_errors": [
                {"code": "INTERACTION_RESPONSE_TYPE_INVALID",
                 "message": "Interaction response type is not valid for this interaction."}]}}}))
        data = body.get("data") or {}
        if ctype == 4 and not any(data.get(k) for k in ("content", "embeds", "components", "poll", "attachments")):
            self.violation(f"POST callback for interaction {iid}: Cannot send an empty message")
            return done(self._err(400, 50006, "Cannot send an empty message"))
        inter.acknowledged = True
        entry["accepted"] = True
        message = None
        if ctype in (4, 5):
            flags = (data.get("flags") or 0) | (FLAG_LOADING if ctype == 5 else 0)
            message = self._build_message(inter.channel_id, self.bot_user, {**data, "flags": flags},
                                          type=20 if inter.payload["type"] == 2 else 19,
                                          application_id=self.application["id"], webhook_id=self.application["id"],
                                          interaction_metadata=self._interaction_metadata(inter))
            if ctype == 5:
                message["content"] = ""
            inter.original_message_id = message["id"]
            if flags & FLAG_EPHEMERAL:
                # Ephemeral responses are seen by the invoking user only: no
                # MESSAGE_CREATE reaches the bot's gateway.
                self.messages[message["channel_id"]].append(message)
            else:
                self._store_and_announce(message)
        elif ctype == 7 and inter.payload.get("message"):
            target = self._find_message(inter.channel_id, inter.payload["message"]["id"])
            if target:
                message = self._edit(target, data)
        if rec.query.get("with_response", ["false"])[0].lower() in ("true", "1"):
            resp = {"interaction": {"id": iid, "type": inter.payload["type"],
                                    "response_message_id": message["id"] if message else None,
                                    "response_message_loading": ctype == 5,
                                    "response_message_ephemeral": bool((data.get("flags") or 0) & FLAG_EPHEMERAL)},
                    "resource": {"type": ctype, **({"message": message} if message and ctype in (4, 7) else {})}}
            return done((200, resp))
        return done((204, None))

    def _interaction_metadata(self, inter: Interaction) -> Dict[str, Any]:
        p = inter.payload
        user = p.get("member", {}).get("user") or p.get("user")
        md = {"id": inter.id, "type": p["type"], "user": user,
              "authorizing_integration_owners": p.get("authorizing_integration_owners", {})}
        if p["type"] == 2:
            md["name"] = p["data"]["name"]
            md["command_type"] = p["data"].get("type", 1)
        return md

    def _interaction_by_webhook(self, m) -> Tuple[Optional[Interaction], Optional[Tuple[int, Any]]]:
        if m.params["webhook_id"] != self.application["id"]:
            return None, self._err(404, 10015, "Unknown Webhook")
        tok = m.params["webhook_token"]
        inter = next((i for i in self.interactions.values() if i.token == tok), None)
        if inter is None:
            return None, self._err(404, 10015, "Unknown Webhook")
        if time.monotonic() - inter.created_at > self.interaction_token_lifetime:
            return None, self._err(401, 50027, "Invalid Webhook Token")
        return inter, None

    async def _h_followup(self, rec, body, m):
        inter, err = self._interaction_by_webhook(m)
        if err:
            return err
        if not inter.acknowledged:
            self.violation(f"POST follow-up for interaction {inter.id} before any initial response")
            return self._err(404, 10015, "Unknown Webhook")
        body = body or {}
        orig = self._find_message(inter.channel_id, inter.original_message_id or "")
        if orig and (orig.get("flags") or 0) & FLAG_LOADING:
            # Documented backwards-compatibility: right after a deferred response,
            # a follow-up edits the loading message instead of creating one.
            return 200, self._edit(orig, body)
        msg = self._build_message(inter.channel_id, self.bot_user, body, webhook_id=self.application["id"],
                                  application_id=self.application["id"],
                                  interaction_metadata=self._interaction_metadata(inter))
        inter.followups.append(msg["id"])
        if (body.get("flags") or 0) & FLAG_EPHEMERAL:
            self.messages[msg["channel_id"]].append(msg)
        else:
            self._store_and_announce(msg)
        return 200, msg

    async def _h_webhook_message(self, rec, body, m):
        inter, err = self._interaction_by_webhook(m)
        if err:
            return err
        mid = m.params.get("message_id")
        mid = inter.original_message_id if mid is None else mid
        if mid != inter.original_message_id and mid not in inter.followups:
            return self._err(404, 10008, "Unknown Message")
        msg = self._find_message(inter.channel_id, mid or "")
        if msg is None:
            return self._err(404, 10008, "Unknown Message")
        if rec.method == "GET":
            return 200, msg
        if rec.method == "DELETE":
            self._delete(msg)
            return 204, None
        return 200, self._edit(msg, body or {})

    # ======================================================= gateway side
    async def _ws_entry(self, request: web.Request, port_kind: str) -> web.StreamResponse:
        # Autoping answers websocket pings (clients otherwise drop the link);
        # no server-initiated pings: Discord's liveness is the op-1 heartbeat.
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=4 * 1024 * 1024, timeout=2.0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request, port_kind)
        self.connections.append(conn)
        conn._writer = asyncio.ensure_future(self._writer_loop(conn))
        self.log(f"gateway: connection #{conn.id} on {port_kind} port, query {conn.query}")
        v, enc, comp = request.query.get("v"), request.query.get("encoding", "json"), request.query.get("compress")
        if v != str(API_VERSION):
            self.violation(f"gateway connection #{conn.id}: v={v!r}, only v={API_VERSION} is served")
            await self._close_now(conn, 4012, "Invalid API version")
            return ws
        if enc != "json" or comp not in (None, "zlib-stream"):
            self.violation(f"gateway connection #{conn.id}: encoding={enc!r} compress={comp!r} not supported here")
            await self._close_now(conn, 4002, "Decode error")
            return ws
        self._send(conn, {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval}})
        watchdog = asyncio.ensure_future(self._heartbeat_watchdog(conn))
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_client_payload(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            watchdog.cancel()
            self._on_closed(conn)
            # If our writer is mid-way through a close, let it finish: once this
            # handler returns, aiohttp closes the socket itself with code 1000,
            # which would overtake the close code we mean to send.
            if conn._writer is not None and not conn._writer.done():
                await asyncio.wait([conn._writer], timeout=3)
        return ws

    def _on_closed(self, conn: GatewayConnection) -> None:
        if conn.closed_at is not None:
            return
        conn.closed_at = time.monotonic()
        if conn.close_code_sent is None and conn.ws.close_code is not None and not conn.was_reset:
            conn.client_close_code = conn.ws.close_code
        sess = conn.session
        if sess and sess.conn is conn:
            sess.conn = None
            sess.detached_at = time.monotonic()
            # Docs: a client closing with 1000/1001 ends its session.
            if conn.client_close_code in (1000, 1001):
                sess.valid = False
        self.log(f"gateway: connection #{conn.id} closed (sent {conn.close_code_sent}, "
                 f"client {conn.client_close_code}, reset {conn.was_reset})")
        conn._queue.put_nowait(("stop", None))

    async def _heartbeat_watchdog(self, conn: GatewayConnection) -> None:
        """Close a connection that stops heartbeating (interval x factor without one)."""
        limit = self.heartbeat_interval / 1000.0 * self.heartbeat_timeout_factor
        while conn.open:
            last = conn.heartbeats[-1] if conn.heartbeats else (conn.hello_at or conn.opened_at)
            remaining = last + limit - time.monotonic()
            if remaining <= 0:
                self.log(f"gateway: connection #{conn.id} missed its heartbeat")
                if self.heartbeat_timeout_close is None:
                    self.reset(conn)
                else:
                    self.close(conn, self.heartbeat_timeout_close, "Heartbeat timeout")
                return
            await asyncio.sleep(min(remaining, 0.5))

    # ------------------------------------------------------- outbound path
    def _send(self, conn: GatewayConnection, payload: Dict[str, Any]) -> None:
        """Queue a payload; the writer task sends in order (compressing if asked)."""
        full = {"op": payload["op"], "d": payload.get("d"), "s": payload.get("s"), "t": payload.get("t")}
        conn._queue.put_nowait(("payload", full))

    def _encode_frames(self, conn: GatewayConnection, text: str) -> List[Tuple[Union[str, bytes], bool]]:
        if conn._compressor is None:
            return [(text, False)]
        data = conn._compressor.compress(text.encode()) + conn._compressor.flush(zlib.Z_SYNC_FLUSH)
        if self.split_frames and len(data) > 1:
            # One zlib message over several websocket messages: only the last
            # ends with 00 00 ff ff, so a client must buffer until it sees it.
            size = max(1, min(self.split_frame_size, (len(data) + 1) // 2))
            return [(data[i:i + size], True) for i in range(0, len(data), size)]
        return [(data, True)]

    async def _write_frames(self, conn: GatewayConnection, frames: Iterable[Tuple[Union[str, bytes], bool]]) -> None:
        for data, binary in frames:
            if binary:
                await conn.ws.send_bytes(data)  # awaits the transport's drain
            else:
                await conn.ws.send_str(data)
            conn.frames_sent += 1
            conn.bytes_sent += len(data)

    async def _writer_loop(self, conn: GatewayConnection) -> None:
        while True:
            kind, item = await conn._queue.get()
            if kind == "stop":
                return
            try:
                async with conn._lock:
                    if kind == "payload":
                        if conn.ws.closed:
                            continue
                        text = dumps(item)
                        await self._write_frames(conn, self._encode_frames(conn, text))
                        now = time.monotonic()
                        conn.sent.append({"at": now, "op": item["op"], "t": item["t"], "s": item["s"]})
                        if item["op"] == OP_HELLO:
                            conn.hello_at = now
                        elif item["op"] == OP_HEARTBEAT:
                            conn.heartbeat_requests.append({"sent": now, "answered": None, "delay": None})
                        elif item["t"] == "INTERACTION_CREATE":
                            inter = self.interactions.get(item["d"]["id"])
                            if inter and inter.sent_at is None:
                                inter.sent_at = now
                    elif kind == "raw":
                        data, binary = item
                        await self._write_frames(conn, [(data, binary)])
                    elif kind == "close":
                        code, reason = item
                        conn.close_code_sent, conn.close_reason_sent = code, reason
                        self._apply_close_code(conn, code)
                        await conn.ws.close(code=code, message=reason.encode()[:123])
                        self._on_closed(conn)
                        return
                    elif kind == "call":
                        await item()
            except (ConnectionResetError, RuntimeError, asyncio.CancelledError) as e:
                if isinstance(e, asyncio.CancelledError):
                    raise
                self._on_closed(conn)
                return

    def _apply_close_code(self, conn: GatewayConnection, code: int) -> None:
        """Codes whose docs say "Resume: false" end the session."""
        sess = conn.session
        if sess and code in CLOSE_CODES and not CLOSE_CODES[code][1]:
            sess.valid = False

    async def _close_now(self, conn: GatewayConnection, code: int, reason: str) -> None:
        self.close(conn, code, reason)
        if conn._writer:
            await asyncio.wait([conn._writer], timeout=3)

    # ------------------------------------------------------- inbound path
    async def _on_client_payload(self, conn: GatewayConnection, data: Union[str, bytes]) -> None:
        if conn.closing:
            return
        now = time.monotonic()
        # Send limit: 120 payloads per connection per 60 s.
        conn.send_times.append(now)
        while conn.send_times and conn.send_times[0] < now - self.send_window:
            conn.send_times.popleft()
        size = len(data.encode() if isinstance(data, str) else data)
        entry: Dict[str, Any] = {"at": now, "op": None, "payload": data}
        conn.received.append(entry)
        if len(conn.send_times) > self.send_limit:
            self.violation(f"gateway connection #{conn.id}: more than {self.send_limit} payloads in "
                           f"{self.send_window:g} s")
            return self.close(conn, 4008, "Rate limited")
        if size > self.max_payload_bytes:
            self.violation(f"gateway connection #{conn.id}: payload of {size} bytes (limit {self.max_payload_bytes})")
            return self.close(conn, 4002, "Decode error")
        try:
            text = data if isinstance(data, str) else data.decode("utf-8")
            payload = json.loads(text)
            if not isinstance(payload, dict) or "op" not in payload:
                raise ValueError("not a payload object")
        except ValueError:
            self.violation(f"gateway connection #{conn.id}: undecodable payload {str(data)[:80]!r}")
            return self.close(conn, 4002, "Decode error")
        entry["payload"] = payload
        op = payload.get("op")
        entry["op"] = op
        d = payload.get("d")
        if not isinstance(op, int) or isinstance(op, bool) or op not in CLIENT_OPS:
            self.violation(f"gateway connection #{conn.id}: unknown opcode {op!r}")
            return self.close(conn, 4001, "Unknown opcode")
        if op == OP_HEARTBEAT:
            return self._on_heartbeat(conn, d, now)
        if op == OP_IDENTIFY:
            return self._on_identify(conn, d)
        if op == OP_RESUME:
            return self._on_resume(conn, d)
        if conn.session is None:
            self.violation(f"gateway connection #{conn.id}: op {op} before IDENTIFY/RESUME")
            return self.close(conn, 4003, "Not authenticated")
        if op == OP_PRESENCE_UPDATE:
            ok = isinstance(d, dict) and d.get("status") in ("online", "dnd", "idle", "invisible", "offline") \
                and isinstance(d.get("activities"), list) and isinstance(d.get("afk"), bool) \
                and (d.get("since") is None or isinstance(d.get("since"), int))
            if not ok:
                self.violation(f"gateway connection #{conn.id}: invalid presence update {d!r}")
                return self.close(conn, 4001, "Unknown opcode")
        elif op == OP_REQUEST_GUILD_MEMBERS:
            if not isinstance(d, dict) or d.get("guild_id") not in self.guilds:
                self.violation(f"gateway connection #{conn.id}: invalid request guild members {d!r}")
                return self.close(conn, 4001, "Unknown opcode")
            members = [mm for (g, _u), mm in self.members.items() if g == d["guild_id"]]
            chunk = {"guild_id": d["guild_id"], "members": members, "chunk_index": 0, "chunk_count": 1,
                     "not_found": []}
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            self._dispatch_to(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    def _on_heartbeat(self, conn: GatewayConnection, d: Any, now: float) -> None:
        if d is not None and (not isinstance(d, int) or isinstance(d, bool)):
            self.violation(f"gateway connection #{conn.id}: heartbeat d={d!r} is neither a sequence nor null")
            return self.close(conn, 4001, "Unknown opcode")
        if conn.heartbeats:
            conn.heartbeat_intervals.append(now - conn.heartbeats[-1])
        elif conn.hello_at is not None:
            conn.first_heartbeat_delay = now - conn.hello_at
        conn.heartbeats.append(now)
        conn.heartbeat_seqs.append(d)
        for req in conn.heartbeat_requests:
            if req["answered"] is None:
                req["answered"], req["delay"] = now, now - req["sent"]
        sess = conn.session
        if sess is not None and d is not None and d > sess.seq:
            self.violation(f"gateway connection #{conn.id}: heartbeat seq {d} is beyond the last sent ({sess.seq})")
        if conn.withhold_acks > 0:
            conn.withhold_acks -= 1
            conn.acks_withheld += 1
            return
        conn.acks_sent += 1
        self._send(conn, {"op": OP_HEARTBEAT_ACK})

    def _on_identify(self, conn: GatewayConnection, d: Any) -> None:
        cid = conn.id
        if conn.session is not None:
            self.violation(f"gateway connection #{cid}: second IDENTIFY/RESUME on one connection")
            return self.close(conn, 4005, "Already authenticated")
        if not isinstance(d, dict):
            self.violation(f"gateway connection #{cid}: IDENTIFY d is not an object")
            return self.close(conn, 4001, "Unknown opcode")
        conn.identify = d
        if d.get("token") != self.token:
            self.violation(f"gateway connection #{cid}: IDENTIFY with a wrong token")
            return self.close(conn, 4004, "Authentication failed")
        problems = []
        props = d.get("properties")
        if not isinstance(props, dict) or not all(isinstance(props.get(k), str) for k in ("os", "browser", "device")):
            problems.append(f"properties must hold strings os, browser, device (got {props!r})")
        if "compress" in d and not isinstance(d["compress"], bool):
            problems.append(f"compress must be a boolean (got {d['compress']!r})")
        lt = d.get("large_threshold")
        if lt is not None and (not isinstance(lt, int) or isinstance(lt, bool) or not 50 <= lt <= 250):
            problems.append(f"large_threshold must be 50..250 (got {lt!r})")
        pres = d.get("presence")
        if pres is not None and not (isinstance(pres, dict) and isinstance(pres.get("activities", []), list)
                                     and pres.get("status", "online") in ("online", "dnd", "idle", "invisible",
                                                                          "offline")):
            problems.append(f"presence is not an update-presence object ({pres!r})")
        intents = d.get("intents")
        if not isinstance(intents, int) or isinstance(intents, bool):
            problems.append(f"intents must be an integer (got {intents!r})")
        if problems:
            self.violation(f"gateway connection #{cid}: IDENTIFY " + "; ".join(problems))
            return self.close(conn, 4001, "Unknown opcode")
        if intents < 0 or intents & ~VALID_INTENTS:
            self.violation(f"gateway connection #{cid}: invalid intents {intents}")
            return self.close(conn, 4013, "Invalid intent(s)")
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged:
            missing = intents & PRIVILEGED_INTENTS & ~self.allowed_privileged
            self.violation(f"gateway connection #{cid}: privileged intents {missing} not enabled for the app")
            return self.close(conn, 4014, "Disallowed intent(s)")
        shard = d.get("shard")
        if shard is not None:
            if not (isinstance(shard, list) and len(shard) == 2 and all(isinstance(x, int) for x in shard)
                    and shard[1] >= 1 and 0 <= shard[0] < shard[1]):
                self.violation(f"gateway connection #{cid}: invalid shard {shard!r}")
                return self.close(conn, 4010, "Invalid shard")
            if self.required_shard_count is not None and shard[1] != self.required_shard_count:
                self.violation(f"gateway connection #{cid}: shard count {shard[1]}, "
                               f"{self.required_shard_count} required")
                return self.close(conn, 4011, "Sharding required")
        elif self.required_shard_count and self.required_shard_count > 1:
            return self.close(conn, 4011, "Sharding required")
        # Session start limits: concurrency per 5 s, and the daily budget.
        now = time.monotonic()
        key = (shard[0] if shard else 0) % max(1, self.max_concurrency)
        last = self._identify_times.get(key)
        if last is not None and now - last < self.identify_window - self.identify_tolerance:
            self.violation(f"gateway connection #{cid}: IDENTIFY {now - last:.2f}s after the previous one for "
                           f"rate-limit key {key} (max_concurrency {self.max_concurrency} per "
                           f"{self.identify_window:g} s)")
            return self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
        if self._session_starts() <= 0:
            self.violation(f"gateway connection #{cid}: IDENTIFY with no session starts remaining")
            return self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
        self._identify_times[key] = now
        self.session_start_remaining -= 1
        self.identify_count += 1
        sess = Session(secrets.token_hex(16), self.token, intents, shard, d)
        self.sessions[sess.id] = sess
        conn.session = sess
        sess.conn = conn
        ready = {
            "v": API_VERSION, "user_settings": {}, "user": self.bot_user,
            "guilds": [{"id": gid, "unavailable": True} for gid in self.guilds if self._shard_has(sess, gid)],
            "session_type": "normal", "session_id": sess.id, "resume_gateway_url": self.resume_url,
            "private_channels": [], "presences": [], "relationships": [], "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["us-east"], "auth": {}, "application": {
                "id": self.application["id"], "flags": self.application["flags"]},
        }
        if shard is not None:
            ready["shard"] = shard
        self._dispatch_to(sess, "READY", ready, filtered=False)
        conn.identified = True
        for gid, guild in self.guilds.items():
            if self._shard_has(sess, gid):
                self._dispatch_to(sess, "GUILD_CREATE", self._guild_create_payload(guild, sess), filtered=False)

    def _guild_create_payload(self, guild: Dict[str, Any], sess: Session) -> Dict[str, Any]:
        g = dict(guild)
        # Without GUILD_PRESENCES (or past large_threshold) only the bot's own
        # member comes in GUILD_CREATE (docs: Request Guild Members).
        if not sess.intents & GUILD_PRESENCES:
            g["members"] = [m for m in guild["members"] if m["user"]["id"] == self.BOT_ID]
        return g

    def _on_resume(self, conn: GatewayConnection, d: Any) -> None:
        cid = conn.id
        if conn.session is not None:
            self.violation(f"gateway connection #{cid}: RESUME on an already authenticated connection")
            return self.close(conn, 4005, "Already authenticated")
        if not isinstance(d, dict) or not isinstance(d.get("session_id"), str) \
                or not isinstance(d.get("seq"), int) or isinstance(d.get("seq"), bool):
            self.violation(f"gateway connection #{cid}: RESUME needs token, session_id, seq (got {d!r})")
            return self.close(conn, 4001, "Unknown opcode")
        conn.resume = d
        if d.get("token") != self.token:
            self.violation(f"gateway connection #{cid}: RESUME with a wrong token")
            return self.close(conn, 4004, "Authentication failed")
        sess = self.sessions.get(d["session_id"])
        self._expire_sessions()
        if sess is None or not sess.valid:
            # Not a client error: sessions end. The client must re-identify.
            return self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
        seq = d["seq"]
        if seq > sess.seq:
            self.violation(f"gateway connection #{cid}: RESUME seq {seq} is beyond the last sent ({sess.seq})")
            return self.close(conn, 4007, "Invalid seq")
        if sess.buffer and seq < sess.buffer[0][0] - 1:
            return self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
        old = sess.conn
        if old is not None and old is not conn and old.open:
            # One connection per session: the old one is superseded.
            old.session = None
            self.close(old, 4009, "Session timed out")
        conn.session = sess
        sess.conn = conn
        sess.detached_at = None
        for s, t, data in list(sess.buffer):
            if s > seq:
                conn.replayed.append(s)
                self._send(conn, {"op": OP_DISPATCH, "t": t, "s": s, "d": data})
        conn.resumed = True
        self._dispatch_to(sess, "RESUMED", None, filtered=False)

    def _expire_sessions(self) -> None:
        now = time.monotonic()
        for sess in self.sessions.values():
            if sess.valid and sess.conn is None and sess.detached_at and now - sess.detached_at > self.session_timeout:
                sess.valid = False

    # ------------------------------------------------------------ dispatch
    def _shard_has(self, sess: Session, guild_id: Optional[str]) -> bool:
        if not sess.shard:
            return True
        sid, count = sess.shard
        if guild_id is None:
            return sid == 0  # events without a guild go to shard 0
        return (int(guild_id) >> 22) % count == sid

    def _intent_filter(self, sess: Session, event: str, data: Any) -> Optional[Any]:
        """Apply intents: drop events the session did not ask for; blank message content without MESSAGE_CONTENT."""
        if not self.filter_intents:
            return data
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") and isinstance(data, dict):
            guild_id = data.get("id")
        need = EVENT_INTENTS.get(event)
        if need and not sess.intents & (need[0] if guild_id else need[1]):
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and guild_id and not sess.intents & MESSAGE_CONTENT \
                and isinstance(data, dict):
            author = (data.get("author") or {}).get("id")
            mentioned = any(u.get("id") == self.BOT_ID for u in data.get("mentions") or [])
            if author != self.BOT_ID and not mentioned:
                data = dict(data, content="", embeds=[], attachments=[], components=[])
                data.pop("poll", None)
        return data

    def _dispatch_to(self, sess: Session, event: str, data: Any, filtered: bool = True) -> Optional[int]:
        if filtered:
            data = self._intent_filter(sess, event, data)
            if data is None:
                return None
        sess.seq += 1
        sess.buffer.append((sess.seq, event, data))
        while len(sess.buffer) > self.replay_buffer:
            sess.buffer.popleft()
        conn = sess.conn
        if conn is not None and conn.open:
            self._send(conn, {"op": OP_DISPATCH, "t": event, "s": sess.seq, "d": data})
        return sess.seq

    def dispatch(self, event: str, data: Any, conn: Optional[GatewayConnection] = None,
                 filter_intents: bool = True) -> Dict[str, int]:
        """Send a dispatch (op 0) to every valid session (or to conn's session).

        The event joins each session's replay buffer even when no connection is
        live, which is how "missed while disconnected" events reach a client on
        RESUME. Intents and shard routing apply as on Discord. Returns
        {session_id: sequence number}.
        """
        self._expire_sessions()
        if conn is not None:
            targets = [conn.session] if conn.session else []
        else:
            targets = [s for s in self.sessions.values() if s.valid]
        gid = data.get("guild_id") if isinstance(data, dict) else None
        out = {}
        for sess in targets:
            if conn is None and not self._shard_has(sess, gid):
                continue
            s = self._dispatch_to(sess, event, data, filtered=filter_intents)
            if s is not None:
                out[sess.id] = s
        if not targets:
            self.log(f"dispatch {event}: no session to receive it")
        return out

    def message_create(self, channel_id: Optional[str] = None, content: str = "", author: Optional[str] = None,
                       guild_id: Optional[str] = None, mentions: Optional[List[str]] = None,
                       conn: Optional[GatewayConnection] = None, **extra: Any) -> Dict[str, Any]:
        """A user posts a message: store it and send MESSAGE_CREATE as Discord would. Returns the event data."""
        channel_id = channel_id or self.channel_id
        author_id = author or self.ALICE_ID
        ch = self.channels.get(channel_id, {})
        guild_id = guild_id or ch.get("guild_id")
        msg = self._build_message(channel_id, self._user(author_id), {"content": content}, **extra)
        msg["mentions"] = [self._user(u) for u in mentions or []]
        self.messages[channel_id].append(msg)
        ev = dict(msg)
        if guild_id:
            ev["guild_id"] = guild_id
            mem = self.members.get((guild_id, author_id)) or self._make_member(guild_id, author_id)
            ev["member"] = {k: v for k, v in mem.items() if k != "user"}
        self.dispatch("MESSAGE_CREATE", ev, conn=conn)
        return ev

    def interaction(self, kind: str = "command", *, name: str = "study", options: Optional[List[Dict[str, Any]]] = None,
                    command_id: Optional[str] = None, custom_id: str = "button", component_type: int = 2,
                    values: Optional[List[str]] = None, fields: Optional[Dict[str, str]] = None,
                    message: Optional[Dict[str, Any]] = None, channel_id: Optional[str] = None,
                    user_id: Optional[str] = None, guild_id: Optional[str] = None, dm: bool = False,
                    locale: str = "en-US", conn: Optional[GatewayConnection] = None,
                    permissions: Optional[str] = None) -> Interaction:
        """Dispatch a faithful INTERACTION_CREATE and return its record.

        kind: "command" (type 2, slash command `name` with `options`), "button"/"select"
        (type 3 on `message`, `custom_id`, `values`), "modal" (type 5, `custom_id`,
        `fields` {text input custom_id: value}), "autocomplete" (type 4), "ping" (type 1).
        permissions: the invoking member's permissions in the channel, overwrites included,
        as Discord sends them (a decimal string bitfield) in `member.permissions` and in the
        partial `channel.permissions`; default: every permission. Guild interactions only.
        """
        types = {"ping": 1, "command": 2, "button": 3, "select": 3, "component": 3, "autocomplete": 4, "modal": 5}
        if kind not in types:
            raise FakeDiscordError(f"unknown interaction kind {kind!r}")
        if permissions is None:
            permissions = ALL_PERMISSIONS
        elif not (isinstance(permissions, str) and permissions.isdigit()):
            raise FakeDiscordError(f"permissions must be a decimal string bitfield, not {permissions!r}")
        itype = types[kind]
        user_id = user_id or self.ALICE_ID
        user = self._user(user_id)
        iid, token = self.ids.next(), "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96)
        payload: Dict[str, Any] = {"id": iid, "application_id": self.application["id"], "type": itype,
                                   "token": token, "version": 1, "entitlements": [],
                                   "attachment_size_limit": 10485760}
        if dm:
            channel_id = channel_id or self.dm_channels.get(user_id)
            if channel_id is None:
                channel_id = self.ids.next()
                self.dm_channels[user_id] = channel_id
                self.channels[channel_id] = {"id": channel_id, "type": DM, "last_message_id": None, "flags": 0,
                                             "recipients": [user]}
            payload.update({"user": user, "context": 1, "authorizing_integration_owners": {"0": "0"},
                            "channel_id": channel_id, "app_permissions": "2248473465835073",
                            "channel": {"id": channel_id, "type": DM, "last_message_id": None, "flags": 0,
                                        "recipients": [user]}})
        else:
            channel_id = channel_id or self.channel_id
            ch = self.channels.get(channel_id, {"id": channel_id, "type": GUILD_TEXT})
            guild_id = guild_id or ch.get("guild_id") or self.guild_id
            mem = self.members.get((guild_id, user_id)) or self._make_member(guild_id, user_id)
            payload.update({
                "guild_id": guild_id, "channel_id": channel_id, "context": 0,
                "guild": {"id": guild_id, "locale": "en-US", "features": []},
                "guild_locale": "en-US", "authorizing_integration_owners": {"0": guild_id},
                "channel": {k: ch.get(k) for k in ("id", "type", "name", "guild_id", "parent_id", "flags",
                                                   "last_message_id", "nsfw", "position", "topic",
                                                   "rate_limit_per_user", "thread_metadata", "permissions")
                            if k in ch or k == "permissions"},
                "member": {**mem, "permissions": permissions},
                "app_permissions": "2248473465835073",
            })
            payload["channel"]["permissions"] = permissions
        if itype != 1:
            payload["locale"] = locale
        if itype in (2, 4):
            cmds = self.commands.get(guild_id, []) + self.commands.get(None, [])
            known = next((c for c in cmds if c["name"] == name), None)
            data: Dict[str, Any] = {"id": command_id or (known["id"] if known else self.ids.next()),
                                    "name": name, "type": 1}
            if options:
                data["options"] = options
                resolved = self._resolved(options, guild_id, permissions)
                if resolved:
                    data["resolved"] = resolved
            if known and known.get("guild_id"):
                data["guild_id"] = known["guild_id"]
            payload["data"] = data
        elif itype == 3:
            if message is None:
                message = self._build_message(channel_id, self.bot_user, {"content": "question", "components": [
                    {"type": 1, "components": [{"type": 2, "style": 1, "label": "Answer", "custom_id": custom_id}]}]})
                self.messages[channel_id].append(message)
            payload["message"] = message
            data = {"custom_id": custom_id, "component_type": component_type}
            if component_type != 2:
                data["values"] = values or []
            payload["data"] = data
        elif itype == 5:
            rows = [{"type": 1, "id": i + 1, "components": [{"type": 4, "id": i + 100, "custom_id": k, "value": v}]}
                    for i, (k, v) in enumerate((fields or {"answer": "my answer"}).items())]
            payload["data"] = {"custom_id": custom_id, "components": rows}
            if message is not None:
                payload["message"] = message
        inter = Interaction(iid, token, kind, payload, time.monotonic(), channel_id=channel_id)
        self.interactions[iid] = inter
        self.dispatch("INTERACTION_CREATE", payload, conn=conn)
        return inter

    def _resolved(self, options: List[Dict[str, Any]], guild_id: Optional[str],
                  permissions: str) -> Dict[str, Any]:
        """data.resolved for the user (6) and channel (7) options among `options`: partial
        channels carry only id, name, type and permissions (threads also parent_id and
        thread_metadata); members come without user, deaf and mute."""
        out: Dict[str, Dict[str, Any]] = {}

        def walk(opts: List[Dict[str, Any]]) -> None:
            for o in opts:
                if isinstance(o.get("options"), list):
                    walk(o["options"])
                value = str(o.get("value", ""))
                if o.get("type") == 6:
                    out.setdefault("users", {})[value] = self._user(value)
                    mem = self.members.get((guild_id, value)) if guild_id else None
                    if mem:
                        out.setdefault("members", {})[value] = {
                            **{k: v for k, v in mem.items() if k not in ("user", "deaf", "mute")},
                            "permissions": permissions}
                elif o.get("type") == 7 and value in self.channels:
                    ch = self.channels[value]
                    part = {"id": value, "name": ch.get("name"), "type": ch["type"], "permissions": permissions}
                    if ch["type"] in THREAD_TYPES:
                        part.update(parent_id=ch.get("parent_id"), thread_metadata=ch.get("thread_metadata"))
                    out.setdefault("channels", {})[value] = part
        walk(options)
        return out

    # ------------------------------------------------------ connection control
    def _target(self, conn: Optional[GatewayConnection]) -> GatewayConnection:
        if conn is not None:
            return conn
        live = self.live_connections() or [c for c in self.connections if c.open]
        if not live:
            raise FakeDiscordError("no open gateway connection")
        return live[-1]

    def reconnect(self, conn: Optional[GatewayConnection] = None) -> GatewayConnection:
        """Send op 7 Reconnect; close the connection ourselves after `reconnect_grace` if the client does not."""
        conn = self._target(conn)
        self._send(conn, {"op": OP_RECONNECT})

        async def later() -> None:
            await asyncio.sleep(self.reconnect_grace)
            if conn.open:
                self.close(conn, 4000, "Reconnect requested")
        self._tasks.append(asyncio.ensure_future(later()))
        return conn

    def invalid_session(self, conn: Optional[GatewayConnection] = None, resumable: bool = False) -> GatewayConnection:
        """Send op 9 Invalid Session; with resumable=False the session is gone for good."""
        conn = self._target(conn)
        if not resumable and conn.session:
            conn.session.valid = False
        self._send(conn, {"op": OP_INVALID_SESSION, "d": resumable})
        return conn

    def close(self, conn: Optional[GatewayConnection] = None, code: int = 4000, reason: str = "") -> GatewayConnection:
        """Close with a close frame (after anything already queued)."""
        conn = self._target(conn)
        if not conn.closing:
            conn.closing = True
            conn._queue.put_nowait(("close", (code, reason or CLOSE_CODES.get(code, ("", True))[0])))
        return conn

    def reset(self, conn: Optional[GatewayConnection] = None) -> GatewayConnection:
        """Drop the TCP connection with a RST and no close frame."""
        conn = self._target(conn)
        conn.was_reset = True
        transport = conn.request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            transport.abort()
        self._on_closed(conn)
        return conn

    def send_raw(self, conn: Optional[GatewayConnection], data: Union[str, bytes],
                 binary: Optional[bool] = None) -> None:
        """Send bytes/text as-is (malformed JSON, unknown opcodes, oversized frames); no compression."""
        conn = self._target(conn)
        if binary is None:
            binary = isinstance(data, bytes)
        if binary and isinstance(data, str):
            data = data.encode()
        if not binary and isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        conn._queue.put_nowait(("raw", (data, binary)))

    def request_heartbeat(self, conn: Optional[GatewayConnection] = None) -> GatewayConnection:
        """Send op 1: the client must heartbeat at once (answer delay lands in conn.heartbeat_requests)."""
        conn = self._target(conn)
        self._send(conn, {"op": OP_HEARTBEAT, "d": conn.session.seq if conn.session else None})
        return conn

    def withhold_acks(self, n: int, conn: Optional[GatewayConnection] = None) -> GatewayConnection:
        """Do not ACK the next n heartbeats on conn (a zombied connection, as the client sees it)."""
        conn = self._target(conn)
        conn.withhold_acks += n
        return conn

    def invalidate_sessions(self) -> None:
        """Every existing session becomes unresumable (RESUME gets op 9 false)."""
        for sess in self.sessions.values():
            sess.valid = False

    # ------------------------------------------------------------------ bench
    def _bench_message(self, channel_id: str, guild_id: Optional[str], size: int, i: int) -> Dict[str, Any]:
        author = self.users[self.ALICE_ID]
        filler = ("The two-phase commit protocol blocks if the coordinator fails after prepare; "
                  "three-phase commit avoids that under a synchronous network model. ")
        content = (f"[{i}] " + filler * (size // len(filler) + 1))
        msg = {
            "type": 0, "channel_id": channel_id, "content": "", "attachments": [], "embeds": [],
            "timestamp": now_iso(), "edited_timestamp": None, "flags": 0, "components": [],
            "id": self.ids.next(), "author": author, "mentions": [], "mention_roles": [], "pinned": False,
            "mention_everyone": False, "tts": False, "nonce": str(int(time.time() * 1e6)), "position": i,
        }
        if guild_id:
            msg["guild_id"] = guild_id
            mem = self.members.get((guild_id, self.ALICE_ID)) or self._make_member(guild_id, self.ALICE_ID)
            msg["member"] = {k: v for k, v in mem.items() if k != "user"}
        base = len(dumps(msg))
        msg["content"] = content[:max(0, min(2000, size - base - 40))]
        return msg

    async def stream_messages(self, n: int, channel_id: Optional[str] = None, size: int = 1000,
                              conn: Optional[GatewayConnection] = None, command: str = "study",
                              callback_timeout: float = 30.0,
                              options: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
        """Benchmark: N MESSAGE_CREATEs as fast as the client reads, then one slash command.

        Frames are built (and compressed, on the connection's own zlib stream)
        before the clock starts; sending awaits the socket's drain, so the rate
        is the client's reading rate. Returns timings once the interaction's
        callback arrives (or callback_timeout passes).
        """
        conn = self._target(conn)
        sess = conn.session
        if sess is None:
            raise FakeDiscordError("connection has no session")
        channel_id = channel_id or self.THREAD_ID
        guild_id = self.channels.get(channel_id, {}).get("guild_id") or self.guild_id
        done: asyncio.Future = asyncio.get_event_loop().create_future()
        result: Dict[str, Any] = {"n": n, "channel_id": channel_id, "size": size, "compress": conn.compress}

        async def job() -> None:
            try:
                await build_and_send()
            except BaseException as e:  # the waiter must learn about a dead connection
                if not done.done():
                    done.set_exception(FakeDiscordError(f"stream failed: {e!r}"))
                raise

        async def build_and_send() -> None:
            payloads = []
            for i in range(n):
                data = self._intent_filter(sess, "MESSAGE_CREATE", self._bench_message(channel_id, guild_id, size, i))
                sess.seq += 1
                payloads.append({"op": 0, "d": data, "s": sess.seq, "t": "MESSAGE_CREATE"})
            frames = [self._encode_frames(conn, dumps(p)) for p in payloads]
            total = sum(len(f[0]) for fr in frames for f in fr)
            t0 = time.monotonic()
            for fr in frames:
                await self._write_frames(conn, fr)
            t1 = time.monotonic()
            # Keep the replay buffer honest about what was sent.
            for p in payloads:
                sess.buffer.append((p["s"], p["t"], p["d"]))
            while len(sess.buffer) > self.replay_buffer:
                sess.buffer.popleft()
            result.update({"bytes": total, "frames": sum(len(f) for f in frames), "send_seconds": t1 - t0,
                           "messages_per_second": n / (t1 - t0) if t1 > t0 else None, "started": t0})
            done.set_result(None)

        conn._queue.put_nowait(("call", job))
        await asyncio.wait_for(done, callback_timeout + n / 1000.0)
        # options: a command with subcommands (like /study) is only ever
        # invoked with one, as Discord's clients do.
        inter = self.interaction("command", name=command, channel_id=channel_id if channel_id in self.channels
                                 else None, conn=conn, options=options)
        try:
            await self.wait_for(lambda: inter.callbacks, callback_timeout, what="the interaction callback")
            cb = inter.callbacks[0]
            result.update({"interaction_id": inter.id, "callback_status": cb["status"],
                           "callback_latency": cb["at"] - (inter.sent_at or inter.created_at),
                           "total_seconds": cb["at"] - result["started"]})
        except asyncio.TimeoutError:
            result.update({"interaction_id": inter.id, "callback_status": None, "callback_latency": None,
                           "total_seconds": None, "error": "no callback"})
        result.pop("started", None)
        self.stream_results.append(result)
        return result

    # ------------------------------------------------------ control endpoints
    def _conn_by_id(self, cid: Any) -> Optional[GatewayConnection]:
        if cid is None:
            return None
        return next((c for c in self.connections if c.id == int(cid)), None)

    def state(self) -> Dict[str, Any]:
        """A JSON summary for out-of-process tests."""
        return {
            "violations": self.violations, "unimplemented": self.unimplemented, "premature": self.premature,
            "identify_count": self.identify_count,
            "connections": [{"id": c.id, "port_kind": c.port_kind, "open": c.open, "identified": c.identified,
                             "resumed": c.resumed, "compress": c.compress, "session_id": c.session_id,
                             "first_heartbeat_delay": c.first_heartbeat_delay, "heartbeats": len(c.heartbeats),
                             "acks_withheld": c.acks_withheld, "close_code_sent": c.close_code_sent,
                             "client_close_code": c.client_close_code, "replayed": c.replayed,
                             "heartbeat_requests": c.heartbeat_requests,
                             "identify": c.identify and {k: v for k, v in c.identify.items() if k != "token"},
                             "resume": c.resume and {k: v for k, v in c.resume.items() if k != "token"}}
                            for c in self.connections],
            "requests": [{"method": r.method, "path": r.path, "template": r.template, "status": r.status,
                          "json": r.json, "time": r.time} for r in self.requests],
            "callbacks": self.callbacks,
            "messages": self.messages,
            "commands": {k or "global": v for k, v in self.commands.items()},
        }

    async def _control_action(self, action: str, args: Dict[str, Any],
                              conn: Optional[GatewayConnection]) -> Optional[web.Response]:
        if action == "state":
            return web.json_response(self.state())
        if action == "stream":
            res = await self.stream_messages(int(args.get("n", 1000)), args.get("channel_id"),
                                             int(args.get("size", 1000)), conn=conn,
                                             command=args.get("command", "study"),
                                             callback_timeout=float(args.get("callback_timeout", 30)),
                                             options=args.get("options"))
            return web.json_response(res)
        if action == "dispatch":
            return web.json_response(self.dispatch(args["event"], args.get("data"), conn=conn))
        if action == "message":
            return web.json_response(self.message_create(args.get("channel_id"), args.get("content", ""),
                                                         author=args.get("author"), conn=conn))
        if action == "interaction":
            kind = args.pop("kind", "command")
            inter = self.interaction(kind, conn=conn, **args)
            return web.json_response({"id": inter.id, "token": inter.token, "payload": inter.payload})
        if action == "reconnect":
            return web.json_response({"conn": self.reconnect(conn).id})
        if action == "invalid_session":
            return web.json_response({"conn": self.invalid_session(conn, bool(args.get("resumable"))).id})
        if action == "close":
            return web.json_response({"conn": self.close(conn, int(args.get("code", 4000)),
                                                         args.get("reason", "")).id})
        if action == "reset":
            return web.json_response({"conn": self.reset(conn).id})
        if action == "request_heartbeat":
            return web.json_response({"conn": self.request_heartbeat(conn).id})
        if action == "withhold_acks":
            return web.json_response({"conn": self.withhold_acks(int(args.get("n", 1)), conn).id})
        if action == "invalidate_sessions":
            self.invalidate_sessions()
            return web.json_response({})
        if action == "inject_rest":
            route = tuple(args["route"]) if args.get("route") else None
            self.inject_rest(int(args["status"]), int(args.get("times", 1)), route,
                             bool(args.get("global", False)), float(args.get("retry_after", 1.0)),
                             args.get("body"), bool(args.get("headers", True)), args.get("scope", "user"))
            return web.json_response({})
        if action == "inject_delay":
            route = tuple(args["route"]) if args.get("route") else None
            self.inject_delay(float(args["seconds"]), route, int(args.get("times", 1)),
                              bool(args.get("before", False)))
            return web.json_response({})
        return None


# ----------------------------------------------------------------------- CLI

def _parse_intents(text: str) -> int:
    names = {"guild_members": GUILD_MEMBERS, "guild_presences": GUILD_PRESENCES, "message_content": MESSAGE_CONTENT}
    value = 0
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        value |= int(part, 0) if part[0].isdigit() else names[part]
    return value


async def _main(args: argparse.Namespace) -> int:
    fake = FakeDiscord(args.token, heartbeat_interval=args.heartbeat_interval,
                       allowed_privileged=_parse_intents(args.allow_privileged),
                       split_frames=args.split_frames, openapi_path=args.openapi,
                       identify_window=args.identify_window, log=cli_log(args))
    return await serve_until_signal(fake, args, lambda: {
        "violations": fake.violations, "unimplemented": fake.unimplemented, "premature": fake.premature,
        "stream_results": fake.stream_results})


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Fake Discord (REST v10 + gateway) on loopback.")
    p.add_argument("--token", required=True, help="the bot token clients must present")
    p.add_argument("--heartbeat-interval", type=int, default=41250, help="HELLO heartbeat_interval in ms")
    p.add_argument("--allow-privileged", default="message_content",
                   help="privileged intents the app may use: names (message_content,guild_members,"
                        "guild_presences) or a number; '' for none")
    p.add_argument("--identify-window", type=float, default=5.0, help="seconds between IDENTIFYs per concurrency key")
    p.add_argument("--split-frames", action="store_true", help="split zlib-stream messages over several frames")
    p.add_argument("--openapi", help="path of Discord's openapi.json (default: $DISCORD_OPENAPI or the shared copy)")
    add_cli_args(p, "write one JSON line with ports and URLs here once serving",
                 "on SIGTERM, write violations/premature/unimplemented here as JSON")
    args = p.parse_args(argv)
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())

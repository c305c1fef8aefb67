#!/usr/bin/python3
"""Self-test of the fake Slack, driven by a raw aiohttp client (no Slack SDK).

Each case starts its own fake and proves one documented behaviour: token
checks, the OpenAPI argument check, Block Kit limits, rate limits and
injections, the message, ephemeral, view, user, DM and file-upload methods,
and Socket Mode (tickets, hello, acks, redelivery, timeouts, disconnects,
pings, fragmented messages, the connection limit), and the CLI. Several cases
feed the fake wrong input and check that it refuses it and records a
violation. The last line is "N passed, M failed"; exit 0 only if all passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any, Dict, List, Optional

import aiohttp

sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_slack import FakeSlack  # noqa: E402

APP = "xapp-1-A1-1-abc"
BOT = "xoxb-1-2-abc"
JSON_CT = "application/json; charset=utf-8"


def new_fake(**kw: Any) -> FakeSlack:
    return FakeSlack(app_token=APP, bot_token=BOT, **kw)


async def api(http: aiohttp.ClientSession, fake: FakeSlack, method: str, token: Optional[str] = BOT,
              form: Optional[Dict[str, Any]] = None, js: Optional[Dict[str, Any]] = None,
              get: Optional[Dict[str, str]] = None, ctype: str = JSON_CT) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{fake.api_base}/{method}"
    if get is not None:
        r = await http.get(url, params=get, headers=headers)
    elif js is not None:
        headers["Content-Type"] = ctype
        r = await http.post(url, data=json.dumps(js), headers=headers)
    else:
        r = await http.post(url, data={k: v if isinstance(v, str) else json.dumps(v)
                                       for k, v in (form or {}).items()}, headers=headers)
    body = await r.json()
    return r.status, body, r.headers


class Sock:
    """A raw Socket Mode client."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeSlack):
        self.http, self.fake = http, fake
        self.ws: Optional[aiohttp.ClientWebSocketResponse] = None

    async def connect(self, url: Optional[str] = None) -> Dict[str, Any]:
        if url is None:
            _s, body, _h = await api(self.http, self.fake, "apps.connections.open", token=APP, form={})
            assert body["ok"], body
            url = body["url"]
        self.url = url
        self.ws = await self.http.ws_connect(url, autoping=True)
        return await self.recv()

    async def recv(self, timeout: float = 3.0) -> Dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"not text: {msg.type} {msg.data!r}")
        return json.loads(msg.data)

    async def ack(self, env_id: str, payload: Optional[Dict[str, Any]] = None) -> None:
        m: Dict[str, Any] = {"envelope_id": env_id}
        if payload is not None:
            m["payload"] = payload
        await self.ws.send_str(json.dumps(m))


def expect_violation(fake: FakeSlack, fragment: str) -> None:
    hits = [v for v in fake.violations if fragment in v]
    assert hits, f"no violation containing {fragment!r}: {fake.violations}"
    for h in hits:
        fake.violations.remove(h)


# ------------------------------------------------------------------ Web API
async def t_auth(http):
    async with new_fake() as fake:
        _s, b, _h = await api(http, fake, "auth.test", token=None, form={})
        assert b == {"ok": False, "error": "not_authed"}, b
        expect_violation(fake, "no token")
        _s, b, _h = await api(http, fake, "auth.test", token="xoxb-wrong", form={})
        assert b["error"] == "invalid_auth", b
        expect_violation(fake, "wrong token")
        _s, b, _h = await api(http, fake, "auth.test", token=APP, form={})
        assert b["error"] == "not_allowed_token_type", b
        _s, b, _h = await api(http, fake, "apps.connections.open", token=BOT, form={})
        assert b["error"] == "not_allowed_token_type", b
        expect_violation(fake, "may only open connections")
        expect_violation(fake, "needs the app-level token")
        s, b, _h = await api(http, fake, "auth.test", form={})
        assert s == 200 and b["ok"] and b["user_id"] == fake.BOT_USER_ID and b["bot_id"] == fake.BOT_ID \
            and b["team_id"] == fake.TEAM_ID, b
        # A token as a form field is accepted, as the docs allow.
        r = await http.post(f"{fake.api_base}/auth.test", data={"token": BOT})
        assert (await r.json())["ok"]
        assert fake.violations == [], fake.violations
        c = fake.calls("auth.test")[-1]
        assert c["http_method"] == "POST" and c["status"] == 200 and c["content_type"].startswith(
            "application/x-www-form-urlencoded"), c


async def t_spec_checks(http):
    async with new_fake() as fake:
        s, b, _h = await api(http, fake, "chat.postMessagee", js={"channel": fake.STUDY_ID, "text": "x"})
        assert s == 200 and b == {"ok": False, "error": "unknown_method"}, b
        expect_violation(fake, "no such method")
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"text": "x"})
        assert b["error"] == "channel_not_found", b
        expect_violation(fake, "required argument 'channel'")
        _s, b, _h = await api(http, fake, "views.open", js={"view": {"type": "modal"}})
        assert b["error"] == "invalid_arguments", b
        expect_violation(fake, "required argument 'trigger_id'")
        _s, b, _h = await api(http, fake, "files.getUploadURLExternal", form={"filename": "a.csv"})
        assert b["error"] == "invalid_arguments", b
        expect_violation(fake, "'length'")
        _s, b, _h = await api(http, fake, "chat.postMessage", form={"channel": fake.STUDY_ID, "text": "x",
                                                                      "unfurl_links": "maybe"})
        assert b["error"] == "invalid_arguments", b
        expect_violation(fake, "not a boolean")
        # JSON without charset: accepted, warned, recorded.
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.STUDY_ID, "text": "x"},
                              ctype="application/json")
        assert b["ok"] and "missing_charset" in b["response_metadata"]["warnings"], b
        expect_violation(fake, "charset")
        # users.info takes no JSON bodies (OpenAPI consumes): arguments unread.
        _s, b, _h = await api(http, fake, "users.info", js={"user": fake.ALICE_ID})
        assert b["error"] == "user_not_found", b
        expect_violation(fake, "does not take JSON")
        expect_violation(fake, "user None does not exist")
        # Unknown arguments: ignored (listed, not violations).
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.STUDY_ID, "text": "x",
                                                                    "metadata": {"event_type": "t",
                                                                                 "event_payload": {}}})
        assert b["ok"] and "chat.postMessage: metadata" in fake.unknown_args
        assert fake.violations == [], fake.violations


async def t_block_kit(http):
    async with new_fake(post_burst=100) as fake:
        ch = fake.STUDY_ID

        async def post(blocks):
            return (await api(http, fake, "chat.postMessage", js={"channel": ch, "text": "t", "blocks": blocks}))[1]
        sec = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
        assert (await post([sec] * 50))["ok"]
        cases = [
            ([sec] * 51, "more than 50"),
            ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "more than 3000"),
            ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "more than 150"),
            ([{"type": "section", "text": {"type": "markdown", "text": "x"}}], "plain_text or mrkdwn"),
            ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76},
                                                "action_id": "a"}]}], "more than 75"),
            ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"},
                                                "action_id": "a" * 256}]}], "more than 255"),
            ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b"},
                                                "action_id": "a", "value": "v" * 2001}]}], "more than 2000"),
        ]
        for blocks, frag in cases:
            b = await post(blocks)
            assert b["error"] == "invalid_blocks" and any(frag in e for e in b["errors"]), (frag, b)
            expect_violation(fake, frag)
        b = (await api(http, fake, "chat.postMessage", form={"channel": ch, "blocks": "[{"}))[1]
        assert b["error"] == "invalid_blocks_format", b
        expect_violation(fake, "not valid JSON")
        b = (await api(http, fake, "chat.postMessage", form={"channel": ch}))[1]
        assert b["error"] == "no_text", b
        expect_violation(fake, "neither text")
        # Views.
        home = {"type": "home", "blocks": [sec] * 100}
        b = (await api(http, fake, "views.publish", js={"user_id": fake.ALICE_ID, "view": home}))[1]
        assert b["ok"], b
        b = (await api(http, fake, "views.publish", js={"user_id": fake.ALICE_ID,
                                                        "view": {"type": "home", "blocks": [sec] * 101}}))[1]
        assert b["error"] == "invalid_arguments", b
        expect_violation(fake, "more than 100")
        modal_cases = [
            ({"title": {"type": "plain_text", "text": "x" * 25}}, "view.title.text"),
            ({"submit": {"type": "plain_text", "text": "x" * 25}}, "view.submit.text"),
            ({"callback_id": "c" * 256}, "view.callback_id"),
            ({"private_metadata": "m" * 3001}, "view.private_metadata"),
            ({"blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "l" * 2001},
                          "element": {"type": "plain_text_input", "action_id": "a"}}]}, "label.text"),
            ({"blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "l"},
                          "element": {"type": "plain_text_input", "action_id": "a", "max_length": 3001}}]},
             "max_length"),
            ({"blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "l"},
                          "element": {"type": "plain_text_input", "action_id": "a",
                                      "placeholder": {"type": "plain_text", "text": "p" * 151}}}]}, "placeholder"),
        ]
        for extra, frag in modal_cases:
            env = fake.slash("x")  # a fresh trigger
            modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"},
                     "submit": {"type": "plain_text", "text": "OK"}, "blocks": [sec], **extra}
            b = (await api(http, fake, "views.open", js={"trigger_id": env.payload["trigger_id"], "view": modal}))[1]
            assert b["error"] == "invalid_arguments" and any(frag in m for m in b["response_metadata"]["messages"]), \
                (frag, b)
            expect_violation(fake, frag)
        assert fake.violations == [], fake.violations


async def t_post_and_threads(http):
    async with new_fake(channels=[{"id": "C0STUDY", "name": "study"},
                                  {"id": "C0OTHER", "name": "other", "bot_member": False},
                                  {"id": "C0SMALL", "name": "small", "members": ["U0ALICE"]}]) as fake:
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": "C0STUDY", "text": "one"})
        assert b["ok"] and b["channel"] == "C0STUDY" and b["message"]["text"] == "one", b
        ts1 = b["ts"]
        assert len(ts1.split(".")[1]) == 6
        _s, b2, _h = await api(http, fake, "chat.postMessage", form={"channel": "C0STUDY", "text": "reply",
                                                                       "thread_ts": ts1})
        assert b2["ok"] and float(b2["ts"]) > float(ts1) and b2["message"]["thread_ts"] == ts1, b2
        msgs = fake.messages("C0STUDY")
        assert [m["text"] for m in msgs] == ["one", "reply"] and msgs[1]["thread_ts"] == ts1 \
            and msgs[0]["bot_id"] == fake.BOT_ID and msgs[0]["user"] == fake.BOT_USER_ID, msgs
        # thread_ts naming nothing: posted (as Slack does), recorded as a violation.
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": "C0STUDY", "text": "x",
                                                                    "thread_ts": "1.000001"})
        assert b["ok"]
        expect_violation(fake, "names no message")
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": "C0STUDY", "text": "x",
                                                                    "thread_ts": b2["ts"]})
        expect_violation(fake, "reply's ts")
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": "C0OTHER", "text": "x"})
        assert b["error"] == "not_in_channel", b
        expect_violation(fake, "not a member")
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": "C0NOPE", "text": "x"})
        assert b["error"] == "channel_not_found", b
        expect_violation(fake, "does not exist")
        # DMs: by user id, or by the D… id from conversations.open.
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.ALICE_ID, "text": "dm1"})
        assert b["ok"] and b["channel"].startswith("D"), b
        _s, o, _h = await api(http, fake, "conversations.open", js={"users": fake.ALICE_ID})
        assert o["ok"] and o["channel"]["id"] == b["channel"], o
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": o["channel"]["id"], "text": "dm2"})
        assert [m["text"] for m in fake.dms(fake.ALICE_ID)] == ["dm1", "dm2"]
        # Ephemerals.
        _s, b, _h = await api(http, fake, "chat.postEphemeral", js={"channel": "C0SMALL", "user": "U0ALICE",
                                                                      "text": "psst"})
        assert b["ok"] and b["message_ts"], b
        _s, b, _h = await api(http, fake, "chat.postEphemeral", js={"channel": "C0SMALL", "user": "U0BOB",
                                                                      "text": "psst"})
        assert b["error"] == "user_not_in_channel", b
        expect_violation(fake, "not in C0SMALL")
        e = fake.ephemerals(user="U0ALICE")
        assert len(e) == 1 and e[0]["channel"] == "C0SMALL" and e[0]["text"] == "psst", e
        # chat.update.
        _s, b, _h = await api(http, fake, "chat.update", js={"channel": "C0STUDY", "ts": ts1, "text": "uno"})
        assert b["ok"] and fake.messages("C0STUDY")[0]["text"] == "uno", b
        assert fake.violations == [], fake.violations


async def t_users_views_files(http):
    async with new_fake() as fake:
        s, b, _h = await api(http, fake, "users.info", get={"user": fake.ADMIN_ID})
        assert b["ok"] and b["user"]["is_admin"] is True and b["user"]["id"] == fake.ADMIN_ID, b
        _s, b, _h = await api(http, fake, "users.info", form={"user": fake.ALICE_ID})
        assert b["ok"] and b["user"]["is_admin"] is False and b["user"]["is_owner"] is False
        _s, b, _h = await api(http, fake, "users.info", form={"user": "U0NOBODY"})
        assert b["error"] == "user_not_found"
        expect_violation(fake, "U0NOBODY")
        # views.open: issued, unused, fresh triggers only.
        modal = {"type": "modal", "callback_id": "answer", "title": {"type": "plain_text", "text": "Answer"},
                 "submit": {"type": "plain_text", "text": "Send"},
                 "blocks": [{"type": "input", "block_id": "ans", "label": {"type": "plain_text", "text": "Answer"},
                             "element": {"type": "plain_text_input", "action_id": "v", "max_length": 500}}]}
        env = fake.slash("answer", user=fake.BOB_ID)
        trig = env.payload["trigger_id"]
        _s, b, _h = await api(http, fake, "views.open", js={"trigger_id": trig, "view": modal})
        assert b["ok"] and b["view"]["id"].startswith("V"), b
        assert fake.views[-1]["user"] == fake.BOB_ID and fake.views[-1]["trigger_id"] == trig
        _s, b, _h = await api(http, fake, "views.open", js={"trigger_id": trig, "view": modal})
        assert b["error"] == "exchanged_trigger_id", b
        expect_violation(fake, "already used")
        _s, b, _h = await api(http, fake, "views.open", js={"trigger_id": "123.456.abc", "view": modal})
        assert b["error"] == "invalid_trigger_id", b
        expect_violation(fake, "not issued")
        fake.trigger_lifetime = 0.2
        env2 = fake.slash("late")
        await asyncio.sleep(0.3)
        _s, b, _h = await api(http, fake, "views.open", js={"trigger_id": env2.payload["trigger_id"], "view": modal})
        assert b["error"] == "expired_trigger_id", b
        expect_violation(fake, "after it was issued")
        # views.publish / home.
        _s, b, _h = await api(http, fake, "views.publish", form={"user_id": fake.ALICE_ID, "view": {
            "type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Home"}}]}})
        assert b["ok"], b
        assert fake.home(fake.ALICE_ID)["blocks"][0]["text"]["text"] == "Home" and fake.home(fake.BOB_ID) is None
        # Three-step upload.
        data = b"name,score\nalice,3\n"
        _s, b, _h = await api(http, fake, "files.getUploadURLExternal", form={"filename": "s.csv",
                                                                                "length": str(len(data))})
        assert b["ok"] and b["upload_url"].startswith("http://127.0.0.1:"), b
        r = await http.post(b["upload_url"], data=data)
        assert r.status == 200
        _s, c, _h = await api(http, fake, "files.completeUploadExternal", form={
            "files": [{"id": b["file_id"], "title": "Scores"}], "channel_id": fake.STUDY_ID,
            "initial_comment": "here"})
        assert c["ok"] and c["files"][0]["id"] == b["file_id"], c
        f = fake.files[-1]
        assert f["data"] == data and f["title"] == "Scores" and f["name"] == "s.csv" \
            and f["channel"] == fake.STUDY_ID, f
        # Completing a file never uploaded.
        _s, b, _h = await api(http, fake, "files.getUploadURLExternal", form={"filename": "x", "length": "3"})
        _s, c, _h = await api(http, fake, "files.completeUploadExternal", form={"files": [{"id": b["file_id"]}]})
        assert c["error"] == "file_not_found", c
        expect_violation(fake, "not uploaded")
        assert fake.violations == [], fake.violations


async def t_rate_limits(http):
    async with new_fake(post_burst=3, post_rate=1.0, rate_scale=0.05) as fake:
        results = []
        for i in range(5):
            s, b, h = await api(http, fake, "chat.postMessage", js={"channel": fake.STUDY_ID, "text": str(i)})
            results.append((s, b.get("error"), h.get("Retry-After")))
        assert [r[0] for r in results[:3]] == [200] * 3, results
        assert results[3][0] == 429 and results[3][1] == "ratelimited" and int(results[3][2]) >= 1, results
        assert len(fake.rate_limited) >= 1 and fake.rate_limited[0]["method"] == "chat.postMessage"
        # The call right after the 429 came inside its Retry-After: recorded.
        assert fake.premature, fake.premature
        # Another channel has its own budget.
        s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.ALICE_ID, "text": "dm"})
        assert s == 200, b
        await asyncio.sleep(int(results[3][2]) + 0.1)
        s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.STUDY_ID, "text": "later"})
        assert s == 200, b
        # A tier: users.info (Tier 4: 100/min + burst), scaled window.
        codes = []
        for _ in range(125):
            s, _b, _h = await api(http, fake, "users.info", get={"user": fake.ALICE_ID})
            codes.append(s)
        assert 429 in codes, codes
        # Injections.
        fake.inject("auth.test", status=429, retry_after=2)
        s, b, h = await api(http, fake, "auth.test", form={})
        assert s == 429 and h["Retry-After"] == "2", (s, b)
        fake.inject("auth.test", error="account_inactive", times=2)
        for _ in range(2):
            s, b, _h = await api(http, fake, "auth.test", form={})
            assert s == 200 and b == {"ok": False, "error": "account_inactive"}, b
        fake.inject("auth.test", status=500)
        s, b, _h = await api(http, fake, "auth.test", form={})
        assert s == 500
        s, b, _h = await api(http, fake, "auth.test", form={})
        assert s == 200 and b["ok"]
        assert fake.violations == [], fake.violations


# -------------------------------------------------------------- Socket Mode
async def t_hello_and_tickets(http):
    async with new_fake() as fake:
        sock = Sock(http, fake)
        hello = await sock.connect()
        assert hello["type"] == "hello" and hello["num_connections"] == 1 \
            and hello["connection_info"]["app_id"] == fake.APP_ID and "host" in hello["debug_info"], hello
        conns = await fake.wait_hello(1)
        assert conns[0].hello_at is not None
        assert sock.url.startswith(f"ws://127.0.0.1:{fake.socket_port}/link/?ticket=")
        # The ticket is single use.
        try:
            await http.ws_connect(sock.url)
            raise AssertionError("a reused ticket was accepted")
        except aiohttp.WSServerHandshakeError:
            pass
        expect_violation(fake, "reused ticket")
        # Pings are answered with pongs.
        await sock.ws.ping(b"hi")
        await fake.wait_for(lambda: conns[0].pings, 2)
        sock2 = Sock(http, fake)
        hello2 = await sock2.connect()
        assert hello2["num_connections"] == 2, hello2
        assert fake.violations == [], fake.violations


async def t_envelopes_and_acks(http):
    async with new_fake(ack_timeout=0.5) as fake:
        env_q = fake.slash("queued")  # no connection yet: queued
        sock = Sock(http, fake)
        await sock.connect()
        m = await sock.recv()
        assert m["type"] == "slash_commands" and m["accepts_response_payload"] is True \
            and m["envelope_id"] == env_q.id and m["payload"]["text"] == "queued" \
            and m["payload"]["command"] == "/study" and m["payload"]["trigger_id"], m
        await sock.ack(m["envelope_id"], {"text": "ok"})
        await fake.wait_acked(env_q)
        assert env_q.ack_payload == {"text": "ok"} and env_q.deliveries == 1
        # events_api: accepts_response_payload false, retry fields present.
        env = fake.message(fake.STUDY_ID, "hello", fake.ALICE_ID)
        m = await sock.recv()
        assert m["type"] == "events_api" and m["accepts_response_payload"] is False \
            and m["retry_attempt"] == 0 and m["retry_reason"] == "" \
            and m["payload"]["event"]["channel_type"] == "channel" and m["payload"]["type"] == "event_callback", m
        await sock.ack(m["envelope_id"], {})  # empty payload: fine
        await fake.wait_acked(env)
        # A payload where none is accepted, an unknown id, a double ack: violations.
        env = fake.event({"type": "app_mention", "user": fake.ALICE_ID, "text": "hi", "channel": fake.STUDY_ID})
        m = await sock.recv()
        await sock.ack(m["envelope_id"], {"text": "no"})
        await fake.wait_acked(env)
        expect_violation(fake, "accepts_response_payload is false")
        await sock.ack("nope-nope")
        await fake.wait_for(lambda: any("unknown envelope" in v for v in fake.violations), 2)
        expect_violation(fake, "unknown envelope")
        await sock.ack(m["envelope_id"])
        await fake.wait_for(lambda: any("acked twice" in v for v in fake.violations), 2)
        expect_violation(fake, "acked twice")
        # Not acked: events_api redelivered with retry_attempt 1..3, then timed out.
        env = fake.message(fake.STUDY_ID, "ignored")
        attempts = []
        for _ in range(4):
            m = await sock.recv(3)
            assert m["envelope_id"] == env.id
            attempts.append((m["retry_attempt"], m["retry_reason"]))
        assert attempts == [(0, ""), (1, "timeout"), (2, "timeout"), (3, "timeout")], attempts
        await fake.wait_for(lambda: env.timed_out, 3)
        assert env.deliveries == 4 and not env.acked
        # Slash not acked: timed out, no redelivery.
        env = fake.slash("slow")
        await sock.recv()
        await fake.wait_for(lambda: env.timed_out, 3)
        assert env.deliveries == 1
        # block_actions on a posted message; view_submission of an opened view.
        _s, b, _h = await api(http, fake, "chat.postMessage", js={"channel": fake.STUDY_ID, "text": "q", "blocks": [
            {"type": "actions", "block_id": "b1", "elements": [
                {"type": "button", "action_id": "reveal", "value": "42", "text": {"type": "plain_text", "text": "R"}}]}]})
        msg = fake.messages(fake.STUDY_ID)[-1]
        env = fake.click(fake.BOB_ID, msg, "reveal")
        m = await sock.recv()
        p = m["payload"]
        assert m["type"] == "interactive" and m["accepts_response_payload"] is False and p["type"] == "block_actions" \
            and p["actions"][0]["value"] == "42" and p["container"]["message_ts"] == msg["ts"] \
            and p["user"]["id"] == fake.BOB_ID and p["trigger_id"], m
        await sock.ack(m["envelope_id"])
        modal = {"type": "modal", "callback_id": "ans", "title": {"type": "plain_text", "text": "Answer"},
                 "submit": {"type": "plain_text", "text": "Send"},
                 "blocks": [{"type": "input", "block_id": "a", "label": {"type": "plain_text", "text": "A"},
                             "element": {"type": "plain_text_input", "action_id": "v"}}]}
        _s, b, _h = await api(http, fake, "views.open", js={"trigger_id": p["trigger_id"], "view": modal})
        assert b["ok"], b
        env = fake.submit(fake.BOB_ID, fake.views[-1], {"a": "my answer"})
        m = await sock.recv()
        assert m["accepts_response_payload"] is True and m["payload"]["type"] == "view_submission" \
            and m["payload"]["view"]["state"]["values"]["a"]["v"]["value"] == "my answer" \
            and m["payload"]["view"]["callback_id"] == "ans", m
        await sock.ack(m["envelope_id"], {"response_action": "errors", "errors": {"a": "too short"}})
        await fake.wait_acked(env)
        # Clicks on an ephemeral and on the home view.
        _s, b, _h = await api(http, fake, "chat.postEphemeral", js={
            "channel": fake.STUDY_ID, "user": fake.ALICE_ID, "text": "e", "blocks": [{"type": "actions", "elements": [
                {"type": "button", "action_id": "join", "text": {"type": "plain_text", "text": "Join"}}]}]})
        env = fake.click(fake.ALICE_ID, fake.ephemerals(fake.ALICE_ID)[-1], "join")
        m = await sock.recv()
        assert m["payload"]["container"]["is_ephemeral"] is True and m["payload"]["actions"][0]["action_id"] == "join"
        await sock.ack(m["envelope_id"])
        _s, b, _h = await api(http, fake, "views.publish", js={"user_id": fake.ALICE_ID, "view": {
            "type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "h"}, "accessory": {
                "type": "button", "action_id": "stats", "text": {"type": "plain_text", "text": "Stats"}}}]}})
        env = fake.click(fake.ALICE_ID, fake.home(fake.ALICE_ID), "stats")
        m = await sock.recv()
        assert m["payload"]["container"]["type"] == "view" and m["payload"]["view"]["type"] == "home", m
        await sock.ack(m["envelope_id"])
        try:
            fake.click(fake.ALICE_ID, fake.home(fake.ALICE_ID), "nope")
            raise AssertionError("a click on a missing action_id was accepted")
        except Exception as e:
            assert "no element" in str(e), e
        env = fake.home_opened(fake.ALICE_ID)
        m = await sock.recv()
        assert m["payload"]["event"]["type"] == "app_home_opened" and m["payload"]["event"]["tab"] == "home"
        await sock.ack(m["envelope_id"])
        env = fake.edit(fake.STUDY_ID, "1700000000.000100", "changed", fake.ALICE_ID)
        m = await sock.recv()
        assert m["payload"]["event"]["subtype"] == "message_changed" \
            and m["payload"]["event"]["message"]["text"] == "changed"
        await sock.ack(m["envelope_id"])
        await fake.wait_acked(env)
        assert fake.violations == [], fake.violations


async def t_disconnect_and_redelivery(http):
    async with new_fake(ack_timeout=0.5, refresh_close_after=0.5) as fake:
        a = Sock(http, fake)
        await a.connect()
        conn_a = fake.connections[-1]
        fake.disconnect("refresh_requested")
        m = await a.recv()
        assert m["type"] == "disconnect" and m["reason"] == "refresh_requested", m
        # Nothing is routed to a connection being disconnected: queued.
        env = fake.slash("during")
        await asyncio.sleep(0.1)
        assert env.deliveries == 0
        msg = await asyncio.wait_for(a.ws.receive(), 3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        await fake.wait_for(lambda: not conn_a.open, 2)
        b = Sock(http, fake)
        await b.connect()
        m = await b.recv()
        assert m["envelope_id"] == env.id, m
        await b.ack(env.id)
        await fake.wait_acked(env)
        # An unacked event goes again, to another connection if there is one.
        c = Sock(http, fake)
        await c.connect()
        fake.silence(fake.connections[-1])  # c: swallowed, no pongs
        env = fake.message(fake.STUDY_ID, "again")
        m = await b.recv()  # the healthy connection gets it
        assert m["envelope_id"] == env.id
        # Unacked on b: the retry goes to another usable connection (d).
        d = Sock(http, fake)
        await d.connect()
        env = fake.message(fake.STUDY_ID, "retry elsewhere")
        m = await d.recv()
        assert m["envelope_id"] == env.id and m["retry_attempt"] == 0
        m = await b.recv(3)
        assert m["envelope_id"] == env.id and m["retry_attempt"] == 1 and m["retry_reason"] == "timeout", m
        await b.ack(env.id)
        await fake.wait_acked(env)
        fake.connections[-1].disconnecting = "test"  # d: out of the way for what follows
        # link_disabled closes soon.
        conn_b = fake.connections[-3]
        fake.disconnect("link_disabled", conn_b)
        m = await b.recv()
        assert m["type"] == "disconnect" and m["reason"] == "link_disabled"
        await fake.wait_for(lambda: not conn_b.open, 2)
        # Silenced: no pong to a ping.
        got_pong = asyncio.get_event_loop().create_future()
        await c.ws.ping(b"x")
        try:
            msg = await asyncio.wait_for(c.ws.receive(), 0.5)
            got_pong.set_result(msg)
        except asyncio.TimeoutError:
            pass
        assert not got_pong.done(), got_pong
        assert fake.connections[-2].silenced and fake.connections[-2].pings
        assert fake.violations == [], fake.violations


async def t_fragmented(http):
    async with new_fake() as fake:
        sock = Sock(http, fake)
        await sock.connect()
        env = fake.fragmentable("x" * 10000)
        fake.send_fragmented(env, size=1000)
        m = await sock.recv()
        assert m["envelope_id"] == env.id and m["payload"]["text"] == "x" * 10000
        await sock.ack(env.id, {"text": "ok"})
        await fake.wait_acked(env)
        assert fake.violations == [], fake.violations


async def t_connection_limit(http):
    async with new_fake(max_connections=2) as fake:
        socks = [Sock(http, fake) for _ in range(3)]
        await socks[0].connect()
        await socks[1].connect()
        m = await socks[2].connect()
        assert m["type"] == "disconnect" and m["reason"] == "too_many_websockets", m
        expect_violation(fake, "more than 2 connections")
        assert fake.violations == [], fake.violations


async def t_cli(http):
    with tempfile.TemporaryDirectory() as d:
        ready = os.path.join(d, "ready")
        here = os.path.dirname(os.path.abspath(__file__))
        proc = subprocess.Popen([sys.executable, os.path.join(here, "fake_slack.py"), "--ready-file", ready,
                                 "--app-token", APP, "--bot-token", BOT])
        try:
            deadline = time.monotonic() + 15
            while not os.path.exists(ready):
                assert time.monotonic() < deadline, "no ready file"
                await asyncio.sleep(0.05)
            info = json.loads(open(ready).read())
            r = await http.post(info["api_base"] + "/auth.test", headers={"Authorization": f"Bearer {BOT}"})
            assert (await r.json())["user_id"] == info["bot_user_id"]
            r = await http.post(info["control_url"] + "/slash", json={"text": "hi"})
            assert (await r.json())["type"] == "slash_commands"
            r = await http.get(info["control_url"] + "/state")
            st = await r.json()
            assert st["violations"] == [] and len(st["envelopes"]) == 1, st
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        assert proc.returncode == 0


TESTS = [t_auth, t_spec_checks, t_block_kit, t_post_and_threads, t_users_views_files, t_rate_limits,
         t_hello_and_tickets, t_envelopes_and_acks, t_disconnect_and_redelivery, t_fragmented,
         t_connection_limit, t_cli]


async def main(selected: List[str]) -> int:
    passed = failed = 0
    async with aiohttp.ClientSession() as http:
        for t in TESTS:
            if selected and t.__name__ not in selected:
                continue
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(t(http), 40)
                passed += 1
                print(f"ok   {t.__name__} ({time.monotonic() - t0:.2f}s)", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {t.__name__}", flush=True)
                traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))

#!/usr/bin/python3
"""Self-test of the fake Discord, driven by a raw aiohttp client (no bot library).

Each case starts its own fake and proves one behaviour: the gateway handshake,
heartbeats, zlib-stream, resume and replay, the documented close codes, the
REST spec check and doc limits, rate limits and every injection. The last
line is "N passed, M failed"; the exit status is 0 only if all passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import traceback
import zlib
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp

sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_discord as fd  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

TOKEN = "selftest-token"
UA = "DiscordBot (https://example.invalid/selftest, 1.0)"
SUFFIX = b"\x00\x00\xff\xff"


class Gateway:
    """A minimal gateway client: one zlib inflate context per connection, buffering to the suffix."""

    def __init__(self, http: aiohttp.ClientSession, url: str, compress: bool = False, v: int = 10):
        self.http, self.url, self.compress, self.v = http, url, compress, v
        self.ws: Optional[aiohttp.ClientWebSocketResponse] = None
        self.inflator = zlib.decompressobj()
        self.buffer = bytearray()
        self.frames: List[bytes] = []  # raw binary frames, to check framing
        self.seq: Optional[int] = None
        self.close_code: Optional[int] = None

    async def connect(self) -> "Gateway":
        q = f"/?v={self.v}&encoding=json" + ("&compress=zlib-stream" if self.compress else "")
        # autoping: answer the server's pings; heartbeat=None: the client sends no pings of its own.
        self.ws = await self.http.ws_connect(self.url + q, autoping=True)
        return self

    async def recv(self, timeout: float = 3.0) -> Dict[str, Any]:
        """Next payload; raises ConnectionError with the close code if the server closed."""
        assert self.ws is not None
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), timeout)
            if msg.type == aiohttp.WSMsgType.TEXT:
                payload = json.loads(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(msg.data)
                self.buffer.extend(msg.data)
                if len(msg.data) < 4 or msg.data[-4:] != SUFFIX:
                    continue  # a message split over frames: wait for its end
                payload = json.loads(self.inflator.decompress(bytes(self.buffer)))
                self.buffer.clear()
            elif msg.type == aiohttp.WSMsgType.CLOSE:
                # The code in the server's close frame (what a library acts on),
                # even if the closing handshake does not complete afterwards.
                self.close_code = msg.data
                raise ConnectionError(self.close_code)
            elif msg.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                self.close_code = self.ws.close_code
                raise ConnectionError(self.close_code)
            else:
                continue
            if payload.get("s") is not None:
                self.seq = payload["s"]
            return payload

    async def recv_until(self, pred: Callable[[Dict[str, Any]], bool], timeout: float = 3.0) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            p = await self.recv(max(0.05, deadline - time.monotonic()))
            if pred(p):
                return p

    async def send(self, op: int, d: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps({"op": op, "d": d}))

    async def identify(self, token: str = TOKEN, intents: int = fd.GUILDS | fd.GUILD_MESSAGES, **extra: Any) -> None:
        d = {"token": token, "intents": intents,
             "properties": {"os": "linux", "browser": "selftest", "device": "selftest"}}
        d.update(extra)
        await self.send(2, d)

    async def expect_close(self, timeout: float = 3.0) -> int:
        try:
            while True:
                await self.recv(timeout)
        except ConnectionError as e:
            return e.args[0]

    async def close(self, code: int = 4000) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close(code=code)


async def handshake(http: aiohttp.ClientSession, fake: FakeDiscord, **kw: Any) -> Gateway:
    """Connect, HELLO, IDENTIFY, READY, GUILD_CREATE."""
    gw = await Gateway(http, fake.gateway_url, compress=kw.pop("compress", False)).connect()
    hello = await gw.recv()
    assert hello["op"] == 10, hello
    await gw.identify(**kw)
    ready = await gw.recv()
    assert ready["t"] == "READY", ready
    gc = await gw.recv()
    assert gc["t"] == "GUILD_CREATE", gc
    return gw


def rest(fake: FakeDiscord, http: aiohttp.ClientSession, method: str, path: str, *, auth: bool = True,
         ua: Optional[str] = UA, **kw: Any) -> Any:
    headers = dict(kw.pop("headers", {}))
    if auth:
        headers["Authorization"] = f"Bot {fake.token}"
    if ua is not None:
        headers["User-Agent"] = ua
    url = path if path.startswith("http") else fake.api_url + path
    return http.request(method, url, headers=headers, **kw)


def make(**kw: Any) -> FakeDiscord:
    kw.setdefault("identify_window", 0)  # cases identify many times in quick succession
    return FakeDiscord(TOKEN, **kw)


# ------------------------------------------------------------------ gateway

async def t_handshake(http):
    async with make(heartbeat_interval=1000) as fake:
        gw = await Gateway(http, fake.gateway_url).connect()
        hello = await gw.recv()
        assert hello == {"op": 10, "d": {"heartbeat_interval": 1000}, "s": None, "t": None}, hello
        await gw.identify()
        ready = await gw.recv()
        assert ready["op"] == 0 and ready["t"] == "READY" and ready["s"] == 1, ready
        d = ready["d"]
        assert d["v"] == 10 and d["user"]["bot"] is True and d["user"]["discriminator"] == "0"
        assert d["resume_gateway_url"] == fake.resume_url and d["session_id"]
        assert d["application"] == {"id": fake.application["id"], "flags": fake.application["flags"]}
        assert d["guilds"] == [{"id": fake.guild_id, "unavailable": True}]
        gc = await gw.recv()
        assert gc["t"] == "GUILD_CREATE" and gc["s"] == 2 and gc["d"]["id"] == fake.guild_id
        names = {c["name"] for c in gc["d"]["channels"]}
        assert {"general", "daily-question"} <= names, names
        assert gc["d"]["threads"][0]["id"] == fake.THREAD_ID
        conn, = await fake.wait_identified()
        assert conn.identify["properties"]["browser"] == "selftest" and conn.port_kind == "base"
        assert fake.session_start_remaining == fake.session_start_total - 1
        await gw.close()
        assert fake.violations == [], fake.violations


async def t_heartbeat(http):
    async with make(heartbeat_interval=1000) as fake:
        gw = await handshake(http, fake)
        await asyncio.sleep(0.1)
        await gw.send(1, gw.seq)
        ack = await gw.recv()
        assert ack["op"] == 11, ack
        conn = fake.connections[0]
        assert conn.first_heartbeat_delay is not None and 0.05 < conn.first_heartbeat_delay < 1.0
        assert conn.heartbeat_seqs == [2]
        # A heartbeat request (op 1 from the server) must be answered at once.
        fake.request_heartbeat(conn)
        req = await gw.recv()
        assert req["op"] == 1, req
        await gw.send(1, gw.seq)
        assert (await gw.recv())["op"] == 11
        await fake.wait_for(lambda: conn.heartbeat_requests and conn.heartbeat_requests[0]["delay"] is not None)
        assert conn.heartbeat_requests[0]["delay"] < 0.5
        # Withheld ACK: the next heartbeat goes unanswered (a zombie, seen from the client).
        fake.withhold_acks(1, conn)
        await gw.send(1, gw.seq)
        try:
            got = await gw.recv(0.3)
            raise AssertionError(f"expected no ACK, got {got}")
        except asyncio.TimeoutError:
            pass
        await gw.send(1, gw.seq)
        assert (await gw.recv())["op"] == 11
        assert conn.acks_withheld == 1 and len(conn.heartbeat_intervals) == 3
        await gw.close()
        assert fake.violations == [], fake.violations


async def t_heartbeat_timeout(http):
    async with make(heartbeat_interval=300) as fake:
        gw = await Gateway(http, fake.gateway_url).connect()
        await gw.recv()
        t0 = time.monotonic()
        code = await gw.expect_close(3.0)
        waited = time.monotonic() - t0
        assert code == 4000 and 0.4 < waited < 1.5, (code, waited)


async def t_zlib_stream(http):
    async with make() as fake:
        gw = await handshake(http, fake, compress=True)
        # HELLO, READY and GUILD_CREATE each arrived as one binary frame ending
        # in the Z_SYNC_FLUSH suffix and inflated with one shared context.
        assert len(gw.frames) == 3 and all(f.endswith(SUFFIX) for f in gw.frames)
        # The stream shares history: the third message alone does not inflate.
        try:
            zlib.decompressobj().decompress(gw.frames[2])
            fresh_ok = True
        except zlib.error:
            fresh_ok = False
        assert not fresh_ok, "later frames should depend on the shared zlib context"
        fake.message_create(fake.channel_id, "compressed hello")
        msg = await gw.recv()
        assert msg["t"] == "MESSAGE_CREATE" and msg["d"]["content"] == "", msg  # no MESSAGE_CONTENT intent
        assert fake.connections[0].compress
        await gw.close()


async def t_split_frames(http):
    async with make(split_frames=True, split_frame_size=64) as fake:
        gw = await handshake(http, fake, compress=True)
        fake.message_create(fake.channel_id, "x" * 300)
        before = len(gw.frames)
        msg = await gw.recv()
        assert msg["t"] == "MESSAGE_CREATE"
        frames = gw.frames[before:]
        assert len(frames) > 1, "expected the message split over several frames"
        assert not any(f.endswith(SUFFIX) for f in frames[:-1]) and frames[-1].endswith(SUFFIX)
        await gw.close()


async def t_resume_replay(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        session_id = fake.connections[0].session_id
        last = gw.seq
        await gw.close(4000)  # not 1000/1001: the session stays resumable
        await fake.wait_for(lambda: not fake.connections[0].open)
        m1 = fake.message_create(fake.channel_id, "missed one")
        m2 = fake.message_create(fake.channel_id, "missed two")
        gw2 = await Gateway(http, fake.resume_url).connect()
        assert (await gw2.recv())["op"] == 10
        await gw2.send(6, {"token": TOKEN, "session_id": session_id, "seq": last})
        got = [await gw2.recv(), await gw2.recv(), await gw2.recv()]
        assert [(p["t"], p["s"]) for p in got] == [("MESSAGE_CREATE", last + 1), ("MESSAGE_CREATE", last + 2),
                                                    ("RESUMED", last + 3)], got
        assert [p["d"]["id"] for p in got[:2]] == [m1["id"], m2["id"]]
        conns = await fake.wait_resumed()
        assert conns[0].port_kind == "resume" and conns[0].replayed == [last + 1, last + 2]
        # Live again: new dispatches flow on the resumed connection.
        fake.dispatch("TYPING_START", {"channel_id": fake.channel_id, "guild_id": fake.guild_id,
                                       "user_id": fake.ALICE_ID, "timestamp": int(time.time())})
        fake.message_create(fake.channel_id, "live")
        assert (await gw2.recv())["s"] == last + 4  # TYPING_START was filtered (no typing intent)
        await gw2.close(1000)  # 1000 ends the session
        await fake.wait_for(lambda: not conns[0].open)
        gw3 = await Gateway(http, fake.resume_url).connect()
        await gw3.recv()
        await gw3.send(6, {"token": TOKEN, "session_id": session_id, "seq": last + 4})
        inv = await gw3.recv()
        assert inv["op"] == 9 and inv["d"] is False, inv
        await gw3.close()
        assert fake.violations == [], fake.violations


async def t_resume_invalid_seq(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        sid = fake.connections[0].session_id
        await gw.close(4000)
        gw2 = await Gateway(http, fake.resume_url).connect()
        await gw2.recv()
        await gw2.send(6, {"token": TOKEN, "session_id": sid, "seq": 999})
        assert await gw2.expect_close() == 4007
        fake.violations.clear()


async def t_op7_and_op9(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        fake.reconnect()
        assert (await gw.recv()) == {"op": 7, "d": None, "s": None, "t": None}
        fake.invalid_session(resumable=False)
        assert (await gw.recv())["op"] == 9
        assert not fake.connections[0].session.valid
        await gw.close()


async def t_close_codes(http):
    # Wrong token, disallowed and invalid intents, bad shard, bad version, bad JSON,
    # unknown opcode, payload before identify, identify twice, oversized payload.
    async with make() as fake:
        async def case(setup: Callable[[Gateway], Awaitable[None]], expect: int, v: int = 10) -> None:
            gw = await Gateway(http, fake.gateway_url, v=v).connect()
            if v == 10:
                await gw.recv()
            await setup(gw)
            code = await gw.expect_close()
            assert code == expect, (setup, code, expect)

        await case(lambda g: g.identify(token="wrong"), 4004)
        await case(lambda g: g.identify(intents=fd.GUILDS | fd.MESSAGE_CONTENT), 4014)
        await case(lambda g: g.identify(intents=1 << 30), 4013)
        await case(lambda g: g.identify(shard=[1, 1]), 4010)
        await case(lambda g: g.ws.send_str("{not json"), 4002)
        await case(lambda g: g.send(5, {}), 4001)
        await case(lambda g: g.send(3, {"since": None, "activities": [], "status": "online", "afk": False}), 4003)
        await case(lambda g: g.ws.send_str(json.dumps({"op": 1, "d": None, "pad": "x" * 5000})), 4002)

        async def twice(g: Gateway) -> None:
            await g.identify()
            await g.recv()
            await g.recv()
            await g.identify()
        await case(twice, 4005)

        async def nothing(g: Gateway) -> None:
            return None
        await case(nothing, 4012, v=9)
        assert len(fake.violations) == 10, fake.violations


async def t_send_limit(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        for _ in range(121):
            await gw.send(1, gw.seq)
        code = await gw.expect_close()
        assert code == 4008, code
        assert any("more than 120 payloads" in v for v in fake.violations), fake.violations


async def t_identify_concurrency(http):
    async with FakeDiscord(TOKEN) as fake:  # default 5 s identify window, max_concurrency 1
        gw = await handshake(http, fake)
        gw2 = await Gateway(http, fake.gateway_url).connect()
        await gw2.recv()
        await gw2.identify()
        inv = await gw2.recv()
        assert inv["op"] == 9 and inv["d"] is False, inv
        assert any("IDENTIFY" in v and "max_concurrency" in v for v in fake.violations)
        await gw.close()
        await gw2.close()


async def t_intent_filter(http):
    async with make(allowed_privileged=fd.MESSAGE_CONTENT) as fake:
        gw = await handshake(http, fake, intents=fd.GUILDS | fd.GUILD_MESSAGES | fd.MESSAGE_CONTENT)
        fake.message_create(fake.THREAD_ID, "full content")
        m = await gw.recv()
        assert m["d"]["content"] == "full content" and m["d"]["guild_id"] == fake.guild_id
        assert m["d"]["channel_id"] == fake.THREAD_ID and "member" in m["d"] and m["d"]["author"]["id"] == fake.ALICE_ID
        assert m["d"]["timestamp"].endswith("+00:00")
        await gw.close()


async def t_raw_reset_invalidate(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        conn = fake.connections[0]
        # send_raw: bytes go out exactly as given, outside the JSON framing.
        fake.send_raw(conn, '{"op": 0, "d": {truncated')
        msg = await gw.ws.receive(timeout=3)
        assert msg.type == aiohttp.WSMsgType.TEXT and msg.data == '{"op": 0, "d": {truncated'
        fake.send_raw(conn, json.dumps({"op": 42, "d": None}))
        assert json.loads((await gw.ws.receive(timeout=3)).data)["op"] == 42
        # reset: no close frame, so the session survives and RESUME works.
        fake.reset(conn)
        msg = await gw.ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE), msg
        assert conn.was_reset and conn.close_code_sent is None and conn.session.valid
        gw2 = await Gateway(http, fake.resume_url).connect()
        await gw2.recv()
        await gw2.send(6, {"token": TOKEN, "session_id": conn.session_id, "seq": gw.seq})
        assert (await gw2.recv())["t"] == "RESUMED"
        await gw2.close(4000)
        # invalidate_sessions: the next RESUME is refused with op 9 false.
        fake.invalidate_sessions()
        gw3 = await Gateway(http, fake.resume_url).connect()
        await gw3.recv()
        await gw3.send(6, {"token": TOKEN, "session_id": conn.session_id, "seq": gw.seq + 1})
        inv = await gw3.recv()
        assert inv["op"] == 9 and inv["d"] is False
        await gw3.close()
        assert fake.violations == [], fake.violations


async def t_session_limits(http):
    async with make(session_start_remaining=1, required_shard_count=2) as fake:
        # The guild lives on shard (guild_id >> 22) % 2: that shard gets its GUILD_CREATE.
        home = (int(fake.guild_id) >> 22) % 2
        gw = await handshake(http, fake, shard=[home, 2])
        assert fake.session_start_remaining == 0
        gw2 = await Gateway(http, fake.gateway_url).connect()
        await gw2.recv()
        await gw2.identify(shard=[1 - home, 2])
        inv = await gw2.recv()
        assert inv["op"] == 9 and inv["d"] is False, inv
        assert any("no session starts remaining" in v for v in fake.violations), fake.violations
        fake.violations.clear()
        fake.session_start_remaining = 5
        await gw2.identify(shard=[1 - home, 2])
        ready = await gw2.recv()
        assert ready["t"] == "READY" and ready["d"]["guilds"] == [] and ready["d"]["shard"] == [1 - home, 2]
        gw3 = await Gateway(http, fake.gateway_url).connect()
        await gw3.recv()
        await gw3.identify(shard=[0, 1])
        assert await gw3.expect_close() == 4011
        await gw.close()
        await gw2.close()


async def t_callback_rules(http):
    async with make() as fake:
        gw = await handshake(http, fake)
        inter = fake.interaction("command", name="study")
        await gw.recv_until(lambda p: p["t"] == "INTERACTION_CREATE")
        base = f"/interactions/{inter.id}"
        async with rest(fake, http, "POST", f"{base}/wrong-token/callback", auth=False, json={"type": 5}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10062
        async with rest(fake, http, "POST", f"{base}/{inter.token}/callback", auth=False, json={"type": 7}) as r:
            assert r.status == 400  # UPDATE_MESSAGE is for component interactions only
        async with rest(fake, http, "POST", f"{base}/{inter.token}/callback", auth=False,
                        json={"type": 4, "data": {}}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50006
        async with rest(fake, http, "POST", f"{base}/{inter.token}/callback", auth=False, json={"type": 5}) as r:
            assert r.status == 204
        # Deferred: the loading message is then edited through @original.
        wh = f"/webhooks/{fake.application['id']}/{inter.token}/messages/@original"
        async with rest(fake, http, "PATCH", wh, json={"content": "done"}) as r:
            body = await r.json()
            assert r.status == 200 and body["content"] == "done" and not body["flags"] & fd.FLAG_LOADING
        assert len(fake.violations) == 2, fake.violations
        fake.violations.clear()
        dm = fake.interaction("command", name="study", dm=True, user_id=fake.BOB_ID)
        d = (await gw.recv_until(lambda p: p["t"] == "INTERACTION_CREATE"))["d"]
        assert d["user"]["id"] == fake.BOB_ID and "member" not in d and d["context"] == 1 and "guild_id" not in d
        assert dm.channel_id == fake.dm_channels[fake.BOB_ID]
        await gw.close()


# --------------------------------------------------------------------- REST

async def t_rest_auth_and_spec(http):
    async with make() as fake:
        async with rest(fake, http, "GET", "/users/@me", auth=False) as r:
            assert r.status == 401 and await r.json() == {"message": "401: Unauthorized", "code": 0}
        async with rest(fake, http, "GET", "/gateway", auth=False) as r:  # documented: no auth needed
            assert r.status == 200 and (await r.json())["url"] == fake.gateway_url
        async with rest(fake, http, "GET", "/gateway/bot") as r:
            body = await r.json()
            assert r.status == 200 and body["shards"] == 1
            assert set(body["session_start_limit"]) == {"total", "remaining", "reset_after", "max_concurrency"}
            for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                      "X-RateLimit-Reset-After", "X-RateLimit-Bucket"):
                assert h in r.headers, h
        assert fake.violations == ["GET /api/v10/users/@me: missing Authorization header"], fake.violations
        fake.violations.clear()
        async with rest(fake, http, "GET", "/channels/1/no-such-thing") as r:
            assert r.status == 404 and (await r.json())["code"] == 0
        async with rest(fake, http, "GET", f"{fake.api_base}/v9/users/@me") as r:
            assert r.status == 404
        async with rest(fake, http, "PUT", f"/channels/{fake.channel_id}/messages", json={}) as r:
            assert r.status == 405
        async with rest(fake, http, "GET", "/users/@me", ua="curl/8") as r:
            assert r.status == 200
        async with rest(fake, http, "GET", f"/channels/{fake.channel_id}/messages?bogus=1") as r:
            assert r.status == 200  # Discord ignores it; the fake reports it
        async with rest(fake, http, "GET", f"/channels/{fake.channel_id}/messages?limit=500") as r:
            assert r.status == 400 and "limit" in (await r.json())["errors"]["query"]
        assert len(fake.violations) == 6, fake.violations
        assert "no such path" in fake.violations[0] and "v9" in fake.violations[1]
        assert "User-Agent" in fake.violations[3] and "bogus" in fake.violations[4]
        assert "limit" in fake.violations[5]
        fake.violations.clear()
        # Not implemented but valid per the spec: benign answer, noted.
        async with rest(fake, http, "GET", f"/guilds/{fake.guild_id}/audit-logs") as r:
            assert r.status == 200
        assert fake.unimplemented == ["GET /guilds/{guild_id}/audit-logs"] and fake.violations == []


async def t_rest_body_rules(http):
    async with make() as fake:
        url = f"/channels/{fake.channel_id}/messages"
        async with rest(fake, http, "POST", url, json={"content": "x" * 2001}) as r:
            body = await r.json()
            assert r.status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body", body
            assert body["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH", body
        async with rest(fake, http, "POST", url, json={"content": "ok", "nonce": "n" * 26}) as r:
            assert r.status == 400 and "nonce" in (await r.json())["errors"]
        async with rest(fake, http, "POST", url, json={"embeds": [{"title": "t" * 256, "description": "d" * 4096},
                                                                  {"description": "e" * 2000}]}) as r:
            assert r.status == 400 and "MAX_EMBED_SIZE" in json.dumps(await r.json())
        rows = [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": f"b{i}", "label": "x"}]}
                for i in range(6)]
        async with rest(fake, http, "POST", url, json={"content": "rows", "components": rows}) as r:
            assert r.status == 400
        async with rest(fake, http, "POST", url, json={"content": "id", "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "custom_id": "c" * 101, "label": "x"}]}]}) as r:
            assert r.status == 400
        async with rest(fake, http, "POST", url, json={"content": 5}) as r:
            assert r.status == 400 and "content" in (await r.json())["errors"]
        async with rest(fake, http, "POST", url, json={}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50006
        async with rest(fake, http, "POST", url, data=b'{"content": "x"}',
                        headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 400
        async with rest(fake, http, "POST", url, data=b'{"content": ',
                        headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400 and (await r.json())["code"] == 50109
        async with rest(fake, http, "GET", "/channels/not-a-snowflake") as r:
            assert r.status == 400
        assert len(fake.violations) == 10, fake.violations
        assert fake.messages[fake.channel_id] == []
        fake.violations.clear()
        # A valid message: full object back, MESSAGE_CREATE-able, stored.
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "with file"}), content_type="application/json")
        form.add_field("files[0]", b"hello", filename="a.txt", content_type="text/plain")
        async with rest(fake, http, "POST", url, data=form) as r:
            msg = await r.json()
            assert r.status == 200 and msg["content"] == "with file", msg
        assert fake.requests[-1].files == ["a.txt"] and fake.violations == [], fake.violations


async def t_rest_objects(http):
    async with make() as fake:
        url = f"/channels/{fake.STUDY_ID}/messages"
        comps = [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "answer", "label": "Answer"}]}]
        async with rest(fake, http, "POST", url, json={"content": "Q1", "components": comps}) as r:
            msg = await r.json()
            assert r.status == 200
        assert msg["author"]["id"] == fake.BOT_ID and msg["timestamp"].endswith("+00:00")
        assert msg["channel_id"] == fake.STUDY_ID and msg["components"][0]["components"][0]["custom_id"] == "answer"
        async with rest(fake, http, "POST", f"{url}/{msg['id']}/threads", json={"name": "Q1 answers"}) as r:
            th = await r.json()
            assert r.status == 201 and th["id"] == msg["id"] and th["parent_id"] == fake.STUDY_ID, th
        async with rest(fake, http, "POST", f"{url}/{msg['id']}/threads", json={"name": "again"}) as r:
            assert r.status == 400 and (await r.json())["code"] == 160004
        async with rest(fake, http, "PATCH", f"{url}/{msg['id']}", json={"content": "Q1 (closed)"}) as r:
            assert r.status == 200 and (await r.json())["edited_timestamp"]
        async with rest(fake, http, "POST", "/users/@me/channels", json={"recipient_id": fake.ALICE_ID}) as r:
            dm1 = await r.json()
        async with rest(fake, http, "POST", "/users/@me/channels", json={"recipient_id": fake.ALICE_ID}) as r:
            dm2 = await r.json()
        assert dm1["id"] == dm2["id"] and dm1["type"] == 1 and dm1["recipients"][0]["id"] == fake.ALICE_ID
        cmds = [{"name": "study", "description": "Study commands", "options": [
            {"type": 1, "name": "practice", "description": "Practice weak questions"}]}]
        path = f"/applications/{fake.application['id']}/guilds/{fake.guild_id}/commands"
        async with rest(fake, http, "PUT", path, json=cmds) as r:
            out = await r.json()
            assert r.status == 200 and out[0]["id"] and out[0]["guild_id"] == fake.guild_id
        async with rest(fake, http, "GET", path) as r:
            assert [c["id"] for c in await r.json()] == [out[0]["id"]]
        async with rest(fake, http, "DELETE", f"{url}/{msg['id']}") as r:
            assert r.status == 204
        assert fake.violations == [], fake.violations


async def t_nonce(http):
    async with make() as fake:
        url = f"/channels/{fake.channel_id}/messages"
        body = {"content": "once", "nonce": "q-2024-01-01-c1", "enforce_nonce": True}
        async with rest(fake, http, "POST", url, json=body) as r:
            a = await r.json()
        async with rest(fake, http, "POST", url, json=body) as r:
            b = await r.json()
        assert a["id"] == b["id"] and a["nonce"] == body["nonce"]
        assert len(fake.messages[fake.channel_id]) == 1
        # Without enforce_nonce the nonce is only echoed: two messages.
        body2 = {"content": "twice", "nonce": "n2"}
        async with rest(fake, http, "POST", url, json=body2) as r:
            c = await r.json()
        async with rest(fake, http, "POST", url, json=body2) as r:
            d = await r.json()
        assert c["id"] != d["id"] and len(fake.messages[fake.channel_id]) == 3
        assert fake.violations == []


async def t_rate_limits(http):
    async with make() as fake:
        url = f"/channels/{fake.channel_id}/messages"
        statuses, last = [], None
        for i in range(6):
            async with rest(fake, http, "POST", url, json={"content": f"m{i}"}) as r:
                statuses.append(r.status)
                last = r
                body = await r.json()
        assert statuses == [200] * 5 + [429], statuses
        assert body["global"] is False and 0 < body["retry_after"] <= 5.0, body
        assert last.headers["X-RateLimit-Scope"] == "user" and last.headers["X-RateLimit-Remaining"] == "0"
        assert int(last.headers["Retry-After"]) >= 1
        assert len(fake.premature) == 1 and fake.premature[0]["informed"] is True
        # Another channel is another bucket (major parameter), same bucket hash.
        async with rest(fake, http, "POST", f"/channels/{fake.STUDY_ID}/messages", json={"content": "x"}) as r:
            assert r.status == 200 and r.headers["X-RateLimit-Bucket"] == last.headers["X-RateLimit-Bucket"]
            assert r.headers["X-RateLimit-Remaining"] == "4"
    async with make(global_limit=3) as fake:
        codes = []
        for _ in range(4):
            async with rest(fake, http, "GET", "/users/@me") as r:
                codes.append(r.status)
                hdr = dict(r.headers)
                body = await r.json()
        assert codes == [200, 200, 200, 429] and hdr["X-RateLimit-Global"] == "true"
        assert hdr["X-RateLimit-Scope"] == "global" and body["global"] is True
        assert fake.premature[0]["scope"] == "global"


async def t_injections(http):
    async with make() as fake:
        route = ("POST", "/channels/{channel_id}/messages")
        url = f"/channels/{fake.channel_id}/messages"
        fake.inject_rest(429, route=route, retry_after=1.5)
        async with rest(fake, http, "POST", url, json={"content": "a"}) as r:
            body = await r.json()
            assert r.status == 429 and body == {"message": "You are being rate limited.", "retry_after": 1.5,
                                                "global": False}
            assert r.headers["Retry-After"] == "2" and r.headers["X-RateLimit-Scope"] == "user"
            assert r.headers["X-RateLimit-Remaining"] == "0" and r.headers["X-RateLimit-Reset-After"] == "1.500"
            assert "X-RateLimit-Bucket" in r.headers
        # Retrying at once, against a bucket just reported empty, is premature.
        async with rest(fake, http, "POST", url, json={"content": "a"}) as r:
            assert r.status == 429
        assert len(fake.premature) == 1 and fake.premature[0]["informed"]
        fake.inject_rest(429, global_=True, retry_after=0.5)
        async with rest(fake, http, "GET", "/users/@me") as r:
            assert r.status == 429 and r.headers["X-RateLimit-Global"] == "true"
            assert r.headers["X-RateLimit-Scope"] == "global" and (await r.json())["global"] is True
        fake.inject_rest(429, headers=False)
        async with rest(fake, http, "GET", "/users/@me") as r:
            assert r.status == 429 and not any(h.lower().startswith("x-ratelimit") for h in r.headers)
            assert "Retry-After" not in r.headers
        fake.inject_rest(502, times=2)
        for _ in range(2):
            async with rest(fake, http, "GET", "/users/@me") as r:
                assert r.status == 502
        async with rest(fake, http, "GET", "/users/@me") as r:
            assert r.status == 200
        fake.inject_delay(0.4, route=("GET", "/users/@me"))
        t0 = time.monotonic()
        async with rest(fake, http, "GET", "/users/@me") as r:
            assert r.status == 200
        assert time.monotonic() - t0 >= 0.4
        assert fake.violations == []


async def t_interactions(http):
    async with make(heartbeat_interval=5000) as fake:
        gw = await handshake(http, fake)
        inter = fake.interaction("command", name="study", options=[{"type": 1, "name": "today"}])
        ev = await gw.recv()
        d = ev["d"]
        assert ev["t"] == "INTERACTION_CREATE" and d["type"] == 2 and d["data"]["name"] == "study"
        for k in ("id", "application_id", "token", "version", "guild_id", "channel_id", "channel", "member",
                  "app_permissions", "locale", "entitlements", "authorizing_integration_owners", "context"):
            assert k in d, k
        assert isinstance(d["member"]["permissions"], str) and d["version"] == 1
        cb = f"/interactions/{inter.id}/{inter.token}/callback"
        async with rest(fake, http, "POST", cb, auth=False, json={"type": 4, "data": {"content": "Today: Q1"}}) as r:
            assert r.status == 204, await r.text()
        async with rest(fake, http, "POST", cb, auth=False, json={"type": 4, "data": {"content": "again"}}) as r:
            assert r.status == 400 and (await r.json())["code"] == 40060
        assert len(inter.callbacks) == 2 and inter.callbacks[0]["accepted"] and inter.callbacks[0]["delay"] < 1
        echo = await gw.recv()
        assert echo["t"] == "MESSAGE_CREATE" and echo["d"]["interaction_metadata"]["id"] == inter.id
        # Edit the original response, then a follow-up.
        wh = f"/webhooks/{fake.application['id']}/{inter.token}"
        async with rest(fake, http, "PATCH", wh + "/messages/@original", json={"content": "Today: Q1 (edited)"}) as r:
            assert r.status == 200 and (await r.json())["content"] == "Today: Q1 (edited)"
        async with rest(fake, http, "POST", wh, json={"content": "follow-up", "flags": 64}) as r:
            assert r.status == 200
        assert fake.violations == ["POST callback for interaction %s: already acknowledged" % inter.id]
        fake.violations.clear()
        # Button -> modal: a title over 45 characters is refused.
        btn = fake.interaction("button", custom_id="answer:q1")
        ev = await gw.recv_until(lambda p: p["t"] == "INTERACTION_CREATE")
        assert ev["d"]["data"] == {"custom_id": "answer:q1", "component_type": 2}
        modal = {"type": 9, "data": {"custom_id": "answer-modal:q1", "title": "T" * 46, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "style": 2, "label": "Your answer",
                                        "max_length": 4000}]}]}}
        cb = f"/interactions/{btn.id}/{btn.token}/callback"
        async with rest(fake, http, "POST", cb, auth=False, json=modal) as r:
            assert r.status == 400
        modal["data"]["title"] = "Answer Q1"
        async with rest(fake, http, "POST", cb, auth=False, json=modal) as r:
            assert r.status == 204
        # Both attempts are on record, the refused one too.
        assert [(x["status"], x["accepted"], x["type"]) for x in btn.callbacks] == [(400, False, 9), (204, True, 9)]
        sub = fake.interaction("modal", custom_id="answer-modal:q1", fields={"answer": "Use a queue."})
        d = (await gw.recv_until(lambda p: p["t"] == "INTERACTION_CREATE"))["d"]
        assert d["type"] == 5 and d["data"]["components"][0]["components"][0]["value"] == "Use a queue."
        cb = f"/interactions/{sub.id}/{sub.token}/callback"
        async with rest(fake, http, "POST", cb + "?with_response=true", auth=False,
                        json={"type": 4, "data": {"content": "Saved", "flags": 64}}) as r:
            body = await r.json()
            assert r.status == 200 and body["interaction"]["id"] == sub.id and body["resource"]["type"] == 4
        assert len(fake.violations) == 1 and "title" in fake.violations[0], fake.violations
        fake.violations.clear()
        # Late: more than 3 s after the dispatch, the interaction is unknown.
        late = fake.interaction("command", name="study")
        await gw.recv_until(lambda p: p["t"] == "INTERACTION_CREATE")
        await asyncio.sleep(3.1)
        cb = f"/interactions/{late.id}/{late.token}/callback"
        async with rest(fake, http, "POST", cb, auth=False, json={"type": 5}) as r:
            assert r.status == 404 and (await r.json())["code"] == 10062
        assert len(fake.violations) == 1 and "limit 3 s" in fake.violations[0]
        await gw.close()


async def t_stream_and_control(http):
    async with make(allowed_privileged=fd.MESSAGE_CONTENT) as fake:
        gw = await handshake(http, fake, compress=True, intents=fd.GUILDS | fd.GUILD_MESSAGES | fd.MESSAGE_CONTENT)

        async def bot() -> int:
            seen = 0
            while True:
                p = await gw.recv(10)
                if p["t"] == "MESSAGE_CREATE":
                    seen += 1
                    assert 800 <= len(json.dumps(p["d"])) <= 1300, len(json.dumps(p["d"]))
                elif p["t"] == "INTERACTION_CREATE":
                    cb = f"/interactions/{p['d']['id']}/{p['d']['token']}/callback"
                    async with rest(fake, http, "POST", cb, auth=False, json={"type": 5}) as r:
                        assert r.status == 204
                    return seen
        task = asyncio.ensure_future(bot())
        async with http.post(fake.control_url + "/stream", json={"n": 200, "size": 1000}) as r:
            res = await r.json()
        seen = await task
        assert seen == 200 and res["n"] == 200 and res["callback_status"] == 204, res
        assert res["messages_per_second"] > 0 and res["callback_latency"] < 3 and res["compress"] is True
        async with http.get(fake.control_url + "/state") as r:
            st = await r.json()
            assert st["connections"][0]["identified"] and st["violations"] == []
        assert all(not r.path.startswith("/_fake") for r in fake.requests)
        await gw.close()


async def t_cli(http):
    """The CLI writes its ready line and serves until SIGTERM."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        ready = os.path.join(tmp, "ready.json")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_discord.py"),
            "--token", TOKEN, "--ready-file", ready)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(ready):
                assert time.monotonic() < deadline, "no ready file"
                await asyncio.sleep(0.05)
            info = json.loads(open(ready).read())
            for k in ("rest_port", "gateway_port", "resume_port", "api_base", "gateway_url",
                      "resume_gateway_url", "control_url", "application_id", "guild_id"):
                assert k in info, k
            async with http.get(info["api_url"] + "/gateway/bot",
                                headers={"Authorization": f"Bot {TOKEN}", "User-Agent": UA}) as r:
                assert r.status == 200 and (await r.json())["url"] == info["gateway_url"]
        finally:
            proc.terminate()
            assert await asyncio.wait_for(proc.wait(), 10) == 0


TESTS = [t_handshake, t_heartbeat, t_heartbeat_timeout, t_zlib_stream, t_split_frames, t_resume_replay,
         t_resume_invalid_seq, t_op7_and_op9, t_raw_reset_invalidate, t_session_limits, t_callback_rules,
         t_close_codes, t_send_limit, t_identify_concurrency,
         t_intent_filter, t_rest_auth_and_spec, t_rest_body_rules, t_rest_objects, t_nonce, t_rate_limits,
         t_injections, t_interactions, t_stream_and_control, t_cli]


async def main(selected: List[str]) -> int:
    passed = failed = 0
    async with aiohttp.ClientSession() as http:
        for t in TESTS:
            if selected and t.__name__ not in selected:
                continue
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(t(http), 30)
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

"""The real studybot binary against the fake Discord: gateway and REST rules
of SPEC §7, one scenario per ctest.

    discord_gateway.py STUDYBOT SCENARIO
"""

import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import Bot, run_scenario  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

BINARY = None  # the studybot under test; run_scenario() sets it

MESSAGE_CONTENT = 1 << 15

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.0123456789abcdefghijklmnopqrstuvwxyzAB"
THREAD_INI = """
[channel "study"]
id = 222222222222222222
schedule = 09:00
timezone = UTC
answer_mode = thread
"""


def frames_sent(conn):
    """Payloads the bot sent on one connection, in order."""
    return conn.received


async def start(fake, checks, compress=True, ini="", **kw):
    bot = Bot(BINARY, fake.api_url, TOKEN, compress=compress, ini=ini, **kw)
    await bot.start()
    return bot


async def ready_bot(fake, checks, **kw):
    bot = await start(fake, checks, **kw)
    await bot.wait_log("gateway ready")
    return bot


async def finish(bot, fake, checks, code=0):
    rc = await bot.stop()
    checks.ok(rc == code, f"exit code {rc} == {code}")
    bot.assert_token_hidden()
    checks.ok(True, "the token never appears in the logs")
    checks.ok(fake.violations == [], f"no protocol violations: {fake.violations}")


# --- scenarios ---------------------------------------------------------------

async def identify(checks):
    """GET /gateway/bot, IDENTIFY with only the needed intents, jittered
    first heartbeat, beats with the last sequence, op 1 answered at once."""
    for compress in (True, False):
        async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
            bot = await ready_bot(fake, checks, compress=compress)
            conn = fake.connections[-1]
            ident = conn.identify
            checks.ok(ident["intents"] == 1, f"intents {ident['intents']} == GUILDS only")
            checks.ok(conn.compress == compress, f"compress={compress} honoured")
            props = ident.get("properties", {})
            checks.ok(all(isinstance(props.get(k), str) for k in ("os", "browser", "device")),
                      "identify properties")
            gets = [r for r in fake.requests if r.path.endswith("/gateway/bot")]
            checks.ok(len(gets) == 1, "GET /gateway/bot once")
            ua = gets[0].headers.get("user-agent", "")
            checks.ok(ua.startswith("DiscordBot ("), f"User-Agent {ua!r}")
            checks.ok(gets[0].headers.get("authorization") == "Bot " + TOKEN,
                      "Authorization: Bot")
            await fake.wait_for(lambda: len(conn.heartbeats) >= 3, 10)
            d = conn.first_heartbeat_delay
            checks.ok(d is not None and 0 <= d < 1.2, f"first beat jittered within the "
                      f"interval ({d})")
            fake.dispatch("GUILD_UPDATE", {"id": fake.guild_id, "name": "renamed"})
            seq = conn.session.seq
            await fake.wait_for(lambda: conn.heartbeat_seqs and conn.heartbeat_seqs[-1] == seq,
                                5)
            last = conn.heartbeat_seqs[-1]
            checks.ok(last == seq, f"heartbeat carries the last seq {last}")
            n = len(conn.heartbeats)
            fake.request_heartbeat(conn)
            await fake.wait_for(lambda: len(conn.heartbeats) > n, 5)
            req = conn.heartbeat_requests[-1]
            checks.ok(req.get("delay") is not None and req["delay"] < 0.5,
                      f"op 1 answered at once ({req.get('delay')})")
            await finish(bot, fake, checks)
    # Thread mode needs the message intents, MESSAGE_CONTENT included.
    async with FakeDiscord(token=TOKEN, allowed_privileged=MESSAGE_CONTENT) as fake:
        bot = await ready_bot(fake, checks, ini=THREAD_INI)
        intents = fake.connections[-1].identify["intents"]
        checks.ok(intents == 1 | 1 << 9 | 1 << 15, f"thread mode intents {intents}")
        await finish(bot, fake, checks)


async def op7(checks):
    """op 7: resume at resume_gateway_url with the last seq; an event sent
    while disconnected is replayed and handled once; none twice."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000,
                           allowed_privileged=MESSAGE_CONTENT) as fake:
        bot = await ready_bot(fake, checks, ini=THREAD_INI)
        for i in range(3):
            fake.message_create(fake.channel_id, f"before {i}", id=str(1000 + i))
        await bot.wait_log("gateway event", count=3)
        conn = fake.connections[-1]
        fake.reconnect(conn)
        # Sent while the bot reconnects: must arrive by replay.
        fake.message_create(fake.channel_id, "during", id="2000")
        await fake.wait_resumed(1)
        new = fake.connections[-1]
        checks.ok(new.port_kind == "resume", "resumed at resume_gateway_url")
        checks.ok(new.resume and new.resume["seq"] >= 4, f"resume seq {new.resume}")
        fake.message_create(fake.channel_id, "after", id="3000")
        await bot.wait_log("gateway event", count=5)
        ids = [r["id"] for r in bot.find("gateway event")]
        checks.ok(sorted(ids) == sorted(set(ids)), f"no event twice: {ids}")
        checks.ok({"1000", "1001", "1002", "2000", "3000"} == set(ids), "no event lost")
        checks.ok(len(bot.find("gateway identify")) == 1, "identified once")
        await finish(bot, fake, checks)


async def op9(checks):
    """op 9 true → resume; op 9 false → identify anew after 1-5 s."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, checks)
        fake.invalid_session(fake.connections[-1], resumable=True)
        await fake.wait_resumed(1)
        checks.ok(True, "op 9 true: resumed")
        t0 = asyncio.get_running_loop().time()
        fake.invalid_session(fake.connections[-1], resumable=False)
        await fake.wait_identified(2, timeout=15)
        dt = asyncio.get_running_loop().time() - t0
        checks.ok(dt >= 0.9, f"op 9 false: identified anew after {dt:.1f}s (>= 1 s)")
        checks.ok(fake.connections[-1].port_kind == "base", "new session on the base URL")
        await bot.wait_log("gateway ready", count=2)
        await finish(bot, fake, checks)


async def zombie(checks):
    """No ACK before the next beat: close with a non-1000 code, resume."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=800) as fake:
        bot = await ready_bot(fake, checks)
        conn = fake.connections[-1]
        fake.withhold_acks(100, conn)
        await fake.wait_resumed(1, timeout=15)
        # A close frame of its own, in the range RFC 6455 leaves to
        # applications: Discord keeps the session for a resume.
        checks.ok(conn.client_close_code is not None and 4000 <= conn.client_close_code <= 4999,
                  f"zombie closed with a resumable code ({conn.client_close_code})")
        checks.ok(len(bot.find("heartbeat not acknowledged")) >= 1, "zombie logged")
        await finish(bot, fake, checks)


async def reset(checks):
    """A TCP reset (no close frame) → resume."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, checks)
        fake.reset(fake.connections[-1])
        await fake.wait_resumed(1, timeout=15)
        checks.ok(len(bot.find("gateway identify")) == 1, "resumed, not identified")
        await finish(bot, fake, checks)


async def failed_resume(checks):
    """Resume refused (op 9 false) → identify anew at the base URL."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, checks)
        fake.invalidate_sessions()
        fake.reset(fake.connections[-1])
        await fake.wait_identified(2, timeout=20)
        checks.ok(fake.connections[-1].port_kind == "base", "identified at the base URL")
        tried = [c for c in fake.connections if c.resume]
        checks.ok(len(tried) == 1, "one resume was tried first")
        await bot.wait_log("gateway ready", count=2)
        await finish(bot, fake, checks)


async def close_codes(checks):
    """Each class of close code: resume, new session, fatal."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, checks)
        resumes = 0
        for code in (4000, 4008, 1006 + 3000 - 3000):
            if code == 1006:
                continue
            fake.close(fake.connections[-1], code, "test")
            resumes += 1
            await fake.wait_resumed(resumes, timeout=20)
            checks.ok(True, f"close {code}: resumed")
        for code in (4007, 4009):
            n = len([c for c in fake.connections if c.identify])
            fake.close(fake.connections[-1], code, "test")
            await fake.wait_identified(n + 1, timeout=20)
            checks.ok(True, f"close {code}: identified anew")
        await finish(bot, fake, checks)


class GatewayRefusesToken(FakeDiscord):
    """REST takes the token but the gateway refuses it (a token reset
    between the two calls): the gateway's 4004 is what the bot must handle."""

    async def _h_gateway_bot(self, rec, body, m):
        out = await super()._h_gateway_bot(rec, body, m)
        self.token = "a-token-that-was-reset"
        return out


async def fatal(checks, code, allowed=0, ini=""):
    cls = GatewayRefusesToken if code == 4004 else FakeDiscord
    async with cls(token=TOKEN, heartbeat_interval=1000, allowed_privileged=allowed) as fake:
        bot = await start(fake, checks, ini=ini)
        rc = await bot.wait_exit(20)
        checks.ok(rc == 3, f"close {code}: exit code {rc} == 3")
        checks.ok(len(fake.connections) == 1, f"no reconnect loop ({len(fake.connections)} "
                  "connections)")
        fixes = [r for r in bot.find("gateway refused the bot") if r.get("fix")]
        checks.ok(bool(fixes), "the log says what to fix")
        if code == 4014:
            checks.ok("Privileged" in fixes[0]["fix"] or "intent" in fixes[0]["fix"],
                      "4014 names the privileged intent")
        bot.assert_token_hidden()
        checks.ok(True, "the token never appears in the logs")


async def fatal_4004(checks):
    await fatal(checks, 4004)


async def fatal_4014(checks):
    await fatal(checks, 4014, ini=THREAD_INI)


async def rest_401(checks):
    """A token REST refuses: exit 3 at once, no loop."""
    async with FakeDiscord(token="another-token") as fake:
        bot = await start(fake, checks)
        rc = await bot.wait_exit(20)
        checks.ok(rc == 3, f"exit code {rc} == 3")
        checks.ok(len(fake.requests) == 1, f"one request ({len(fake.requests)})")
        bot.assert_token_hidden()


async def send_limit(checks):
    """A burst of op 1 requests: the bot answers but never passes 120 sends
    in 60 s (the fake closes 4008 if it does)."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=30000) as fake:
        bot = await ready_bot(fake, checks)
        conn = fake.connections[-1]
        for _ in range(150):
            fake.request_heartbeat(conn)
            await asyncio.sleep(0.005)
        await fake.wait_for(lambda: len(conn.heartbeats) >= 100, 10)
        await asyncio.sleep(1.0)
        sent = len(conn.received)
        checks.ok(sent <= 120, f"{sent} sends in the window (<= 120)")
        checks.ok(conn.close_code_sent != 4008, "never closed for rate limit")
        await finish(bot, fake, checks)


async def rest_retry(checks):
    """429 (route and global) and 5xx on GET /gateway/bot: waits, retries."""
    async with FakeDiscord(token=TOKEN) as fake:
        fake.inject_rest(429, times=1, retry_after=0.5)
        fake.inject_rest(429, times=1, global_=True, retry_after=0.3)
        fake.inject_rest(502, times=2)
        bot = await ready_bot(fake, checks)
        gets = [r for r in fake.requests if r.path.endswith("/gateway/bot")]
        checks.ok(len(gets) == 5, f"{len(gets)} attempts == 5")
        checks.ok(fake.premature == [], f"never sent before retry_after: {fake.premature}")
        checks.ok(len(gets) >= 2 and gets[1].time - gets[0].time >= 0.45,
                  "waited retry_after after the 429")
        await finish(bot, fake, checks)


async def malformed(checks):
    """Garbage, unknown opcodes and oversized frames: logged, no crash."""
    for compress in (False, True):
        async with FakeDiscord(token=TOKEN, heartbeat_interval=1000,
                               allowed_privileged=MESSAGE_CONTENT) as fake:
            bot = await ready_bot(fake, checks, compress=compress, ini=THREAD_INI)
            conn = fake.connections[-1]
            fake.send_raw(conn, "{not json")
            if compress:
                # Raw bytes on a zlib-stream connection break the stream:
                # the only way on is a new connection, and a resume.
                await bot.wait_log("compressed stream broken")
                await fake.wait_resumed(1, timeout=20)
            else:
                fake.send_raw(conn, '{"op": 42, "d": null}')
                fake.send_raw(conn, '{"op": 0, "t": "MESSAGE_CREATE", "s": "x", "d": 5}')
                fake.send_raw(conn, "[" * 10000 + "]" * 10000)
                await bot.wait_log("not valid JSON", count=2)
                await bot.wait_log("opcode unknown")
                fake.send_raw(conn, '{"op":0,"t":"X","s":99,"d":{"a":"' + "x" * (5 << 20)
                              + '"}}')
                await bot.wait_log("over the size cap", timeout=20)
            fake.message_create(fake.channel_id, "still alive", id="4242")
            await bot.wait_log("gateway event", id="4242", timeout=20)
            checks.ok(True, f"compress={compress}: still handling events after garbage")
            await finish(bot, fake, checks)


async def interaction(checks):
    """A slash command reaches the core and is answered within 3 s,
    privately; the /study command was registered at READY."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        ini = f"""
[channel "study"]
id = {fake.STUDY_ID}
schedule = 09:00
timezone = UTC
"""
        bot = await ready_bot(fake, checks, ini=ini)
        await bot.wait_log("command is registered")
        # The channel's server gets its own command (dc_bridge.h).
        puts = fake.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
        names = [c["name"] for c in (puts[0].json if puts else [])]
        checks.ok(names == ["study"], f"bulk overwrite registers /study ({names})")
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "remind", "options": [{"type": 3, "name": "state", "value": "on"}]}])
        await fake.wait_for(lambda: inter.callbacks, 5)
        cb = inter.callbacks[0]
        checks.ok(cb["status"] in (200, 204), f"callback accepted ({cb['status']})")
        checks.ok(cb["delay"] < 3, f"answered in {cb['delay']:.3f}s (< 3 s)")
        data = cb.get("data") or {}
        flags = data.get("flags", 0)
        checks.ok(len(data.get("content", "") + str(data.get("embeds", ""))) > 10,
                  "the reply says something")
        checks.ok(cb["type"] == 4 and flags & 64, f"a private reply (type {cb['type']})")
        await finish(bot, fake, checks)


async def post_nonce(checks):
    """A post under 429 (route, then global), and one whose answer comes too
    late: sent again with the same nonce, posted exactly once."""
    import datetime
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        # The next whole minute, so the schedule fires during the test.
        t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
        ini = f"""
[channel "study"]
id = {fake.STUDY_ID}
schedule = {t.hour:02d}:{t.minute:02d}
timezone = UTC
"""
        route = ("POST", "/channels/{channel_id}/messages")
        bot = await ready_bot(fake, checks, ini=ini)
        # An admin posts a round under a route and a global 429.
        fake.inject_rest(429, times=1, route=route, retry_after=0.4)
        fake.inject_rest(429, times=1, route=route, global_=True, retry_after=0.3)
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "post"}])
        await fake.wait_for(lambda: inter.callbacks, 5)
        await fake.wait_for(lambda: len(fake.messages.get(fake.STUDY_ID, [])) >= 1, 10)
        # Then, after /study skip, a second round: the first answer comes
        # too late (the bot's timeout is 15 s), but Discord created the
        # message: the retry must not post it again.
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "skip"}])
        await fake.wait_for(lambda: inter.callbacks, 5)
        await fake.wait_for(lambda: len(fake.requests_to(*route)) >= 4, 10)
        await asyncio.sleep(0.5)
        before = len(fake.requests_to(*route))
        fake.inject_delay(16, route=route, times=1)
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "post"}])
        await fake.wait_for(lambda: inter.callbacks, 5)
        await fake.wait_for(lambda: len(fake.requests_to(*route)) >= before + 2, 40)
        await bot.wait_log("question posted", count=2)
        await asyncio.sleep(1)
        posts = fake.requests_to(*route)
        by_nonce = {}
        for p in posts:
            by_nonce.setdefault(p.json.get("nonce"), []).append(p.status)
        retried = [v for v in by_nonce.values() if len(v) > 1]
        checks.ok(None not in by_nonce, "every message carries a nonce")
        checks.ok(len(retried) == 2, f"two messages were sent again, same nonce: {by_nonce}")
        checks.ok(all(p.json.get("enforce_nonce") is True for p in posts), "enforce_nonce")
        nonces = [m.get("nonce") for ch in fake.messages.values() for m in ch]
        dup = {n for n in nonces if n and nonces.count(n) > 1}
        checks.ok(not dup, f"no message posted twice ({dup})")
        checks.ok(len(set(nonces) & set(by_nonce)) == len(by_nonce),
                  "every message arrived once")
        checks.ok(fake.premature == [], f"never early: {fake.premature}")
        am = [p.json.get("allowed_mentions") for p in posts]
        checks.ok(all(a == {"parse": []} for a in am), "allowed_mentions parse []")
        await finish(bot, fake, checks)


async def session_limit(checks):
    """session_start_limit.remaining 0: wait reset_after, then identify."""
    async with FakeDiscord(token=TOKEN, session_start_remaining=0,
                           session_start_reset_after=2500) as fake:
        bot = await start(fake, checks)
        await bot.wait_log("session start limit reached")
        checks.ok(not any(c.identify for c in fake.connections), "no identify while at 0")
        await bot.wait_log("gateway ready", timeout=20)
        gets = [r for r in fake.requests if r.path.endswith("/gateway/bot")]
        # The IDENTIFY itself: a heartbeat may have gone out before it.
        ident = [p for c in fake.connections for p in c.received if p["op"] == 2]
        waited = ident[0]["at"] - gets[0].time if ident else 0
        told = gets[0].response["session_start_limit"]["reset_after"] / 1000
        checks.ok(waited >= told - 0.1,
                  f"identified {waited:.1f}s after GET /gateway/bot (reset_after {told:.1f}s)")
        await finish(bot, fake, checks)


async def shards(checks):
    """shard = auto with 2 recommended shards: one connection per shard,
    identifies 5 s apart (max_concurrency 1), also when both sessions are
    invalidated together."""
    async with FakeDiscord(token=TOKEN, shards=2, heartbeat_interval=1000) as fake:
        bot = await start(fake, checks)
        await bot.wait_log("gateway ready", count=2, timeout=30)
        got = sorted(tuple(c.identify["shard"]) for c in fake.connections if c.identify)
        checks.ok(got == [(0, 2), (1, 2)], f"shards identified: {got}")
        # Both sessions end at once (op 9 false): each shard waits 1-5 s and
        # identifies anew, and the two still take turns on their one
        # rate-limit key (the fake reports a violation otherwise).
        for conn in fake.live_connections():
            fake.invalid_session(conn, resumable=False)
        await bot.wait_log("gateway ready", count=4, timeout=40)
        again = [c for c in fake.connections if c.identify][2:]
        checks.ok(len(again) == 2, f"two new identifies: {len(again)}")
        await finish(bot, fake, checks)


def setup_options(channel, mode):
    return [{"type": 1, "name": "setup", "options": [
        {"type": 7, "name": "channel", "value": channel},
        {"type": 3, "name": "time", "value": "09:00"},
        {"type": 3, "name": "timezone", "value": "UTC"},
        {"type": 3, "name": "mode", "value": mode}]}]


async def setup_intents(checks):
    """A channel set up for thread answers from chat needs the message
    intents at once: the bot identifies anew with them. Where the
    application may not use MESSAGE_CONTENT (4014), it goes back to the
    intents that worked and keeps serving instead of stopping."""
    for allowed in (MESSAGE_CONTENT, 0):
        async with FakeDiscord(token=TOKEN, allowed_privileged=allowed) as fake:
            bot = await ready_bot(fake, checks)
            first = fake.connections[-1].identify["intents"]
            checks.ok(first == 1, f"no thread channel yet: GUILDS only ({first})")
            inter = fake.interaction("command", name="study", channel_id=fake.channel_id,
                                     options=setup_options(fake.channel_id, "thread"))
            await fake.wait_for(lambda: inter.callbacks, 5)
            checks.ok(inter.callbacks[0]["status"] == 204, "setup answered")
            want = 1 | (1 << 9) | MESSAGE_CONTENT
            if allowed:
                await bot.wait_log("gateway ready", count=2, timeout=30)
                got = [c.identify["intents"] for c in fake.connections if c.identify]
                checks.ok(got == [1, want], f"identified anew with the message intents: {got}")
                fake.message_create(fake.channel_id, "hello")
                await bot.wait_log("gateway event", t="MESSAGE_CREATE", timeout=10)
                checks.ok(True, "MESSAGE_CREATE now arrives")
            else:
                await bot.wait_log("Discord refused the intents", timeout=30)
                await bot.wait_log("gateway ready", count=2, timeout=30)
                got = [c.identify["intents"] for c in fake.connections if c.identify]
                checks.ok(got == [1, want, 1], f"back to the intents that worked: {got}")
                checks.ok(bot.proc.returncode is None, "still serving")
                # The one refused IDENTIFY is what this case is about.
                refused = [v for v in fake.violations if "privileged intents" in v]
                checks.ok(len(refused) == 1, f"one refused identify: {refused}")
                fake.violations[:] = [v for v in fake.violations if v not in refused]
            await finish(bot, fake, checks)


SCENARIOS = {f.__name__: f for f in (setup_intents, session_limit, shards, interaction, post_nonce, identify, op7, op9, zombie, reset, failed_resume,
                                     close_codes, fatal_4004, fatal_4014, rest_401,
                                     send_limit, rest_retry, malformed)}


if __name__ == "__main__":
    run_scenario(globals(), SCENARIOS, 150)

"""Socket Mode and Web API rules on Slack (SPEC §7): the real studybot binary
against the fake Slack, one scenario per ctest.

    slack_socket.py STUDYBOT SCENARIO

Every scenario ends with no protocol violation in the fake and neither token
in the bot's logs.
"""

import asyncio
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slackround  # noqa: E402
from botproc import Bot, run_scenario  # noqa: E402
from discord_ops import Scrape, FormatError  # noqa: E402
from fake_slack import FakeSlack  # noqa: E402
from slackround import ALICE, APP_TOKEN, BANK, BOB, BOT_TOKEN, USERS, Round, text_of  # noqa: E402

import aiohttp  # noqa: E402

# The bot's cap on one reassembled Socket Mode message (sm.h SM_MAX_MESSAGE).
BOT_MESSAGE_CAP = 1024 * 1024
# Tokens of the right shape that the fake does not know.
WRONG_BOT = "xoxb-4242424242-1111111111-NotTheRightTokenAtAll9"
WRONG_APP = "xapp-1-A0STUDYBOT-4242424242-ffffffffffffffffffffffffffffffff"


class SocketRound(Round):
    """A Round whose bot can also listen for /healthz and /metrics."""

    def __init__(self, checks, http_listen="", **kw):
        super().__init__(checks, **kw)
        self.http_listen = http_listen
        self.port = None

    def new_bot(self):
        return Bot(slackround.BINARY, self.fake.api_base, BOT_TOKEN, ini=self.config(),
                   questions=BANK, http_listen=self.http_listen,
                   slack={"app_token": APP_TOKEN, "connections": self.connections,
                          "admins": self.admins})

    async def __aenter__(self):
        await super().__aenter__()
        if self.http_listen:
            rec = (await self.bot.wait_log("http listening"))[0]
            m = re.fullmatch(r"127\.0\.0\.1:(\d+)", rec.get("addr", ""))
            if not m or int(m.group(1)) == 0:
                raise AssertionError(f"no port in the log line: {rec}")
            self.port = int(m.group(1))
        return self

    async def end(self, allowed_violations=(), unacked=(), expect_errors=False):
        """The bot stops cleanly, tokens hidden, no violations (bar the
        ones named, each explained by the scenario), every envelope acked
        in time (bar the ones named)."""
        rc = await self.bot.stop()
        self.ok(rc == 0, f"exit code {rc} == 0")
        tokens_hidden(self.bot)
        self.ok(True, "neither token appears in the logs")
        bad = [v for v in self.fake.violations if not any(a in v for a in allowed_violations)]
        self.ok(bad == [], f"no protocol violations: {bad}")
        late = [e.id for e in self.fake.envelopes
                if e.id not in unacked and (e.timed_out or not e.acked)]
        self.ok(not late, f"every envelope acked in time ({late})")
        if not expect_errors:
            errs = [r.get("msg") for r in self.bot.find("", level="error")]
            self.ok(not errs, f"no error logged: {errs}")


def tokens_hidden(bot):
    """No 8 characters of either token reach the logs, bar the app id an
    xapp- token carries (public: Slack sends it in every hello)."""
    text = "\n".join(bot.lines)
    for tok in (bot.token, bot.app_token or ""):
        for i in range(0, max(0, len(tok) - 7)):
            piece = tok[i:i + 8]
            if piece in FakeSlack.APP_ID:
                continue
            assert piece not in text, f"token fragment {piece!r} in the logs"


def hello_conns(fake):
    return [c for c in fake.connections if c.hello_at is not None and not c.refused]


def ack_conns(fake, env):
    """Ids of the connections an envelope's acks came on."""
    return [c.id for c in fake.connections for a in c.acks if a["envelope_id"] == env.id]


async def slash_ok(rd, text, what, conn=None):
    """A slash command, delivered normally or on one given connection; it
    is acked with a reply. Returns the envelope."""
    if conn is None:
        env = rd.fake.slash(text, user=ALICE)
    else:
        env = rd.fake.fragmentable(text, user=ALICE)
        rd.fake.send_fragmented(env, size=1 << 20, conn=conn)  # one frame: whole
    await rd.fake.wait_acked(env, 5)
    reply = text_of(env.ack_payload or {})
    rd.ok(bool(reply), f"{what}: acked with a reply ({reply[:60]!r})")
    return env


async def wait_new_hello(fake, after, what, timeout=20):
    """The first connection opened after the `after` first ones that said hello."""
    return await fake.wait_for(
        lambda: next((c for c in fake.connections[after:] if c.hello_at is not None), None),
        timeout, what=what)


# --- scenarios ---------------------------------------------------------------

async def late_ack(checks):
    """The bot's ack of a thread answer reaches Slack late (held in the
    network past Slack's 3 s): Slack re-delivers the event with
    retry_attempt 1, on the other connection. The answer is handled once
    (the retry is recognised by event_id) and both deliveries are acked."""
    async with SocketRound(checks, mode="thread", connections=2,
                           http_listen="127.0.0.1:0") as rd:
        fake = rd.fake
        await fake.wait_hello(2)
        q = await rd.question_post()
        conns = hello_conns(fake)
        # Slack reads nothing the bot sends for now: its ack is on the wire,
        # not yet seen.
        for c in conns:
            c.request.transport.pause_reading()
        env = fake.message(rd.study, "429 means Too Many Requests: wait for Retry-After.",
                           user=ALICE, thread_ts=q["ts"])
        await fake.wait_for(lambda: env.deliveries >= 2, 10, what="the re-delivery")
        rd.ok(env.retry_attempt == 1 and env.retry_reason == "timeout",
              f"Slack re-delivered with retry_attempt 1 ({env.retry_attempt}, {env.retry_reason!r})")
        rd.ok(len(set(env.conns)) == 2, f"the retry came on the other connection ({env.conns})")
        await rd.bot.wait_log("duplicate event acked", timeout=10)
        for c in conns:
            c.request.transport.resume_reading()
        await fake.wait_for(lambda: len(ack_conns(fake, env)) >= 2, 10, what="both acks")
        got = ack_conns(fake, env)
        rd.ok(sorted(got) == sorted(env.conns),
              f"each delivery acked on the connection it came on ({got} for {env.conns})")
        rd.ok(env.acked and not env.timed_out, "the event counts as acked, not timed out")
        # Handled once: one answer recorded, one ack timed by the bridge
        # (the duplicate's ack is the Socket Mode client's own).
        m = await scrape(rd)
        got = {k: m.get(k) for k in ("studybot_answers_recorded_total",
                                     "studybot_slack_envelope_duplicates_total",
                                     "studybot_slack_envelopes_total",
                                     "studybot_slack_ack_seconds_count")}
        want = {"studybot_answers_recorded_total": 1,
                "studybot_slack_envelope_duplicates_total": 1,
                "studybot_slack_envelopes_total": 2, "studybot_slack_ack_seconds_count": 1}
        rd.ok(got == want, f"the answer is handled once: {got}")
        # In thread mode the reply is its own confirmation: nothing private.
        priv = fake.ephemerals(user=ALICE) + fake.dms(ALICE)
        rd.ok(priv == [], f"no private message for a thread answer ({len(priv)})")
        dups = rd.bot.find("duplicate event acked")
        rd.ok(len(dups) == 1, f"the bot saw one duplicate ({len(dups)})")
        # An ack per delivery is what a client owes, and no more.
        rd.ok(env.acks == env.deliveries == 2, f"one ack per delivery ({env.acks}/{env.deliveries})")
        # Another answer from Bob goes through normally afterwards.
        env2 = fake.message(rd.study, "Too many requests: slow down.", user=BOB,
                            thread_ts=q["ts"])
        await fake.wait_acked(env2, 5)
        rd.ok(env2.deliveries == 1, "the next event is delivered once")
        m = await scrape(rd)
        n = m.get("studybot_answers_recorded_total")
        rd.ok(n == 2, f"Bob's answer is recorded too ({n})")
        await rd.end()


async def disconnect(checks):
    """refresh_requested, warning, too_many_websockets: a new connection
    says hello before the old one closes, and what Slack sends meanwhile is
    handled. link_disabled: an error naming the setting, and the bot stays
    up, retrying minutes apart."""
    async with SocketRound(checks, schedule=False) as rd:
        fake = rd.fake
        await fake.wait_hello(1)
        for reason in ("refresh_requested", "warning", "too_many_websockets"):
            old = [c for c in hello_conns(fake) if c.open][-1]
            n = len(fake.connections)
            # On the wire before the disconnect message: the bot owes it an ack.
            before = fake.slash("leaderboard", user=BOB)
            fake.disconnect(reason, old)
            # Sent while the bot is switching: Slack holds it for the next
            # connection that says hello.
            env = fake.slash("leaderboard", user=ALICE)
            new = await wait_new_hello(fake, n, f"the replacement after {reason}")
            rd.ok(old.closed_at is None or new.hello_at <= old.closed_at,
                  f"{reason}: the new connection said hello before the old one closed")
            await fake.wait_acked(before, 5)
            rd.ok(before.conns == [old.id] and text_of(before.ack_payload or {}),
                  f"{reason}: the envelope just before it is answered ({ack_conns(fake, before)})")
            await fake.wait_acked(env, 5)
            rd.ok(ack_conns(fake, env) == [new.id],
                  f"{reason}: the envelope sent meanwhile is handled on the new connection")
            await fake.wait_for(lambda: not old.open, 10, what="the old connection closed")
            rd.ok(old.closed_at >= new.hello_at, f"{reason}: the old one closed after")
            await slash_ok(rd, "leaderboard", f"after {reason}")
        opens = len(fake.calls("apps.connections.open"))
        old = [c for c in hello_conns(fake) if c.open][-1]
        fake.disconnect("link_disabled", old)
        rec = (await rd.bot.wait_log("link_disabled", timeout=10))[0]
        rd.ok(rec.get("level") == "error" and "Socket Mode" in rec.get("msg", "")
              and "Settings" in rec.get("msg", ""),
              f"link_disabled: an error naming the setting ({rec.get('msg')!r})")
        sched = await rd.bot.wait_log("reconnect scheduled", timeout=10,
                                      count=len(rd.bot.find("reconnect scheduled")) + 1)
        delay = int(sched[-1].get("delay_ms", "0"))
        rd.ok(delay >= 120000, f"link_disabled: the next try is minutes away ({delay} ms)")
        await asyncio.sleep(3)
        rd.ok(rd.bot.proc.returncode is None, "link_disabled: the bot keeps running")
        more = len(fake.calls("apps.connections.open")) - opens
        rd.ok(more == 0, f"link_disabled: no tight reconnect loop ({more} opens since)")
        await rd.end(expect_errors=True)
        errs = [r.get("msg") for r in rd.bot.find("", level="error")]
        rd.ok(all("link_disabled" in e for e in errs), f"the only error is link_disabled's ({errs})")


async def silence(checks):
    """A connection that goes quiet (no pongs, no frames) is dropped after
    about 25 s and replaced; envelopes flow again on the new one."""
    async with SocketRound(checks, schedule=False) as rd:
        fake = rd.fake
        await fake.wait_hello(1)
        await slash_ok(rd, "leaderboard", "before the silence")
        conn = fake.silence()
        n = len(fake.connections)
        new = await wait_new_hello(fake, n, "a new connection after the silence", timeout=45)
        await fake.wait_for(lambda: not conn.open, 10, what="the silent connection closed")
        gaps = [b - a for a, b in zip(conn.pings, conn.pings[1:])]
        rd.ok(len(conn.pings) >= 2 and all(5 <= g <= 15 for g in gaps),
              f"the bot pinged about every 10 s ({[round(g, 1) for g in gaps]})")
        rec = rd.bot.find("connection silent")
        rd.ok(len(rec) == 1, f"the bot logged the silence once ({len(rec)})")
        silent_ms = int(rec[0].get("silent_ms", "0")) if rec else 0
        rd.ok(20000 <= silent_ms <= 35000, f"dropped after about 25 s of silence ({silent_ms} ms)")
        env = await slash_ok(rd, "leaderboard", "after the reconnect")
        rd.ok(ack_conns(fake, env) == [new.id], "acked on the new connection")
        # What the silent connection swallowed was Slack's loss, not the bot's.
        await rd.end()


def thread_reply(fake, channel, thread_ts, user, text):
    """A member's reply in a thread as an events_api envelope, not yet
    delivered (the message event Slack sends: text, and the same text again
    as rich_text blocks)."""
    ts = f"{time.time():.6f}"
    event = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
             "thread_ts": thread_ts, "parent_user_id": fake.BOT_USER_ID,
             "client_msg_id": "6b1c2e4a-0f1d-4d55-9a42-8e0b7f1a2c3d", "team": fake.TEAM_ID,
             "channel_type": "channel", "event_ts": ts,
             "blocks": [{"type": "rich_text", "block_id": "Ab1", "elements": [
                 {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
    env = fake.fragmentable()
    env.type, env.accepts_response_payload = "events_api", False
    env.payload = {"token": "fakeVerificationToken", "team_id": fake.TEAM_ID,
                   "context_team_id": fake.TEAM_ID, "context_enterprise_id": None,
                   "api_app_id": fake.APP_ID, "event": event, "type": "event_callback",
                   "event_id": "Ev0FRAGMENT1", "event_time": int(time.time()),
                   "authorizations": [{"enterprise_id": None, "team_id": fake.TEAM_ID,
                                       "user_id": fake.BOT_USER_ID, "is_bot": True,
                                       "is_enterprise_install": False}],
                   "is_ext_shared_channel": False, "event_context": "4-fragmented"}
    return env


async def fragmented(checks):
    """Big envelopes in continuation frames are reassembled and handled; an
    oversized one is dropped and the connection kept."""
    async with SocketRound(checks, mode="thread") as rd:
        fake = rd.fake
        conn = (await fake.wait_hello(1))[-1]
        # A slash command past 67 KB: read, and answered that it is too long.
        env = fake.fragmentable("leaderboard week " + "x" * 70000, user=ALICE)
        fake.send_fragmented(env, size=4096, conn=conn)
        await fake.wait_acked(env, 5)
        reply = text_of(env.ack_payload or {})
        rd.ok("more than /study reads" in reply, f"the 70 KB command is answered ({reply[:60]!r})")
        # A 35,000-character reply in the question's thread (~70 KB with its
        # blocks): the bot counts every character of it.
        q = await rd.question_post()
        text = ("Too many requests; back off. " * 1300)[:35000]
        env = thread_reply(fake, rd.study, q["ts"], ALICE, text)
        fake.send_fragmented(env, size=1000, conn=conn)
        rd.ok(len(json.dumps(env.frame())) >= 67 * 1024, "the envelope is over 67 KB")
        await fake.wait_acked(env, 5)
        dm = await fake.wait_for(lambda: fake.dms(ALICE), 10, what="the reply about the answer")
        said = text_of(dm[-1])
        rd.ok("35000 characters" in said, f"the whole text arrived ({said[:80]!r})")
        # Over the bot's cap: dropped, logged, the connection kept.
        big = fake.fragmentable("leaderboard " + "x" * (BOT_MESSAGE_CAP + 65536), user=ALICE)
        fake.send_fragmented(big, size=65536, conn=conn)
        rec = (await rd.bot.wait_log("over the size cap", timeout=15))[0]
        rd.ok(rec.get("level") == "error", f"the oversized message is logged ({rec.get('msg')!r})")
        env2 = await slash_ok(rd, "leaderboard", "after the oversized one", conn=conn)
        rd.ok(conn.open and ack_conns(fake, env2) == [conn.id],
              "the same connection still works")
        rd.ok(len(hello_conns(fake)) == 1, f"no reconnect ({len(hello_conns(fake))} connections)")
        await fake.wait_for(lambda: big.timed_out, 10, what="the dropped one's deadline")
        rd.ok(not big.acked, "the oversized envelope was not acked")
        await rd.end(unacked=[big.id], expect_errors=True)
        errs = [r.get("msg") for r in rd.bot.find("", level="error")]
        rd.ok(all("size cap" in e for e in errs), f"the only error is the size cap's ({errs})")


async def post429(checks):
    """chat.postMessage answered 429: the question is posted once, after
    Retry-After, and the log says the bot waited."""
    async with SocketRound(checks, mode="modal") as rd:
        fake = rd.fake
        fake.inject("chat.postMessage", status=429, retry_after=1)
        await rd.question_post()
        await asyncio.sleep(3)  # room for a second post, which must not come
        posts = [m for m in rd.top() if "Question of the day" in text_of(m)]
        rd.ok(len(posts) == 1, f"the question is posted once ({len(posts)})")
        calls = fake.calls("chat.postMessage")
        rd.ok(len(calls) >= 2, f"the refused call was sent again ({len(calls)} calls)")
        rd.ok(fake.premature == [], f"nothing sent before Retry-After ended ({fake.premature})")
        rec = rd.bot.find("rate limited", method="chat.postMessage")
        rd.ok(len(rec) == 1 and int(rec[0].get("wait_ms", "0")) >= 1000,
              f"the log says it waited Retry-After ({rec})")
        await rd.end()


async def refused(checks, what, bot_token=BOT_TOKEN, app_token=APP_TOKEN, drop_env=None,
                  code=3, says=(), calls=None):
    """A bot started with these tokens exits `code` at once, saying `says`."""
    fake = FakeSlack(app_token=APP_TOKEN, bot_token=BOT_TOKEN, users=USERS)
    await fake.start()
    bot = Bot(slackround.BINARY, fake.api_base, bot_token, questions=BANK,
              slack={"app_token": app_token, "connections": 2})
    if drop_env:
        del bot.env[drop_env]
    try:
        await bot.start()
        rc = await bot.wait_exit(20)
        checks.ok(rc == code, f"{what}: exit code {rc} == {code}")
        errs = " | ".join(f"{r.get('msg')} {r}" for r in bot.find("", level="error"))
        for s in says:
            checks.ok(s.lower() in errs.lower(), f"{what}: the error says {s!r} ({errs[:300]!r})")
        if calls is not None:
            # {method: n} or {method: (at least, at most)}: the second
            # connection's open may or may not have gone out before the exit.
            got = {m: len(fake.calls(m)) for m in calls}
            good = all((lambda lo, hi: lo <= got[m] <= hi)(*(n if isinstance(n, tuple) else (n, n)))
                       for m, n in calls.items())
            checks.ok(good, f"{what}: calls {got} within {calls} (no retry loop)")
        tokens_hidden(bot)
        checks.ok(True, f"{what}: no token in the logs")
        bad = [v for v in fake.violations if not v.endswith(": wrong token")]
        checks.ok(bad == [], f"{what}: no protocol violations but the refused token's {bad}")
    finally:
        bot.kill()
        await fake.stop()


async def invalid_auth(checks):
    """A refused bot token or app token: exit 3 with a message naming it,
    no retry loop. A missing variable or a token of the wrong kind: exit 1."""
    await refused(checks, "refused bot token", bot_token=WRONG_BOT,
                  says=("bot token", "invalid_auth", "STUDYBOT_TEST_TOKEN"),
                  calls={"auth.test": 1, "apps.connections.open": 0})
    await refused(checks, "refused app token", app_token=WRONG_APP,
                  says=("app-level token", "invalid_auth", "STUDYBOT_TEST_APP_TOKEN"),
                  calls={"auth.test": 1, "apps.connections.open": (1, 2)})
    await refused(checks, "no app token variable", drop_env="STUDYBOT_TEST_APP_TOKEN", code=1,
                  says=("STUDYBOT_TEST_APP_TOKEN", "app-level token"),
                  calls={"auth.test": 0, "apps.connections.open": 0})
    await refused(checks, "a bot token in the app variable", app_token=BOT_TOKEN, code=1,
                  says=("STUDYBOT_TEST_APP_TOKEN", "xapp-"),
                  calls={"auth.test": 0, "apps.connections.open": 0})


async def connections(checks):
    """connections = 3: three connections say hello; an envelope on any of
    them is handled and acked on the connection it came on."""
    async with SocketRound(checks, schedule=False, connections=3) as rd:
        fake = rd.fake
        conns = await fake.wait_hello(3)
        await asyncio.sleep(1)
        rd.ok(len(hello_conns(fake)) == 3, f"three connections said hello ({len(hello_conns(fake))})")
        rd.ok(len(fake.calls("apps.connections.open")) == 3, "one apps.connections.open each")
        for c in conns:
            env = await slash_ok(rd, "leaderboard", f"on connection #{c.id}", conn=c)
            rd.ok(ack_conns(fake, env) == [c.id], f"acked on connection #{c.id}")
            ev = fake.home_opened(BOB)
            await fake.wait_acked(ev, 5)
            rd.ok(ack_conns(fake, ev) == ev.conns[-1:], "an event acked where it came")
        await rd.end()


async def ten(checks):
    """connections = 10, Slack's most for an app: a refresh cannot open an
    eleventh socket first (Slack would refuse it with too_many_websockets),
    so the refreshed one is reopened once Slack closes it, and the other
    nine carry the envelopes meanwhile."""
    async with SocketRound(checks, schedule=False, connections=10,
                           fake_opts={"rate_scale": 0.01, "refresh_close_after": 2}) as rd:
        fake = rd.fake
        await fake.wait_hello(10, timeout=30)
        old = fake.disconnect("refresh_requested")
        env = await slash_ok(rd, "leaderboard", "during the refresh")
        rd.ok(old.id not in ack_conns(fake, env), "acked on another connection")
        await fake.wait_for(lambda: old.closed_at is not None, 10, what="Slack closing the old socket")
        await fake.wait_hello(10, timeout=15)
        opened = len(fake.connections)
        rd.ok(opened == 11, f"one socket reopened, no eleventh tried ({opened} opened in all)")
        await slash_ok(rd, "leaderboard", "after the refresh")
        await rd.end()


async def health(port):
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{port}/healthz",
                         timeout=aiohttp.ClientTimeout(total=10)) as r:
            return r.status, (await r.text()).strip()


async def scrape(rd):
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{rd.port}/metrics",
                         timeout=aiohttp.ClientTimeout(total=10)) as r:
            text = await r.text()
            if r.status != 200:
                raise AssertionError(f"/metrics answered {r.status}")
    try:
        return Scrape(text)
    except FormatError as e:
        raise AssertionError(f"/metrics is not valid text format: {e}\n{text}")


async def until_health(rd, status, what, timeout=30):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await health(rd.port)
        if got[0] == status:
            return got
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for /healthz {status} ({what}): {got}")
        await asyncio.sleep(0.05)


async def ops(checks):
    """/healthz: 200 with a connection open, 503 while none is; /metrics
    shows the Slack families."""
    async with SocketRound(checks, schedule=False, http_listen="127.0.0.1:0") as rd:
        fake = rd.fake
        await fake.wait_hello(1)
        st, body = await until_health(rd, 200, "connected")
        rd.ok("1 of 1" in body, f"/healthz 200 when connected ({body!r})")
        m = await scrape(rd)
        bi = [lab for (n, lab), _ in m.samples.items() if n == "studybot_build_info"]
        rd.ok(any(dict(lab).get("platform") == "slack" for lab in bi),
              f"studybot_build_info{{platform=\"slack\"}} ({bi})")
        rd.ok(m.types.get("studybot_slack_envelopes_total") == "counter", "envelopes counter")
        rd.ok(m.types.get("studybot_slack_ack_seconds") == "histogram", "ack_seconds histogram")
        rd.ok(m.get("studybot_slack_connections_open") == 1, "one connection open")
        before = m.get("studybot_slack_envelopes_total") or 0
        await slash_ok(rd, "leaderboard", "a command")
        m = await scrape(rd)
        rd.ok(m.get("studybot_slack_envelopes_total") == before + 1,
              f"the envelope is counted ({m.get('studybot_slack_envelopes_total')})")
        n = m.get("studybot_slack_ack_seconds_count")
        inf = m.get("studybot_slack_ack_seconds_bucket", le="+Inf")
        rd.ok(n is not None and n >= 1 and inf == n, f"its ack time is observed ({n}, {inf})")
        # No connection: Slack closes the one there is, and will not give a
        # new one for a while.
        fake.inject("apps.connections.open", status=500, times=4)
        fake.disconnect("warning", close_after=0.3)
        st, body = await until_health(rd, 503, "no connection open")
        rd.ok("0 of 1" in body, f"/healthz 503 while no connection is open ({body!r})")
        m = await scrape(rd)
        rd.ok(m.get("studybot_slack_connections_open") == 0, "the gauge says 0")
        st, body = await until_health(rd, 200, "reconnected", timeout=40)
        rd.ok(st == 200, f"/healthz 200 again once reconnected ({body!r})")
        m = await scrape(rd)
        rd.ok(m.get("studybot_slack_connections_open") == 1, "the gauge says 1 again")
        rd.ok((m.get("studybot_slack_disconnects_total") or 0) >= 1, "the disconnect is counted")
        await rd.end()


SCENARIOS = {f.__name__: f for f in (late_ack, disconnect, silence, fragmented, post429,
                                       invalid_auth, connections, ten, ops)}

if __name__ == "__main__":
    run_scenario(slackround.__dict__, SCENARIOS, timeout=200)

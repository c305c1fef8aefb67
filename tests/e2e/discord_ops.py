"""The operations endpoints of `http_listen` (SPEC §3): /healthz and /metrics
served by the real studybot binary while it talks to the fake Discord, one
scenario per ctest.

    discord_ops.py STUDYBOT SCENARIO

The bot listens on 127.0.0.1:0 and the port is read from its "http
listening" log line. /metrics is parsed strictly as Prometheus text format
0.0.4: a scrape that a Prometheus server would reject fails the test.
"""

import asyncio
import math
import os
import re
import sys

import aiohttp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import Bot, run_scenario  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

BINARY = None  # the studybot under test; run_scenario() sets it

MESSAGE_CONTENT = 1 << 15
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GoPsOk.0123456789abcdefghijklmnopqrstuvwxyzEF"
BANK = os.path.abspath(os.path.join(HERE, "..", "data", "rounds-bank"))
MESSAGES = ("POST", "/channels/{channel_id}/messages")


# --- the Prometheus text format, strictly ------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
SAMPLE = re.compile(rf"^({NAME})(\{{.*\}})? (\S+)( -?[0-9]+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class FormatError(Exception):
    pass


def parse_labels(text, lineno):
    """{name: value} of a `{a="x",b="y"}` block, escapes undone."""
    out = {}
    i, n = 1, len(text) - 1  # inside the braces
    while i < n:
        m = re.compile(LABEL).match(text, i)
        if not m or text[m.end():m.end() + 2] != '="':
            raise FormatError(f"line {lineno}: bad label at {text[i:]!r}")
        name = m.group(0)
        i = m.end() + 2
        val = []
        while True:
            if i >= n:
                raise FormatError(f"line {lineno}: unterminated label value")
            c = text[i]
            if c == "\\":
                esc = text[i + 1:i + 2]
                if esc not in ('\\', '"', 'n'):
                    raise FormatError(f"line {lineno}: bad escape \\{esc}")
                val.append("\n" if esc == "n" else esc)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise FormatError(f"line {lineno}: raw newline in a label value")
            else:
                val.append(c)
                i += 1
        if name in out:
            raise FormatError(f"line {lineno}: label {name} twice")
        out[name] = "".join(val)
        if i < n:
            if text[i] != ",":
                raise FormatError(f"line {lineno}: expected ',' at {text[i:]!r}")
            i += 1
    return out


def parse_exposition(text):
    """Returns (types, helps, samples) where samples maps (name, labels as a
    sorted tuple) to a float. Raises FormatError on anything a strict
    parser refuses: a sample without a TYPE declared before it, a family
    split in two, a value that is not a float, a duplicate sample."""
    if not text.endswith("\n"):
        raise FormatError("the page does not end with a newline")
    types, helps, samples = {}, {}, {}
    current = None
    done = set()
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 3 or not re.fullmatch(NAME, parts[2]):
                raise FormatError(f"line {lineno}: bad {parts[1]} line {line!r}")
            name = parts[2]
            if name in done and name != current:
                raise FormatError(f"line {lineno}: family {name} split in two")
            if parts[1] == "HELP":
                if name in helps:
                    raise FormatError(f"line {lineno}: second HELP for {name}")
                helps[name] = parts[3] if len(parts) > 3 else ""
            else:
                if name in types:
                    raise FormatError(f"line {lineno}: second TYPE for {name}")
                if name in [s[0] for s in samples]:
                    raise FormatError(f"line {lineno}: TYPE for {name} after its samples")
                if len(parts) != 4 or parts[3] not in TYPES:
                    raise FormatError(f"line {lineno}: bad type in {line!r}")
                types[name] = parts[3]
            if current is not None and current != name:
                done.add(current)
            current = name
            continue
        if line.startswith("#"):
            continue
        if line == "":
            raise FormatError(f"line {lineno}: empty line")
        m = SAMPLE.match(line)
        if not m:
            raise FormatError(f"line {lineno}: not a sample: {line!r}")
        name, labels, value = m.group(1), m.group(2), m.group(3)
        family = name
        if name not in types:
            # A histogram's samples are its name plus _bucket, _sum, _count.
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if types.get(base) == "histogram":
                family = base
        if family not in types:
            raise FormatError(f"line {lineno}: sample {name} without a TYPE before it")
        if family != current:
            raise FormatError(f"line {lineno}: sample {name} outside its family")
        if family != name and name.endswith("_bucket") and "le=" not in (labels or ""):
            raise FormatError(f"line {lineno}: histogram bucket without le")
        try:
            v = float(value)
        except ValueError:
            raise FormatError(f"line {lineno}: value {value!r} is not a float")
        if value.lower() in ("nan", "inf", "-inf") or (math.isinf(v) and value not in
                                                        ("+Inf", "-Inf")):
            raise FormatError(f"line {lineno}: special value spelled {value!r}")
        key = (name, tuple(sorted(parse_labels(labels, lineno).items())) if labels else ())
        if key in samples:
            raise FormatError(f"line {lineno}: duplicate sample {key}")
        if types[family] == "counter" and (v < 0 or math.isnan(v)):
            raise FormatError(f"line {lineno}: counter {name} = {value}")
        samples[key] = v
    return types, helps, samples


class Scrape:
    """One parsed /metrics page."""

    def __init__(self, text):
        self.text = text
        self.types, self.helps, self.samples = parse_exposition(text)

    def get(self, name, **labels):
        """The sample's value, or None when there is no such sample."""
        return self.samples.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))))

    def by_label(self, name, label):
        """{label value: sample value} over a family."""
        return {dict(lab)[label]: v for (n, lab), v in self.samples.items()
                if n == name and label in dict(lab)}


# --- talking to the bot -------------------------------------------------------

async def http(port, path, method="GET", data=None, headers=None):
    """(status, headers, body text) of one request on a fresh connection."""
    async with aiohttp.ClientSession() as s:
        async with s.request(method, f"http://127.0.0.1:{port}{path}", data=data,
                             headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as r:
            return r.status, r.headers, await r.text()


async def scrape(port, checks=None):
    status, headers, text = await http(port, "/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}: {text[:200]!r}")
    ctype = headers.get("Content-Type", "")
    if checks is not None:
        checks.ok(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
                  f"/metrics is text format 0.0.4 ({ctype!r})")
    try:
        return Scrape(text)
    except FormatError as e:
        raise AssertionError(f"/metrics is not valid text format: {e}\n{text}")


async def health(port):
    status, _, text = await http(port, "/healthz")
    return status, text.strip()


async def start_bot(fake, **kw):
    bot = Bot(BINARY, fake.api_url, TOKEN, http_listen="127.0.0.1:0", **kw)
    await bot.start()
    rec = (await bot.wait_log("http listening"))[0]
    m = re.fullmatch(r"127\.0\.0\.1:(\d+)", rec.get("addr", ""))
    if not m or int(m.group(1)) == 0:
        raise AssertionError(f"no port in the log line: {rec}")
    return bot, int(m.group(1))


async def finish(bot, fake, checks, code=0):
    rc = await bot.stop()
    checks.ok(rc == code, f"exit code {rc} == {code}")
    bot.assert_token_hidden()
    checks.ok(True, "the token never appears in the logs")
    checks.ok(fake.violations == [], f"no protocol violations: {fake.violations}")


async def until(pred, timeout, what):
    """Polls an async predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await pred()
        if got:
            return got
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class HeldFake(FakeDiscord):
    """A fake Discord whose answers the test can hold back: GET /gateway/bot
    (the bot cannot start its gateway yet) and the websocket upgrade on the
    resume address (a reconnect that has not gone through yet), as a slow
    Discord would."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.gateway_gate = asyncio.Event()
        self.resume_gate = asyncio.Event()
        self.gateway_gate.set()
        self.resume_gate.set()

    async def _h_gateway_bot(self, rec, body, m):
        await self.gateway_gate.wait()
        return await super()._h_gateway_bot(rec, body, m)

    async def _ws_entry(self, request, port_kind):
        if port_kind == "resume":
            await self.resume_gate.wait()
        return await super()._ws_entry(request, port_kind)


# --- scenarios ---------------------------------------------------------------

async def healthz(checks):
    """503 until the gateway is READY, 200 then; 503 again while the gateway
    is down and its resume has not gone through, 200 once resumed."""
    async with HeldFake(token=TOKEN, heartbeat_interval=1000) as fake:
        fake.gateway_gate.clear()
        bot, port = await start_bot(fake)
        await fake.wait_for(lambda: any(r.path.endswith("/gateway/bot") for r in fake.requests),
                            10, what="GET /gateway/bot")
        status, text = await health(port)
        checks.ok(status == 503, f"503 before the gateway started ({status} {text!r})")
        m = await scrape(port)
        checks.ok(m.by_label("studybot_discord_gateway_ready", "shard") == {},
                  "no shard reported ready before the gateway starts")
        fake.gateway_gate.set()
        await bot.wait_log("gateway ready", timeout=20)
        status, text = await health(port)
        checks.ok(status == 200 and text == "ok", f"200 ok once READY ({status} {text!r})")
        status, headers, body = await http(port, "/healthz", method="HEAD")
        checks.ok(status == 200 and body == "" and headers.get("Content-Length") == "3",
                  f"HEAD: 200, the GET's length, no body ({status} {dict(headers)})")
        m = await scrape(port)
        checks.ok(m.get("studybot_discord_gateway_ready", shard=0) == 1, "ready gauge 1")

        # Discord drops the connection (4000: resume); the resume is held.
        fake.resume_gate.clear()
        fake.close(fake.connections[-1], 4000, "test")
        await bot.wait_log("gateway closed by Discord", timeout=20)
        status, text = await health(port)
        checks.ok(status == 503, f"503 while the gateway is down ({status} {text!r})")
        await bot.wait_log("gateway connecting", resume=1, timeout=20)
        status, text = await health(port)
        checks.ok(status == 503 and "0 of 1" in text,
                  f"503 while the resume is pending ({status} {text!r})")
        m = await scrape(port)
        checks.ok(m.get("studybot_discord_gateway_ready", shard=0) == 0,
                  "ready gauge 0 while reconnecting")
        checks.ok(m.get("studybot_discord_gateway_reconnects_total", shard=0) >= 1,
                  "the reconnect is counted")
        fake.resume_gate.set()
        await fake.wait_resumed(1, timeout=20)
        await bot.wait_log("gateway resumed", timeout=20)
        status, text = await health(port)
        checks.ok(status == 200, f"200 again once resumed ({status} {text!r})")
        m = await scrape(port)
        checks.ok(m.get("studybot_discord_gateway_resumes_total", shard=0) == 1,
                  "one resume counted")
        await finish(bot, fake, checks)


EXPECTED = {
    "studybot_build_info": "gauge",
    "studybot_discord_gateway_ready": "gauge",
    "studybot_discord_gateway_events_total": "counter",
    "studybot_discord_gateway_reconnects_total": "counter",
    "studybot_discord_gateway_resumes_total": "counter",
    "studybot_discord_rest_requests_total": "counter",
    "studybot_discord_rest_rate_limit_waits_total": "counter",
    "studybot_rounds_posted_total": "counter",
    "studybot_answers_recorded_total": "counter",
    "studybot_ratings_recorded_total": "counter",
    "studybot_event_loop_lag_seconds": "gauge",
    "studybot_event_loop_lag_max_seconds": "gauge",
}


def fake_statuses(fake):
    out = {}
    for r in fake.requests:
        if r.status is not None:
            out[str(r.status)] = out.get(str(r.status), 0) + 1
    return out


async def metrics(checks):
    """Counters move with what the bot does: gateway events, REST answers by
    status, a 429's wait, a round posted, an answer recorded; the loop lag
    gauges are filled."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000,
                           allowed_privileged=MESSAGE_CONTENT) as fake:
        ini = f"""
[channel "study"]
id = {fake.STUDY_ID}
schedule = 09:00
timezone = UTC
topics = choice
answer_mode = thread
"""
        bot, port = await start_bot(fake, ini=ini, questions=BANK)
        await bot.wait_log("gateway ready", timeout=20)
        m0 = await scrape(port, checks)
        for name, kind in EXPECTED.items():
            checks.ok(m0.types.get(name) == kind and m0.helps.get(name),
                      f"{name} declared as {kind} with help")
        checks.ok(all(n.endswith("_total") for n, t in m0.types.items() if t == "counter"),
                  "every counter is named *_total")
        info = [(dict(lab), v) for (n, lab), v in m0.samples.items()
                if n == "studybot_build_info"]
        checks.ok(len(info) == 1 and info[0][0].get("platform") == "discord"
                  and info[0][0].get("version") and info[0][1] == 1,
                  f"build info names the version and platform ({info})")
        ev0 = m0.get("studybot_discord_gateway_events_total", shard=0)
        checks.ok(ev0 is not None, f"events counted per shard ({ev0})")

        # Three messages in the channel: three more gateway events.
        for i in range(3):
            fake.message_create(fake.STUDY_ID, f"hello {i}", id=str(5000 + i))
        await bot.wait_log("gateway event", count=3, timeout=20)
        m1 = await scrape(port)
        ev1 = m1.get("studybot_discord_gateway_events_total", shard=0)
        checks.ok(ev1 >= ev0 + 3, f"gateway events {ev0} -> {ev1} (+3 messages)")

        # An admin posts a round; its message meets a 429 first.
        fake.inject_rest(429, times=1, route=MESSAGES, retry_after=0.3)
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "post"}])
        await fake.wait_for(lambda: inter.callbacks, 5, what="the /study post answer")
        await fake.wait_for(lambda: [r for r in fake.requests_to(*MESSAGES) if r.status == 200],
                            20, what="the question posted")
        q = [msg for msg in fake.messages[fake.STUDY_ID]
             if msg["author"]["id"] == fake.BOT_ID][-1]
        # A member picks a choice: an answer recorded.
        cid = next(c["custom_id"] for row in q.get("components", [])
                   for c in row["components"] if c.get("label") == "B")
        pick = fake.interaction("button", custom_id=cid, message=q, channel_id=fake.STUDY_ID)
        await fake.wait_for(lambda: pick.callbacks, 5, what="the pick's answer")

        # Every answer the fake gave is counted, by status.
        async def settled():
            m = await scrape(port)
            want = fake_statuses(fake)
            got = {k: int(v) for k, v in m.by_label("studybot_discord_rest_requests_total",
                                                     "status").items()}
            return m if got == want else None
        try:
            m2 = await until(settled, 15, "REST counts to match the fake's answers")
        except AssertionError:
            m2 = await scrape(port)
        got = m2.by_label("studybot_discord_rest_requests_total", "status")
        want = fake_statuses(fake)
        checks.ok({k: int(v) for k, v in got.items()} == want,
                  f"REST requests by status {got} == the fake's answers {want}")
        checks.ok(got.get("200", 0) + got.get("204", 0) >= 2,
                  "the interaction's 200/204 answers are counted")
        checks.ok(got.get("429") == 1, f"the injected 429 is counted ({got.get('429')})")
        checks.ok(m2.get("studybot_discord_rest_rate_limit_waits_total", reason="429") == 1,
                  "the 429 shows up in rate-limit waits")
        checks.ok(m2.get("studybot_discord_rest_retries_total") >= 1, "its retry is counted")
        checks.ok(m2.get("studybot_rounds_posted_total") == 1, "one round posted")
        checks.ok(m2.get("studybot_answers_recorded_total") == 1, "one answer recorded")
        checks.ok(m2.get("studybot_ratings_recorded_total") == 0, "no rating yet")
        # The lag probe fires every second; any real timer fires a little late.
        async def probed():
            m = await scrape(port)
            return m if (m.get("studybot_event_loop_lag_max_seconds") or 0) > 0 else None
        m4 = await until(probed, 10, "the loop lag probe")
        lag = m4.get("studybot_event_loop_lag_seconds")
        lag_max = m4.get("studybot_event_loop_lag_max_seconds")
        checks.ok(lag is not None and 0 <= lag <= lag_max < 60,
                  f"loop lag gauges in seconds ({lag}, max {lag_max})")
        # The same answer again (a changed pick) is not a new answer.
        pick = fake.interaction("button", custom_id=cid, message=q, channel_id=fake.STUDY_ID)
        await fake.wait_for(lambda: pick.callbacks, 5, what="the second pick's answer")
        m3 = await scrape(port)
        checks.ok(m3.get("studybot_answers_recorded_total") == 1,
                  "a changed pick is not counted twice")
        # Every interaction answered so far is in the reply-time histogram:
        # buckets cumulative, the last (+Inf) equal to the count.
        name = "studybot_interaction_reply_seconds"
        buckets = sorted(((float(le), v) for le, v in m3.by_label(name + "_bucket", "le").items()))
        count = m3.get(name + "_count")
        answered = sum(1 for i in fake.interactions.values() if i.callbacks)
        checks.ok(count == answered and buckets and buckets[-1] == (math.inf, count)
                  and all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
                  f"reply times of all {answered} interactions: count {count}, buckets {buckets}")
        await finish(bot, fake, checks)


def button_id(msg, label):
    for row in msg.get("components") or []:
        for c in row.get("components") or []:
            if c.get("label") == label:
                return c["custom_id"]
    raise AssertionError(f"no button {label!r} in {msg.get('components')}")


def title_of(msg):
    embeds = msg.get("embeds") or []
    return (embeds[0].get("title") or "") if embeds else ""


async def round_counts(checks):
    """A whole written round: rounds, answers and ratings counted once each
    (an edited answer and a changed rating are not new ones)."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=5000) as fake:
        alice, bob = fake.ALICE_ID, fake.BOB_ID
        ini = f"""
[channel "study"]
id = {fake.STUDY_ID}
schedule = 09:00
timezone = UTC
topics = written
answer_window = 60s
review_window = 60s
remind_before = 0
"""
        bot, port = await start_bot(fake, ini=ini, questions=BANK)
        await bot.wait_log("gateway ready", timeout=20)

        def bot_msgs(channel):
            return [msg for msg in fake.messages.get(channel, [])
                    if msg["author"]["id"] == fake.BOT_ID]

        async def answered(inter):
            await fake.wait_for(lambda: inter.callbacks, 5, what="an interaction response")
            return inter.callbacks[0]

        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "post"}])
        await answered(inter)
        q = await fake.wait_for(lambda: (lambda v: v[-1] if v else None)(
            [msg for msg in bot_msgs(fake.STUDY_ID) if msg.get("components")]), 20,
            what="the question")
        texts = {alice: "429: wait for Retry-After.", bob: "Too Many Requests; back off."}
        for user, text in ((alice, "a draft"), (alice, texts[alice]), (bob, texts[bob])):
            cb = await answered(fake.interaction("button", custom_id=button_id(q, "Answer"),
                                                 message=q, user_id=user,
                                                 channel_id=fake.STUDY_ID))
            form = cb["data"]
            (field,) = [c["custom_id"] for row in form["components"] for c in row["components"]]
            await answered(fake.interaction("modal", custom_id=form["custom_id"],
                                            fields={field: text}, user_id=user,
                                            channel_id=fake.STUDY_ID, message=q))
        m = await scrape(port)
        checks.ok(m.get("studybot_rounds_posted_total") == 1, "one round posted")
        checks.ok(m.get("studybot_answers_recorded_total") == 2,
                  f"two answers, the edit not counted ({m.get('studybot_answers_recorded_total')})")

        # The reveal (at the deadline) carries the rating buttons.
        cards = await fake.wait_for(lambda: (lambda v: v if len(v) >= 2 else None)(
            [msg for msg in bot_msgs(q["id"]) if title_of(msg).startswith("Answer ")]), 100,
            what="the answer cards")
        card = {}
        for c in cards:
            desc = c["embeds"][0].get("description") or ""
            for user, text in texts.items():
                if text == desc:
                    card[user] = c
        checks.ok(set(card) == {alice, bob}, "a card per answer")
        for user, target, stars in ((bob, alice, 4), (bob, alice, 5), (alice, bob, 3)):
            await answered(fake.interaction("button", custom_id=button_id(card[target], str(stars)),
                                            message=card[target], user_id=user,
                                            channel_id=card[target]["channel_id"]))
        m = await scrape(port)
        checks.ok(m.get("studybot_ratings_recorded_total") == 2,
                  f"two ratings, the change not counted ({m.get('studybot_ratings_recorded_total')})")
        checks.ok(m.get("studybot_answers_recorded_total") == 2, "still two answers")

        # The page at "/": the channel's boards, with the answer points of
        # the reveal.
        status, headers, page = await http(port, "/")
        checks.ok(status == 200 and headers.get("Content-Type", "").startswith("text/html"),
                  f"/ is a page: {status} {headers.get('Content-Type')}")
        checks.ok("<h2>study</h2>" in page and "This week" in page and "All time" in page,
                  "the page shows the channel's week and all-time boards")
        checks.ok(page.count("Alice: ") == 2 and page.count("Bob: ") == 2,
                  f"both members on both boards: {page}")
        await finish(bot, fake, checks)


async def http_errors(checks):
    """Unknown paths get 404, other methods 405 (with Allow), a body 413;
    the listener keeps serving after each."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot, port = await start_bot(fake)
        await bot.wait_log("gateway ready", timeout=20)
        status, _, _ = await http(port, "/nope")
        checks.ok(status == 404, f"unknown path: {status} == 404")
        status, _, _ = await http(port, "/healthz/")
        checks.ok(status == 404, f"a path is matched exactly: {status} == 404")
        status, _, _ = await http(port, "/metrics?name=x")
        checks.ok(status == 200, f"a query string is ignored: {status}")
        for method in ("POST", "PUT", "DELETE"):
            status, headers, _ = await http(port, "/healthz", method=method, data=b"x=1")
            checks.ok(status == 405 and headers.get("Allow") == "GET, HEAD",
                      f"{method}: {status} == 405, Allow {headers.get('Allow')!r}")
        status, _, _ = await http(port, "/metrics", method="GET", data=b"body")
        checks.ok(status == 413, f"GET with a body: {status} == 413")
        # Several requests on one keep-alive connection.
        async with aiohttp.ClientSession() as s:
            seen = []
            for path in ("/healthz", "/nope", "/metrics", "/healthz"):
                async with s.get(f"http://127.0.0.1:{port}{path}") as r:
                    await r.read()
                    seen.append(r.status)
        checks.ok(seen == [200, 404, 200, 200], f"keep-alive requests: {seen}")
        # A client that sends half a request and hangs up harms nothing.
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"GET /heal")
        await w.drain()
        w.close()
        status, text = await health(port)
        checks.ok(status == 200, f"still serving after every error ({status} {text!r})")
        m = await scrape(port)
        checks.ok(m.get("studybot_discord_gateway_ready", shard=0) == 1, "and /metrics too")
        # Connections still open at shutdown (one idle after a response, one
        # with half a request) do not hold the bot up.
        r1, w1 = await asyncio.open_connection("127.0.0.1", port)
        w1.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        await w1.drain()
        head = await asyncio.wait_for(r1.readuntil(b"\r\n\r\n"), 10)
        checks.ok(head.startswith(b"HTTP/1.1 200"), f"raw keep-alive request ({head[:20]!r})")
        r2, w2 = await asyncio.open_connection("127.0.0.1", port)
        w2.write(b"GET /metr")
        await w2.drain()
        await finish(bot, fake, checks)
        for w in (w1, w2):
            w.close()


SCENARIOS = {f.__name__: f for f in (healthz, metrics, round_counts, http_errors)}


if __name__ == "__main__":
    run_scenario(globals(), SCENARIOS, 150)

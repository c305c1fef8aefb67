"""The real studybot binary against the fake Discord: admin commands,
reminders, the weekly recap, forget-me, export, and durability (a crash, a
gateway reconnect, rate limits) during a round. One scenario per ctest.

    discord_admin.py STUDYBOT SCENARIO

Every scenario checks what members see (message bodies: content, embeds,
buttons; flags 64 for private replies), that the fake saw no protocol
violation, and that the token never reached the logs. Rounds are real:
answer and review windows are the config's minimum (60 s each), so a
scenario that runs a whole round takes a little over two minutes.
"""

import asyncio
import csv
import datetime
import email.parser
import email.policy
import io
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import Bot, run_scenario  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

BINARY = None  # the studybot under test; run_scenario() sets it

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEt.0123456789abcdefghijklmnopqrstuvwxyzAB"
STUDY = FakeDiscord.STUDY_ID
GENERAL = FakeDiscord.GENERAL_ID
ALICE, BOB = FakeDiscord.ALICE_ID, FakeDiscord.BOB_ID
CAROL, DAVE = "1200000000000000203", "1200000000000000204"
# What @everyone may do in the fake's guild: no ADMINISTRATOR (1 << 3), no
# MANAGE_GUILD (1 << 5). A member with it is no admin.
MEMBER_PERMS = "2248473465835073"
MANAGE_GUILD = 1 << 5
# Only questions without choices: every member answers in the form.
TOPIC = "code-review"
CREATE_MESSAGE = ("POST", "/channels/{channel_id}/messages")
FOLLOWUP = ("POST", "/webhooks/{webhook_id}/{webhook_token}")
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
ROUND = 60  # the shortest answer_window and review_window the config takes

assert not int(MEMBER_PERMS) & (MANAGE_GUILD | 1 << 3)


def channel_ini(channel=STUDY, schedule="09:00", answer="60s", review="60s", remind="0",
                mode="modal"):
    return f"""
[channel "study"]
id = {channel}
schedule = {schedule}
timezone = UTC
topics = {TOPIC}
answer_window = {answer}
review_window = {review}
remind_before = {remind}
answer_mode = {mode}
"""


def utc_in(seconds):
    """HH:MM:SS (UTC) `seconds` from now: a schedule that fires during the test."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%H:%M:%S"), t.timestamp()


# --- what members see ----------------------------------------------------------

def text_of(m):
    """Everything a member reads in a message or a callback's data."""
    m = m or {}
    parts = [m.get("content") or ""]
    for e in m.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name", ""), f.get("value", "")]
        parts.append((e.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def title_of(m):
    embeds = (m or {}).get("embeds") or []
    return embeds[0].get("title", "") if embeds else ""


def buttons(m):
    """(label, custom_id) of every button, in order."""
    out = []
    for row in (m or {}).get("components") or []:
        for c in row.get("components") or []:
            if c.get("type") == 2:
                out.append((c.get("label", ""), c.get("custom_id", "")))
    return out


def button(m, label):
    for lab, cid in buttons(m):
        if lab == label or lab.startswith(label):
            return cid
    raise AssertionError(f"no button {label!r} in {buttons(m)}")


def private(cb):
    return cb["type"] == 4 and bool(((cb.get("data") or {}).get("flags") or 0) & 64)


def posts(fake, channel):
    """The bot's own messages in a channel (not interaction responses)."""
    return [m for m in fake.messages.get(channel, [])
            if m["author"]["id"] == fake.BOT_ID and "interaction_metadata" not in m]


def questions(fake, channel=STUDY):
    return [m for m in posts(fake, channel) if title_of(m).startswith("Question of the day")]


def titled(fake, channel, prefix):
    return [m for m in posts(fake, channel) if title_of(m).startswith(prefix)]


def dm_posts(fake, user):
    ch = fake.dm_channels.get(user)
    return posts(fake, ch) if ch else []


# --- what members do ------------------------------------------------------------

def study(sub, **opts):
    kinds = {"channel": 7, "user": 6}
    o = [{"type": kinds.get(k, 3), "name": k, "value": v} for k, v in opts.items()]
    return [{"type": 1, "name": sub, **({"options": o} if o else {})}]


async def first_callback(fake, inter, timeout=15):
    await fake.wait_for(lambda: inter.callbacks, timeout, what="the interaction's answer")
    return inter.callbacks[0]


def run(fake, sub, user=ALICE, admin=True, where=STUDY, **opts):
    """/study SUB in `where`; admin: the member has Manage Server (and
    nothing else the @everyone role lacks)."""
    perms = str(int(MEMBER_PERMS) | MANAGE_GUILD) if admin else MEMBER_PERMS
    return fake.interaction("command", name="study", options=study(sub, **opts),
                            channel_id=where, user_id=user, permissions=perms)


async def command(fake, sub, user=ALICE, admin=True, where=STUDY, **opts):
    return await first_callback(fake, run(fake, sub, user, admin, where, **opts))


async def click(fake, msg, label, user, channel=None):
    inter = fake.interaction("button", custom_id=button(msg, label), message=msg,
                             channel_id=channel or msg["channel_id"], user_id=user)
    return await first_callback(fake, inter)


async def open_form(fake, q, user):
    """Answer on the question: the modal's callback data."""
    cb = await click(fake, q, "Answer", user)
    if cb["type"] != 9:
        raise AssertionError(f"Answer opened no form: {cb}")
    return cb["data"]


def submit(fake, q, user, form, text):
    field = form["components"][0]["components"][0]["custom_id"]
    return fake.interaction("modal", custom_id=form["custom_id"], fields={field: text},
                            channel_id=q["channel_id"], user_id=user, message=q)


async def answer(fake, q, user, text):
    """Answers through the form; returns the confirmation's callback."""
    form = await open_form(fake, q, user)
    return await first_callback(fake, submit(fake, q, user, form, text))


async def wait_question(fake, n=1, channel=STUDY, timeout=20):
    await fake.wait_for(lambda: len(questions(fake, channel)) >= n, timeout,
                        what=f"{n} question post(s)")
    return questions(fake, channel)[n - 1]


async def wait_titled(fake, channel, prefix, timeout, n=1):
    await fake.wait_for(lambda: len(titled(fake, channel, prefix)) >= n, timeout,
                        what=f"{prefix!r} in {channel}")
    return titled(fake, channel, prefix)


def cards(fake, thread):
    return [m for m in posts(fake, thread) if title_of(m).startswith("Answer ")]


async def rate(fake, card, stars, user):
    return await click(fake, card, str(stars), user)


# --- the bot ----------------------------------------------------------------------

async def ready_bot(fake, ini, env=None, config=None):
    bot = Bot(BINARY, fake.api_url, TOKEN, ini=ini, env=env)
    if config:
        bot.config = config  # the same file, hence the same database
    await bot.start()
    await bot.wait_log("gateway ready", count=1, timeout=30)
    return bot


async def crash(bot, fake):
    """SIGKILL, no sooner than Discord's identify window (5 s) after the
    last IDENTIFY: a process started anew cannot know when the last one
    identified, and the restart is not what this waits for."""
    sent = [r["at"] for c in fake.connections for r in c.received if r.get("op") == 2]
    await asyncio.sleep(max(0.0, max(sent, default=0) + fake.identify_window + 0.2
                            - time.monotonic()))
    bot.kill()
    await bot.proc.wait()


def finish_checks(bot, fake, checks):
    bot.assert_token_hidden()
    checks.ok(True, "the token never appears in the logs")
    checks.ok(fake.violations == [], f"no protocol violations: {fake.violations}")


async def finish(bot, fake, checks):
    rc = await bot.stop()
    checks.ok(rc == 0, f"exit code {rc} == 0")
    finish_checks(bot, fake, checks)


def add_members(fake):
    for uid, name in ((CAROL, "carol"), (DAVE, "dave")):
        fake.add_user(uid, name)


def refused(checks, cb, what):
    t = text_of(cb.get("data"))
    checks.ok(private(cb) and "Only admins" in t and "Manage Server" in t,
              f"{what}: refused privately, saying why ({t[:80]!r})")


def said(checks, cb, needle, what):
    t = text_of(cb.get("data"))
    checks.ok(private(cb) and needle in t, f"{what}: private {needle!r} ({t[:100]!r})")


async def revealed(fake, q, n, timeout=ROUND + 40):
    """The reveal in the question's thread: its head and n answer cards."""
    await wait_titled(fake, q["id"], "Time's up", timeout)
    await fake.wait_for(lambda: len(cards(fake, q["id"])) >= n, 20, what=f"{n} answer cards")
    return cards(fake, q["id"])


# --- scenarios -------------------------------------------------------------------

async def setup(checks):
    """/study setup by an admin configures a channel, which then gets its
    round at that time; a member without Manage Server is refused."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, "")
        await bot.wait_log("command is registered", timeout=45)
        study_cmd = next(c for cmds in fake.commands.values() for c in cmds
                         if c["name"] == "study")
        sub = next(o for o in study_cmd["options"] if o["name"] == "setup")
        names = [o["name"] for o in sub["options"]]
        checks.ok(names == ["channel", "time", "timezone", "topics", "difficulty", "mode"],
                  f"/study setup options as registered: {names}")

        when, at = utc_in(20)
        opts = dict(channel=GENERAL, time=when, timezone="UTC", topics=TOPIC,
                    difficulty="1-3", mode="modal")
        cb = await command(fake, "setup", user=BOB, admin=False, where=GENERAL, **opts)
        refused(checks, cb, "/study setup by a member")
        cb = await command(fake, "leaderboard", user=BOB, where=GENERAL)
        said(checks, cb, "no study rounds yet", "the refused setup configured nothing")

        cb = await command(fake, "setup", where=GENERAL, **{**opts, "timezone": "Mars/Olympus"})
        said(checks, cb, "not a time zone I know", "an unknown time zone is refused")
        cb = await command(fake, "setup", where=GENERAL, **opts)
        t = text_of(cb["data"])
        checks.ok(private(cb) and t.startswith("Set up") and when in t and "UTC" in t
                  and TOPIC in t and "1-3" in t and "private" in t,
                  f"setup confirmed privately: {t!r}")
        checks.ok(questions(fake, GENERAL) == [], "nothing posted before the time")

        q = await wait_question(fake, 1, GENERAL, timeout=at - time.time() + 30)
        posted = datetime.datetime.fromisoformat(q["timestamp"]).timestamp()
        checks.ok(posted >= at - 1, f"posted at the set time ({posted - at:+.1f}s)")
        checks.ok(not (q.get("flags") or 0) & 64, "the question is public")
        checks.ok([b[0] for b in buttons(q)][:1] == ["Answer"], f"buttons {buttons(q)}")
        checks.ok("Answer by" in text_of(q) and "Code review" in title_of(q),
                  f"the post shows topic and deadline: {title_of(q)!r}")
        cb = await answer(fake, q, BOB, "Quote the lookup path: F(\"manager__salary\").")
        said(checks, cb, "recorded", "a member answers in the new channel")
        await finish(bot, fake, checks)


async def controls(checks):
    """/study post, pause, resume and skip: admins only; a paused channel
    misses its scheduled round, also after resume; skip closes the open
    round."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        when, at = utc_in(25)
        bot = await ready_bot(fake, channel_ini(schedule=when))
        for sub in ("post", "pause", "resume", "skip"):
            refused(checks, await command(fake, sub, user=BOB, admin=False),
                    f"/study {sub} by a member")
        checks.ok(questions(fake) == [], "a refused /study post posts nothing")

        said(checks, await command(fake, "pause"), "Paused", "/study pause")
        said(checks, await command(fake, "pause"), "already paused", "/study pause again")
        await asyncio.sleep(max(0.0, at + 5 - time.time()))
        checks.ok(questions(fake) == [], "paused: the scheduled round is not posted")
        said(checks, await command(fake, "resume"), "Resumed", "/study resume")
        said(checks, await command(fake, "resume"), "not paused", "/study resume again")
        await asyncio.sleep(3)
        checks.ok(questions(fake) == [], "the round missed while paused is not posted late")

        said(checks, await command(fake, "post"), "Posted", "/study post")
        q = await wait_question(fake)
        said(checks, await command(fake, "post"), "already open", "/study post with one open")
        said(checks, await command(fake, "skip"), "Skipped the open round", "/study skip")
        notes = await fake.wait_for(
            lambda: [m for m in posts(fake, q["id"]) if "skipped" in text_of(m)], 15,
            what="the skip notice in the thread")
        checks.ok("nothing is scored" in text_of(notes[0]), f"thread notice: {text_of(notes[0])!r}")
        cb = await click(fake, q, "Answer", CAROL)
        said(checks, cb, "skipped", "a skipped round takes no answers")
        cb = await command(fake, "skip")
        said(checks, cb, "will not be posted", "/study skip with nothing open skips the next")
        checks.ok(len(questions(fake)) == 1, f"one question in all ({len(questions(fake))})")
        await finish(bot, fake, checks)


async def remind(checks):
    """/study remind on: a member who has not answered gets one private
    nudge remind_before the deadline; one who answered does not, nor one who
    turned it off."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        bot = await ready_bot(fake, channel_ini(remind="40s"))
        for user in (ALICE, BOB, CAROL):
            cb = await command(fake, "remind", user=user, admin=False, state="on")
            said(checks, cb, "Reminders are on", f"/study remind on ({user[-3:]})")
        said(checks, await command(fake, "remind", user=CAROL, admin=False, state="off"),
             "Reminders are off", "/study remind off")
        said(checks, await command(fake, "post"), "Posted", "/study post")
        q = await wait_question(fake)
        posted = time.monotonic()
        said(checks, await answer(fake, q, ALICE, "Use F(\"manager__salary\")."), "recorded",
             "alice answers")

        await fake.wait_for(lambda: titled(fake, fake.dm_channels.get(BOB), "Reminder"),
                            ROUND + 10, what="bob's reminder")
        waited = time.monotonic() - posted
        checks.ok(waited >= 15, f"the nudge came remind_before the deadline ({waited:.0f}s "
                  "after the post)")
        opened = [r for r in fake.requests_to("POST", "/users/@me/channels")
                  if (r.json or {}).get("recipient_id") == BOB]
        checks.ok(len(opened) >= 1 and opened[0].status == 200, "a DM channel was opened")
        nudge = titled(fake, fake.dm_channels[BOB], "Reminder")[0]
        prompt = text_of(q).split("\n")[1].strip("*")[:40]
        t = text_of(nudge)
        checks.ok("closes in" in t and prompt in t and "/study remind" in t,
                  f"the nudge names the question and why it came: {t[:120]!r}")
        inter = fake.interaction("button", custom_id=button(nudge, "Answer"), message=nudge,
                                 dm=True, user_id=BOB)
        form = await first_callback(fake, inter)
        checks.ok(form["type"] == 9, "Answer in the nudge opens the form")
        sub = fake.interaction("modal", custom_id=form["data"]["custom_id"],
                               fields={"answer": "F() needs a string."}, dm=True, user_id=BOB,
                               message=nudge)
        said(checks, await first_callback(fake, sub), "recorded", "bob answers from the DM")

        await revealed(fake, q, 2)
        checks.ok(not titled(fake, fake.dm_channels.get(ALICE), "Reminder"),
                  "alice answered: no nudge")
        checks.ok(not titled(fake, fake.dm_channels.get(CAROL), "Reminder"),
                  "carol turned reminders off: no nudge")
        checks.ok(len(titled(fake, fake.dm_channels[BOB], "Reminder")) == 1,
                  "bob was nudged once")
        await finish(bot, fake, checks)


async def board(fake, user=CAROL):
    """The all-time leaderboard as a member sees it (a public reply)."""
    cb = await command(fake, "leaderboard", user=user, admin=False, period="all")
    return text_of(cb["data"])


async def rated_round(fake, texts):
    """Posts a round, has each member of `texts` answer, waits for the
    reveal and has each rate every other answer: 5 for the first member's,
    3 for the others. Returns the question and the answer cards by member."""
    said_ok = []
    cb = await command(fake, "post")
    if "Posted" not in text_of(cb["data"]):
        raise AssertionError(f"/study post: {cb}")
    q = await wait_question(fake)
    for user, text in texts.items():
        said_ok.append("recorded" in text_of((await answer(fake, q, user, text))["data"]))
    if not all(said_ok):
        raise AssertionError("an answer was not confirmed")
    got = await revealed(fake, q, len(texts))
    by = {}
    for card in got:
        for user, text in texts.items():
            if text_of(card).find(text) >= 0:
                by[user] = card
    if len(by) != len(texts):
        raise AssertionError(f"answer cards {[text_of(c) for c in got]} for {texts}")
    first = next(iter(texts))
    for rater in texts:
        for author, card in by.items():
            if author != rater:
                cb = await rate(fake, card, 5 if author == first else 3, rater)
                if "recorded" not in text_of(cb["data"]):
                    raise AssertionError(f"rating refused: {cb}")
    return q, by


async def forget_me(checks):
    """/study forget-me asks to confirm with buttons; Cancel keeps
    everything, Delete removes the member's answers, ratings and points;
    every reply is private."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        bot = await ready_bot(fake, channel_ini())
        texts = {ALICE: "Self-reference needs the string 'self'.",
                 BOB: "DecimalField needs max_digits and decimal_places."}
        q, by = await rated_round(fake, texts)
        before = await board(fake)
        checks.ok("Alice" in before and "Bob" in before, f"both on the board: {before!r}")

        inter = run(fake, "forget-me", user=ALICE, admin=False)
        cb = await first_callback(fake, inter)
        labels = [b[0] for b in buttons(cb["data"])]
        checks.ok(private(cb) and title_of(cb["data"]) == "Forget me?"
                  and "cannot be undone" in text_of(cb["data"]),
                  f"asks privately first: {text_of(cb['data'])[:80]!r}")
        checks.ok(labels == ["Delete my data", "Cancel"], f"buttons {labels}")
        # The private reply as Discord keeps it: its buttons are clicked.
        prompt = next(m for m in fake.messages[STUDY] if m["id"] == inter.original_message_id)
        said(checks, await click(fake, prompt, "Cancel", ALICE), "Nothing was deleted",
             "Cancel")
        checks.ok("Alice" in await board(fake), "after Cancel alice is still on the board")
        said(checks, await click(fake, prompt, "Delete my data", BOB), "someone else",
             "another member's Delete button")
        checks.ok("Alice" in await board(fake), "alice is still on the board")

        cb = await click(fake, prompt, "Delete my data", ALICE)
        said(checks, cb, "Done: your answers, ratings, points", "Delete")
        after = await board(fake)
        checks.ok("Alice" not in after and "Bob" in after, f"the board without alice: {after!r}")
        cb = await command(fake, "stats", user=ALICE, admin=False)
        checks.ok(private(cb) and "**0 points**" in text_of(cb["data"]),
                  f"alice's stats are empty: {text_of(cb['data'])[:60]!r}")
        cb = await command(fake, "stats", user=BOB, admin=False)
        t = text_of(cb["data"])
        checks.ok("answer: +10" in t and "**0 points**" not in t, f"bob keeps his: {t[:60]!r}")
        await finish(bot, fake, checks)


def multipart_files(rec):
    """{filename: bytes} of a multipart/form-data request as the fake got it."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + rec.headers["content-type"].encode("latin-1") + b"\r\n\r\n" + rec.body)
    return {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_parts()
            if p.get_filename()}


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def export(checks):
    """/study export: an admin gets answers, ratings and the ledger as CSV
    files, privately (deferred, then the files on the interaction's
    webhook); a member is refused."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await ready_bot(fake, channel_ini())
        tricky = 'Two bugs: "F(manager__salary)" lacks quotes,\nand the import, too.'
        texts = {ALICE: tricky, BOB: "=HYPERLINK(\"x\") is what a formula looks like."}
        q, by = await rated_round(fake, texts)

        refused(checks, await command(fake, "export", user=BOB, admin=False),
                "/study export by a member")
        inter = run(fake, "export")
        cb = await first_callback(fake, inter)
        checks.ok(cb["type"] == 5 and (cb["data"] or {}).get("flags") == 64,
                  f"deferred privately at once ({cb['type']}, {cb.get('data')}, "
                  f"{cb['delay']:.2f}s)")
        ups = await fake.wait_for(
            lambda: [r for r in fake.requests_to(*FOLLOWUP)
                     if r.params.get("webhook_token") == inter.token and r.status], 20,
            what="the follow-up with the files")
        up = ups[0]
        checks.ok(len(ups) == 1 and up.status == 200, f"one follow-up, status {up.status}")
        checks.ok(up.headers.get("content-type", "").startswith("multipart/form-data; boundary="),
                  f"multipart: {up.headers.get('content-type')}")
        files = multipart_files(up)
        checks.ok(sorted(files) == ["answers.csv", "ledger.csv", "ratings.csv"],
                  f"three files: {sorted(files)}")
        checks.ok(up.files == ["answers.csv", "ratings.csv", "ledger.csv"],
                  f"the fake saw them as files: {up.files}")
        att = (up.json or {}).get("attachments") or []
        checks.ok([a.get("filename") for a in att] == up.files and (up.json or {}).get("flags") == 64,
                  f"payload_json names them, private: {att}")
        checks.ok("as CSV" in text_of(up.json), f"with a word: {text_of(up.json)!r}")

        answers = csv_rows(files.get("answers.csv", b""))
        checks.ok(answers[0][:5] == ["round_slot", "question", "member_id", "member_name", "answer"],
                  f"answers.csv header {answers[0]}")
        texts_got = {r[3]: r[4] for r in answers[1:]}
        checks.ok(texts_got.get("Alice") == tricky, f"alice's answer, quotes and line break "
                  f"intact: {texts_got.get('Alice')!r}")
        checks.ok(texts_got.get("Bob", "").startswith("'="),
                  f"a formula is defused: {texts_got.get('Bob')!r}")
        checks.ok(len(answers) == 3, f"one row per answer ({len(answers) - 1})")
        ratings = csv_rows(files.get("ratings.csv", b""))
        checks.ok(ratings[0] == ["round_slot", "question", "answer_label", "author", "rater",
                                 "stars", "at"], f"ratings.csv header {ratings[0]}")
        stars = sorted((r[3], r[4], r[5]) for r in ratings[1:])
        checks.ok(stars == [(ALICE, BOB, "5"), (BOB, ALICE, "3")], f"ratings {stars}")
        ledger = csv_rows(files.get("ledger.csv", b""))
        checks.ok(ledger[0] == ["at", "member_id", "member_name", "points", "reason", "topic",
                                "round_slot"], f"ledger.csv header {ledger[0]}")
        reasons = sorted((r[2], r[4], r[3]) for r in ledger[1:])
        checks.ok(("Alice", "answer", "10") in reasons and ("Bob", "answer", "10") in reasons
                  and ("Bob", "review", "1") in reasons, f"ledger rows {reasons}")
        shown = [m for m in fake.messages.get(STUDY, []) if m["id"] == inter.original_message_id]
        checks.ok(shown and "as CSV" in text_of(shown[0]) and shown[0]["flags"] & 64,
                  "the member sees the private reply")
        await finish(bot, fake, checks)


async def restart(checks):
    """SIGKILL while the question's answer is in flight, then again after
    answers were confirmed: restarted on the same database, the bot posts
    the question once, reveals every confirmed answer and posts results."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        ini = channel_ini()
        bot = await ready_bot(fake, ini)
        config = bot.config
        # Discord creates the question, but its answer comes too late.
        fake.inject_delay(30, route=CREATE_MESSAGE, times=1)
        said(checks, await command(fake, "post"), "Posted", "/study post")
        q = await wait_question(fake)
        await crash(bot, fake)
        answered = [r for r in bot.find("Discord request", method="POST")
                    if r.get("route", "").endswith("/messages")]
        checks.ok(answered == [], f"killed with the question's answer in flight {answered}")

        bot = await ready_bot(fake, ini, config=config)
        sent = await fake.wait_for(
            lambda: (lambda v: v if len(v) >= 2 else None)(
                [r for r in fake.requests_to(*CREATE_MESSAGE)
                 if (r.json or {}).get("nonce") == q.get("nonce")]), 20,
            what="the question sent again")
        checks.ok(sent[-1].status == 200 and sent[-1].response["id"] == q["id"],
                  "sent again with the same nonce: Discord answers with the first message")
        texts = {ALICE: "Use 'self' for the foreign key.",
                 BOB: "max_digits and decimal_places are required."}
        for user, text in texts.items():
            said(checks, await answer(fake, q, user, text), "recorded", f"answer {user[-3:]}")
        await crash(bot, fake)
        checks.ok(not titled(fake, q["id"], "Time's up"), "killed before the reveal")

        bot = await ready_bot(fake, ini, config=config)
        texts[CAROL] = "F() takes the lookup as a string."
        said(checks, await answer(fake, q, CAROL, texts[CAROL]), "recorded", "answer after restart")
        got = await revealed(fake, q, 3)
        shown = sorted(text_of(c).split("\n")[1] for c in got)
        checks.ok(shown == sorted(texts.values()), f"every confirmed answer revealed: {shown}")
        res = await wait_titled(fake, q["id"], "Results", ROUND + 30)
        r = text_of(res[0])
        checks.ok(all(n in r for n in ("Alice", "Bob", "Carol")), f"results: {r!r}")
        checks.ok(len(questions(fake)) == 1, f"one question post ({len(questions(fake))})")
        nonces = [m.get("nonce") for ms in fake.messages.values() for m in ms
                  if m["author"]["id"] == fake.BOT_ID and m.get("nonce")]
        checks.ok(len(nonces) == len(set(nonces)), "no message posted twice")
        checks.ok(len(titled(fake, q["id"], "Time's up")) == 1 and len(res) == 1,
                  "one reveal, one results post")
        await finish(bot, fake, checks)


async def op7_round(checks):
    """op 7 while members submit answers: the bot resumes, every answer
    is kept once, none twice."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        bot = await ready_bot(fake, channel_ini())
        said(checks, await command(fake, "post"), "Posted", "/study post")
        q = await wait_question(fake)
        texts = {ALICE: "Quote the F() lookup.", BOB: "Self-reference as 'self'.",
                 CAROL: "SET_NULL instead of CASCADE.", DAVE: "Fix the modesl typo."}
        said(checks, await answer(fake, q, ALICE, texts[ALICE]), "recorded", "before op 7")
        forms = {u: await open_form(fake, q, u) for u in (BOB, CAROL, DAVE)}
        fake.reconnect(fake.connections[-1])
        subs = {u: submit(fake, q, u, forms[u], texts[u]) for u in (BOB, CAROL, DAVE)}
        await fake.wait_resumed(1, timeout=20)
        new = fake.connections[-1]
        checks.ok(new.port_kind == "resume", "resumed at resume_gateway_url")
        print(f"     events replayed on resume: {new.replayed}")
        for u, inter in subs.items():
            cb = await first_callback(fake, inter)
            said(checks, cb, "recorded", f"submitted during op 7 ({u[-3:]})")
        texts[CAROL] = "SET_NULL, since the field is nullable."
        said(checks, await answer(fake, q, CAROL, texts[CAROL]), "updated", "an edit after")
        await asyncio.sleep(0.5)
        checks.ok(all(len(i.callbacks) == 1 for i in subs.values()),
                  "every submission answered once")
        got = await revealed(fake, q, 4)
        await asyncio.sleep(1)
        got = cards(fake, q["id"])
        shown = sorted(text_of(c).split("\n")[1] for c in got)
        checks.ok(shown == sorted(texts.values()), f"four answers, the edit last: {shown}")
        b = await board(fake)
        pts = {}
        for line in b.split("\n"):
            for name in ("Alice", "Bob", "Carol", "Dave"):
                if f"**{name}**" in line:
                    pts[name] = int(line.rsplit(":", 1)[1])
        checks.ok(len(pts) == 4 and len(set(pts.values())) == 1,
                  f"each scored once, alike: {pts}")
        checks.ok(len(bot.find("gateway identify")) == 1, "resumed, never identified again")
        await finish(bot, fake, checks)


async def rest429_reveal(checks):
    """Route and global 429s during the reveal: every reveal and results
    message is posted once, in order, none lost."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        add_members(fake)
        bot = await ready_bot(fake, channel_ini())
        said(checks, await command(fake, "post"), "Posted", "/study post")
        q = await wait_question(fake)
        texts = {ALICE: "Quote the F() lookup.", BOB: "Self-reference as 'self'.",
                 CAROL: "SET_NULL instead of CASCADE."}
        for u, t in texts.items():
            said(checks, await answer(fake, q, u, t), "recorded", f"answer {u[-3:]}")
        # The next messages the bot creates are the reveal's.
        fake.inject_rest(429, times=2, route=CREATE_MESSAGE, retry_after=1.0)
        fake.inject_rest(429, times=1, route=CREATE_MESSAGE, global_=True, retry_after=0.5)
        fake.inject_rest(429, times=1, route=CREATE_MESSAGE, retry_after=0.3, scope="shared")
        got = await revealed(fake, q, 3)
        for user in texts:
            await fake.wait_for(lambda: len(titled(fake, fake.dm_channels.get(user),
                                                   "Please review")) >= 2, 20,
                                what="review requests")
        res = await wait_titled(fake, q["id"], "Results", ROUND + 30)
        await asyncio.sleep(1)
        order = [title_of(m) for m in posts(fake, q["id"])]
        checks.ok(order == ["Time's up: the answers", "Answer A", "Answer B", "Answer C",
                            "Results"], f"in order, once each: {order}")
        shown = sorted(text_of(c).split("\n")[1] for c in got)
        checks.ok(shown == sorted(texts.values()), f"no answer lost: {shown}")
        limited = [r for r in fake.requests_to(*CREATE_MESSAGE) if r.status == 429]
        checks.ok(len(limited) >= 4 and [r for r in limited if r.params["channel_id"] == q["id"]],
                  f"{len(limited)} posts were rate limited, the reveal's among them")
        checks.ok(fake.premature == [], f"never sent early: {fake.premature}")
        for user in texts:
            n = len(titled(fake, fake.dm_channels[user], "Please review"))
            checks.ok(n == 2, f"{user[-3:]}: two review requests ({n})")
        nonces = [m.get("nonce") for ms in fake.messages.values() for m in ms
                  if m["author"]["id"] == fake.BOT_ID and m.get("nonce")]
        checks.ok(len(nonces) == len(set(nonces)), "no message posted twice")
        checks.ok(len(res) == 1, "results once")
        await finish(bot, fake, checks)


def faked(at):
    """The environment that starts the bot's wall clock at `at` (libfaketime),
    running on from there; monotonic clocks stay real, so libuv's timers and
    curl's timeouts behave as always."""
    if not os.path.exists(LIBFAKETIME):
        raise AssertionError(f"{LIBFAKETIME} is missing: install the Debian package faketime "
                             "(scripts/install-deps)")
    # A sanitizer build wants its runtime first among the preloads.
    ldd = subprocess.run(["ldd", BINARY], capture_output=True, text=True).stdout
    asan = [w for w in ldd.split() if "/libasan.so" in w]
    return {"LD_PRELOAD": ":".join(asan[:1] + [LIBFAKETIME]), "FAKETIME": "@" + at,
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_NO_CACHE": "1"}


async def recap(checks):
    """The weekly recap (SPEC §5.7): a round on Sunday, then on Monday at
    the channel's time the week's top 10, streaks and best-rated answers."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        ini = channel_ini(schedule="09:00")
        bot = await ready_bot(fake, ini, env=faked("2024-01-07 12:00:00"))
        checks.ok(bot.lines[0].startswith("ts=2024-01-07T12:00:"),
                  f"the bot's clock says Sunday: {bot.lines[0][:26]}")
        texts = {ALICE: "Lazy self-reference: ForeignKey('self').",
                 BOB: "DecimalField needs max_digits."}
        q, by = await rated_round(fake, texts)
        await wait_titled(fake, q["id"], "Results", ROUND + 30)
        config = bot.config
        await finish(bot, fake, checks)
        checks.ok(not titled(fake, STUDY, "Weekly recap"), "no recap during the week")

        bot = await ready_bot(fake, ini, env=faked("2024-01-08 08:59:50"), config=config)
        checks.ok(bot.lines[0].startswith("ts=2024-01-08T08:59:5"),
                  f"restarted on Monday 08:59:5x: {bot.lines[0][:26]}")
        checks.ok(not titled(fake, STUDY, "Weekly recap"), "no recap before the channel's time")
        got = await wait_titled(fake, STUDY, "Weekly recap", 40)
        m = got[0]
        checks.ok(title_of(m) == "Weekly recap: week of 2024-01-01", f"title {title_of(m)!r}")
        e = m["embeds"][0]
        top = e.get("description", "")
        checks.ok("🥇 **Alice**: 22" in top and "🥈 **Bob**: 17" in top,
                  f"the week's top 10: {top!r}")
        fields = {f["name"]: f["value"] for f in e.get("fields") or []}
        checks.ok("Alice: 1 round" in fields.get("Longest streaks", "")
                  and "Bob: 1 round" in fields.get("Longest streaks", ""),
                  f"streaks: {fields.get('Longest streaks')!r}")
        best = fields.get("Best-rated answers", "").split("\n")
        prompt = text_of(q).split("\n")[1].strip("*")[:30]
        checks.ok(len(best) >= 2 and best[0].startswith("Alice, 5.0/5 on")
                  and best[1].startswith("Bob, 3.0/5 on") and prompt in best[0],
                  f"best-rated answers: {best}")
        checks.ok(not (m.get("flags") or 0) & 64 and m.get("nonce"), "posted for all, with a nonce")
        await wait_question(fake, 2)
        await asyncio.sleep(2)
        checks.ok(len(titled(fake, STUDY, "Weekly recap")) == 1, "one recap")
        await finish(bot, fake, checks)


SCENARIOS = {f.__name__: f for f in (setup, controls, remind, recap, forget_me, export,
                                     restart, op7_round, rest429_reveal)}


if __name__ == "__main__":
    run_scenario(globals(), SCENARIOS, 225)

"""Whole study rounds on Discord: the real studybot binary against the fake
Discord, asserting what members see (SPEC §5, §6, §7), one scenario per
ctest.

    discord_rounds.py STUDYBOT SCENARIO

A round is scheduled a few seconds after the bot starts (UTC HH:MM:SS) with
the shortest windows the config allows, so each scenario runs a round from
the post to the results in about two minutes of wall time. The bank is
tests/data/rounds-bank: one written question (topic "written") and one
multiple-choice question (topic "choice"), so every assertion knows the
question it gets.
"""

import datetime
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import SCORE, Bot, RoundBase, peer, run_scenario  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

BINARY = None  # the studybot under test; run_scenario() sets it

MESSAGE_CONTENT = 1 << 15
EPHEMERAL = 64
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GrOuNd.0123456789abcdefghijklmnopqrstuvwxyzCD"
BANK = os.path.abspath(os.path.join(HERE, "..", "data", "rounds-bank"))

# The shortest windows the config takes (answer_window, review_window >= 60 s).
ANSWER_S = 60
REVIEW_S = 60
LEAD_S = 8  # the post comes this long after the bot starts

WRITTEN_PROMPT = "What does an HTTP 429 response mean, and how should a client react to it?"
WRITTEN_KEY_POINTS = 4
CHOICE_PROMPT = 'Which HTTP status code means "Too Many Requests"?'
CHOICES = ["403", "429", "503", "418"]
RIGHT = 1

ALICE, BOB = FakeDiscord.ALICE_ID, FakeDiscord.BOB_ID
CAROL, DAVE = "1200000000000000203", "1200000000000000204"
USERS = [{"id": ALICE, "username": "alice"}, {"id": BOB, "username": "bob"},
         {"id": CAROL, "username": "carol"}, {"id": DAVE, "username": "dave"}]
# The names Discord shows (the fake's global_name is the username, titled).
NAME = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", DAVE: "Dave"}


# --- reading what members see -------------------------------------------------

def text_of(body):
    """Everything a member reads in a message body: content, embed texts."""
    if not body:
        return ""
    parts = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        parts += [e.get("title") or "", e.get("description") or ""]
        for f in e.get("fields") or []:
            parts += [f.get("name") or "", f.get("value") or ""]
        parts.append((e.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def buttons(msg):
    """[(label, custom_id)] of a message's buttons, row by row."""
    out = []
    for row in msg.get("components") or []:
        for c in row.get("components") or []:
            if c.get("type") == 2:
                out.append((c.get("label"), c.get("custom_id")))
    return out


def button(msg, label):
    for lab, cid in buttons(msg):
        if lab == label:
            return cid
    raise AssertionError(f"no button {label!r} in {buttons(msg)}")


def title(msg):
    embeds = msg.get("embeds") or []
    return (embeds[0].get("title") or "") if embeds else ""


def public(msgs):
    return [m for m in msgs if not (m.get("flags") or 0) & EPHEMERAL]


class Round(RoundBase):
    """One fake Discord, one bot, and the helpers a scenario acts through."""

    def __init__(self, checks, mode="modal", topics="written", privileged=0, remind_s=0):
        self.checks = checks
        self.remind_s = remind_s
        self.mode = mode
        self.topics = topics
        self.privileged = privileged
        self.fake = None
        self.bot = None
        self.post_at = None

    async def __aenter__(self):
        self.fake = FakeDiscord(token=TOKEN, heartbeat_interval=5000, users=USERS,
                                allowed_privileged=self.privileged)
        await self.fake.start()
        self.study = self.fake.STUDY_ID
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.post_at = now + datetime.timedelta(seconds=LEAD_S)
        ini = f"""
[channel "study"]
id = {self.study}
schedule = {self.post_at:%H:%M:%S}
timezone = UTC
topics = {self.topics}
answer_window = {ANSWER_S}s
review_window = {REVIEW_S}s
answer_mode = {self.mode}
remind_before = {self.remind_s}s
"""
        self.bot = Bot(BINARY, self.fake.api_url, TOKEN, ini=ini, questions=BANK)
        await self.bot.start()
        await self.bot.wait_log("gateway ready", timeout=30)
        return self


    # --- the channel ----------------------------------------------------------

    def bot_msgs(self, channel):
        return [m for m in self.fake.messages.get(channel, [])
                if m["author"]["id"] == self.fake.BOT_ID and not m.get("webhook_id")]

    async def question_post(self):
        """Waits for the question in the channel; returns it."""
        def find():
            for m in self.bot_msgs(self.study):
                if title(m).startswith("Question of the day"):
                    return m
            return None
        msg = await self.fake.wait_for(find, LEAD_S + 30, what="the question post")
        seen = time.time()
        self.ok(seen >= self.post_at.timestamp() - 0.5,
                f"the question came on schedule, not before ({seen - self.post_at.timestamp():+.1f}s)")
        self.deadline = self.post_at.timestamp() + ANSWER_S
        self.review_end = self.deadline + REVIEW_S
        return msg

    async def thread_msgs(self, thread, n, what, timeout=ANSWER_S + 30):
        """Waits until the bot has posted n messages in the thread."""
        return await self.fake.wait_for(
            lambda: (lambda v: v if len(v) >= n else None)(public(self.bot_msgs(thread))),
            timeout, what=what)

    # --- members acting -------------------------------------------------------

    async def answer_of(self, inter):
        """The interaction's response as the member sees it: ("modal", data),
        ("message", body) or raises. Checks the 3-s rule and that the body
        Discord accepted it."""
        await self.fake.wait_for(lambda: inter.callbacks, 5, what="an interaction response")
        cb = inter.callbacks[0]
        self.ok(cb["accepted"] and cb["delay"] is not None and cb["delay"] < 3,
                f"{inter.kind} answered within 3 s ({cb['delay']}, status {cb['status']})")
        if cb["type"] == 9:
            return "modal", cb["data"]
        if cb["type"] == 4:
            return "message", cb["data"] or {}
        if cb["type"] in (5, 6):
            # Deferred: what the member sees comes as a follow-up or an edit
            # of the original response.
            tok = inter.token
            def later():
                for r in self.fake.requests:
                    if tok in r.path and r.method in ("POST", "PATCH") and \
                            "/callback" not in r.path and r.status and r.status < 300:
                        return r.json
                return None
            body = await self.fake.wait_for(later, 10, what="the deferred reply")
            if cb["type"] == 5 and cb["data"] and cb["data"].get("flags"):
                body = dict(body, flags=(body.get("flags") or 0) | cb["data"]["flags"])
            return "message", body
        raise AssertionError(f"unexpected response type {cb['type']}")

    async def click(self, msg, custom_id, user, dm=False):
        if dm:
            inter = self.fake.interaction("button", custom_id=custom_id, message=msg,
                                          user_id=user, dm=True, channel_id=msg["channel_id"])
        else:
            inter = self.fake.interaction("button", custom_id=custom_id, message=msg,
                                          user_id=user, channel_id=msg["channel_id"])
        return await self.answer_of(inter)

    async def command(self, sub, user, options=None, channel=None):
        opt = {"type": 1, "name": sub}
        if options:
            opt["options"] = options
        inter = self.fake.interaction("command", name="study", options=[opt],
                                      channel_id=channel or self.study, user_id=user)
        return await self.answer_of(inter)

    async def submit(self, modal, text, user, message=None, dm=False):
        (cid,) = [c["custom_id"] for row in modal["components"] for c in row["components"]]
        where = {"dm": True, "channel_id": message["channel_id"]} if dm else \
            {"channel_id": self.study}
        inter = self.fake.interaction("modal", custom_id=modal["custom_id"], fields={cid: text},
                                      user_id=user, message=message, **where)
        return await self.answer_of(inter)

    def private(self, kind, body, what, says=None):
        """A private message reply that says `says`."""
        text = text_of(body)
        good = kind == "message" and (body.get("flags") or 0) & EPHEMERAL
        if says:
            good = good and re.search(says, text, re.I)
        self.ok(bool(good), f"{what}: a private reply{' saying ' + repr(says) if says else ''} "
                f"({kind}: {text[:160]!r})")
        return text

    async def answer_modal(self, q, user, text, via="button", dm=False):
        """Opens the form (the Answer button of message q, or /study answer),
        submits text; returns the form and the confirmation text."""
        if via == "button":
            kind, modal = await self.click(q, button(q, "Answer"), user, dm=dm)
        else:
            kind, modal = await self.command("answer", user)
        self.ok(kind == "modal", f"{NAME[user]}: {via} opens a form ({kind})")
        if kind != "modal":
            raise AssertionError(f"no form: {modal}")
        kind, body = await self.submit(modal, text, user, message=q if via == "button" else None,
                                       dm=dm)
        return modal, self.private(kind, body, f"{NAME[user]} submits")

    # --- the end --------------------------------------------------------------

    def check_sends(self):
        """Every message the bot created or answered with keeps SPEC §7's
        rules: nonce + enforce_nonce, allowed_mentions parse []."""
        posts = self.fake.requests_to("POST", "/channels/{channel_id}/messages")
        self.ok(posts and all(p.json.get("nonce") and p.json.get("enforce_nonce") is True
                              for p in posts),
                f"all {len(posts)} created messages carry nonce + enforce_nonce")
        bodies = [p.json for p in posts] + [c["data"] for c in self.fake.callbacks
                                             if c["type"] == 4 and c["data"]]
        self.ok(all(b.get("allowed_mentions") == {"parse": []} for b in bodies),
                "allowed_mentions {parse: []} on every message and reply")

    async def finish(self):
        self.check_sends()
        rc = await self.bot.stop()
        self.ok(rc == 0, f"exit code {rc} == 0")
        self.bot.assert_token_hidden()
        self.ok(True, "the token never appears in the logs")
        self.ok(self.fake.violations == [], f"no protocol violations: {self.fake.violations}")
        for rec in self.bot.find("", level="warn"):
            print(f"     (bot warning: {rec.get('msg')})")
        self.ok(not self.bot.find("", level="error"),
                f"no error logged: {[r.get('msg') for r in self.bot.find('', level='error')]}")


def reveal_checks(rd, head, cards, texts):
    """The reveal in the question's thread: model answer, anonymised cards
    with rating buttons 1-5; returns {label: author}."""
    ht = text_of(head)
    rd.ok(title(head).startswith("Time's up"), f"reveal head: {title(head)!r}")
    rd.ok("Model answer" in ht and "Retry-After" in ht, "the reveal shows the model answer")
    rd.ok(f"{len(texts)} answers below, anonymised" in ht, "the reveal counts the answers")
    by_label = {}
    for card in cards:
        m = re.match(r"Answer ([A-Z]+)$", title(card))
        rd.ok(bool(m), f"card titled {title(card)!r}")
        # Mass mentions in member text are defused with a zero-width space.
        body = (card["embeds"][0].get("description") or "").replace("\u200b", "")
        authors = [u for u, t in texts.items() if t == body]
        rd.ok(len(authors) == 1, f"card {title(card)} shows one member's answer text")
        if m and authors:
            by_label[m.group(1)] = authors[0]
        labels = [lab for lab, _ in buttons(card)]
        rd.ok(labels == ["1", "2", "3", "4", "5"], f"rating buttons 1-5 ({labels})")
        rd.ok(any(f.get("name") == "Key points covered" for f in card["embeds"][0].get("fields", [])),
              "the card shows key-point coverage")
    blob = json.dumps([head] + cards)
    leaks = [x for u in texts for x in (u, NAME[u], NAME[u].lower()) if x in blob]
    rd.ok(not leaks, f"the reveal names nobody ({leaks})")
    return by_label


# --- scenarios ---------------------------------------------------------------

async def modal(checks):
    """A whole round with private forms: post, answers (edit, /study answer,
    late), forged and stale buttons, reveal in a thread, review DMs, ratings,
    results, leaderboard and stats."""
    async with Round(checks, mode="modal", remind_s=30) as rd:
        fake = rd.fake
        kind, body = await rd.command("remind", DAVE, [{"type": 3, "name": "state", "value": "on"}])
        rd.private(kind, body, "/study remind on", "Reminders are on")
        q = await rd.question_post()
        t = title(q)
        rd.ok(t == "Question of the day · Written · easy", f"topic and difficulty: {t!r}")
        qt = text_of(q)
        rd.ok(WRITTEN_PROMPT in qt, "the post shows the question")
        fields = {f["name"]: f["value"] for f in q["embeds"][0].get("fields", [])}
        hm = rd.post_at + datetime.timedelta(seconds=ANSWER_S)
        rd.ok(f"{hm:%H:%M} (UTC)" in fields.get("Answer by", ""),
              f"the deadline is shown: {fields.get('Answer by')!r}")
        labels = [lab for lab, _ in buttons(q)]
        rd.ok(labels == ["Answer", "Hint (-3 points)"], f"buttons Answer + Hint only ({labels})")

        # Alice answers, then edits: the edit replaces the first text.
        modal_a, said = await rd.answer_modal(q, ALICE, "A first draft.")
        rd.ok("recorded" in said, "the first submit is recorded")
        inp = modal_a["components"][0]["components"][0]
        rd.ok(inp["type"] == 4 and inp["style"] == 2 and inp["max_length"] == 4000,
              f"a paragraph input of up to 4000 characters ({inp.get('style')}, "
              f"{inp.get('max_length')})")
        # Bob's answer is as long as a Discord text input takes, and pings
        # the channel: the reveal must carry it whole and ping nobody.
        bob = "The server is overloaded, so try again a bit later. @everyone look. "
        bob = (bob + "Slow down. " * 400)[:4000]
        texts = {
            ALICE: "429 means Too Many Requests: wait for Retry-After, then back off with jitter.",
            BOB: bob,
            CAROL: "Too Many Requests. Read retry_after from the body and send it again.",
        }
        modal_a2, said = await rd.answer_modal(q, ALICE, texts[ALICE])
        rd.ok("updated" in said, f"the second submit replaces the first ({said[:60]!r})")
        rd.ok(modal_a2["components"][0]["components"][0].get("value") == "A first draft.",
              "the edit form is prefilled with the recorded answer")
        # Past the text input's cap (a client Discord would stop): refused,
        # the recorded answer stands.
        kind, body = await rd.submit(modal_a2, "x" * 4001, ALICE, message=q)
        rd.private(kind, body, "a 4001-character answer", "limit here is 4000")
        # /study answer opens the same form.
        modal_b, said = await rd.answer_modal(q, BOB, texts[BOB], via="command")
        rd.ok(modal_b["custom_id"] == modal_a["custom_id"], "/study answer opens the same form")
        await rd.answer_modal(q, CAROL, texts[CAROL])

        # Forged custom ids: a clear private refusal, the bot carries on.
        kind, body = await rd.click(q, "sb1:a:987654321", DAVE)
        rd.private(kind, body, "a forged round id", "no longer exists")
        kind, body = await rd.click(q, "not-a-studybot-button", DAVE)
        rd.private(kind, body, "a forged custom id", "not one of mine")
        inter = fake.interaction("modal", custom_id="sb1:fa:987654321", fields={"answer": "x"},
                                 user_id=DAVE, channel_id=rd.study)
        kind, body = await rd.answer_of(inter)
        rd.private(kind, body, "a forged form", "no longer exists")
        inter = fake.interaction("command", name="quiz", user_id=DAVE, channel_id=rd.study)
        kind, body = await rd.answer_of(inter)
        rd.private(kind, body, "a command that is not /study", "older version")

        # Dave asked for reminders and has not answered: a DM before the deadline.
        def reminder():
            ch = fake.dm_channels.get(DAVE)
            got = [m for m in rd.bot_msgs(ch) if title(m) == "Reminder"] if ch else []
            return got[0] if got else None
        nudge = await fake.wait_for(reminder, ANSWER_S + 10, what="the reminder DM")
        left = rd.deadline - time.time()
        rd.ok(0 < left <= 30.5, f"the reminder comes 30 s before the deadline ({left:.1f}s left)")
        rd.ok(WRITTEN_PROMPT in text_of(nudge) and [lab for lab, _ in buttons(nudge)] == ["Answer"],
              "the reminder names the question and has an Answer button")
        others = [u for u in (ALICE, BOB, CAROL) if u in fake.dm_channels]
        rd.ok(not others, f"members who answered get no reminder ({others})")

        # The reveal: in a thread on the question message.
        qid = q["id"]
        msgs = await rd.thread_msgs(qid, 4, "the reveal in the question's thread")
        threads = fake.requests_to("POST", "/channels/{channel_id}/messages/{message_id}/threads")
        rd.ok([(r.params["message_id"], r.status) for r in threads] == [(qid, 201)],
              f"the thread is started once, on the question message ({len(threads)} requests)")
        rd.ok(time.time() >= rd.deadline - 0.5, "the reveal comes at the deadline, not before")
        by_label = reveal_checks(rd, msgs[0], msgs[1:4], texts)
        label_of = {u: lab for lab, u in by_label.items()}
        card_of = {by_label[title(c)[len("Answer "):]]: c for c in msgs[1:4]
                   if title(c)[len("Answer "):] in by_label}

        # A late answer, from the reminder's button in the DM: kept, marked late.
        _, said = await rd.answer_modal(nudge, DAVE, "Late: it means slow down.", dm=True)
        rd.ok("marked late" in said, f"a late answer is kept and marked late ({said[:80]!r})")
        kind, body = await rd.click(q, button(q, "Answer"), ALICE)
        rd.private(kind, body, "an on-time answer after the deadline", "stands as it was")

        # Review assignments: a DM channel per answerer, up to 2 answers each.
        await fake.wait_for(lambda: all(fake.dm_channels.get(u) and
                                        len(rd.bot_msgs(fake.dm_channels[u])) >= 2
                                        for u in texts), 20, what="review DMs")
        opened = {r.json.get("recipient_id") for r in fake.requests_to("POST", "/users/@me/channels")}
        rd.ok(set(texts) <= opened, "a DM channel is opened per answerer")
        for u in texts:
            dms = rd.bot_msgs(fake.dm_channels[u])
            titles = [title(m) for m in dms]
            rd.ok(len(dms) == 2 and all(t.startswith("Please review: Answer ") for t in titles),
                  f"{NAME[u]} is handed 2 answers to review ({titles})")
            own = f"Please review: Answer {label_of.get(u)}"
            rd.ok(own not in titles, f"{NAME[u]} is not handed their own answer")
            bodies = [m["embeds"][0].get("description", "").replace("\u200b", "") for m in dms]
            rd.ok(all(b in texts.values() and b != texts[u] for b in bodies),
                  "the review DMs carry the answers whole")
            rd.ok(all([lab for lab, _ in buttons(m)] == ["1", "2", "3", "4", "5"] for m in dms),
                  "each review DM carries rating buttons")

        # Ratings.
        async def rate(card, who, stars, says, dm=None):
            msg = dm or card
            kind, body = await rd.click(msg, button(msg, str(stars)), who, dm=bool(dm))
            return rd.private(kind, body, f"{NAME[who]} rates {title(msg)} {stars}/5", says)

        await rate(card_of[BOB], ALICE, 2, "recorded")
        await rate(card_of[ALICE], ALICE, 5, "can't rate your own")
        await rate(card_of[BOB], ALICE, 3, "changed")
        await rate(card_of[CAROL], ALICE, 4, "recorded")
        await rate(card_of[ALICE], BOB, 5, "recorded")
        await rate(card_of[CAROL], BOB, 3, "recorded")
        # Carol rates from her review DMs.
        for dm in rd.bot_msgs(fake.dm_channels[CAROL]):
            lab = title(dm).rsplit(" ", 1)[-1]
            stars = {ALICE: 4, BOB: 2}[by_label[lab]]
            await rate(None, CAROL, stars, "recorded", dm=dm)
        await rate(card_of[ALICE], DAVE, 5, "recorded")
        ratings = {ALICE: [5, 4, 5], BOB: [3, 2], CAROL: [4, 3]}
        reviews = {ALICE: 2, BOB: 2, CAROL: 2, DAVE: 1}

        # Results, in the thread, when the review window closes.
        msgs = await rd.thread_msgs(qid, 5, "the results", timeout=REVIEW_S + 30)
        res = msgs[4]
        rt = text_of(res)
        rd.ok(title(res) == "Results", f"results posted ({title(res)!r})")
        rd.ok(time.time() >= rd.review_end - 0.5, "results come when the review window closes")
        for u, r in ratings.items():
            avg = sum(r) / len(r)
            line = f"Answer {label_of[u]}**: {NAME[u]} · {avg:.1f}/5 from {len(r)} ratings"
            rd.ok(line in rt, f"results line {line!r}")
        rd.ok(re.search(r"🏆 \*\*Answer " + label_of[ALICE] + r"\*\*: Alice", rt),
              "the best answer is highlighted")
        rd.ok("Late answer**: Dave" in rt, "the late answer is listed as late")

        # Stale buttons of the finished round: clear private refusals.
        await rate(card_of[BOB], CAROL, 5, "closed")
        kind, body = await rd.click(q, button(q, "Hint (-3 points)"), BOB)
        rd.private(kind, body, "a hint after the round", "over")

        # Scores per SPEC §3 defaults.
        kp = {ALICE: 4, BOB: 0, CAROL: 2}
        want = {}
        for u in texts:
            pts = SCORE["answer"] + SCORE["streak"] * 1
            pts += SCORE["key_points"] if kp[u] * 2 >= WRITTEN_KEY_POINTS else 0
            pts += peer(sum(ratings[u]) / len(ratings[u]))
            pts += min(reviews[u], SCORE["review_cap"]) * SCORE["review"]
            want[u] = pts
        want[DAVE] = reviews[DAVE] * SCORE["review"]
        kind, body = await rd.command("leaderboard", DAVE,
                                      [{"type": 3, "name": "period", "value": "all"}])
        lb = text_of(body)
        rd.ok(kind == "message" and not (body.get("flags") or 0) & EPHEMERAL,
              "the leaderboard is a public reply")
        order = sorted(want, key=lambda u: -want[u])
        got = re.findall(r"\*\*(\w+)\*\*: (-?\d+)", lb)
        rd.ok(got == [(NAME[u], str(want[u])) for u in order],
              f"leaderboard {got} == {[(NAME[u], want[u]) for u in order]}")
        kind, body = await rd.command("stats", ALICE)
        st = rd.private(kind, body, "/study stats")
        rd.ok(f"{want[ALICE]} points" in st and "1 round answered on time" in st,
              f"stats total and rounds ({st[:80]!r})")
        for reason, pts, rows in (("answer", 10, 1), ("streak", 1, 1), ("key_points", 5, 1),
                                  ("peer", peer(14 / 3), 1), ("review", 2, 2)):
            rd.ok(f"{reason}: +{pts} ({rows})" in st, f"stats: {reason} +{pts} ({rows})")
        await rd.finish()


async def thread(checks):
    """answer_mode = thread: replies in the question's thread are the answers
    (last one wins), then the same reveal."""
    async with Round(checks, mode="thread", privileged=MESSAGE_CONTENT) as rd:
        fake = rd.fake
        intents = fake.connections[-1].identify["intents"]
        rd.ok(intents & (1 << 9) and intents & MESSAGE_CONTENT,
              f"asks for GUILD_MESSAGES + MESSAGE_CONTENT ({intents})")
        q = await rd.question_post()
        qid = q["id"]
        rd.ok("Reply in this message's thread" in text_of(q), "the post says where to answer")
        kind, body = await rd.click(q, button(q, "Answer"), ALICE)
        rd.private(kind, body, "Answer in thread mode", "replies in the question's thread")
        # The thread members reply in: the question message's thread.
        await fake.wait_for(lambda: qid in fake.channels, 15,
                            what="a thread on the question message")
        rd.ok(fake.channels[qid]["parent_id"] == rd.study, "the thread hangs off the question")
        texts = {
            ALICE: "Too Many Requests: honour Retry-After and back off with jitter.",
            BOB: "Slow down and retry_after the time it says.",
        }
        fake.message_create(qid, "My first try, not final.", author=ALICE)
        fake.message_create(qid, texts[ALICE], author=ALICE)
        fake.message_create(qid, texts[BOB], author=BOB)
        ev = fake.message_create(rd.study, "chatter in the channel is no answer", author=CAROL)
        await rd.bot.wait_log("gateway event", id=ev["id"])
        msgs = await rd.thread_msgs(qid, 3, "the reveal in the thread")
        by_label = reveal_checks(rd, msgs[0], msgs[1:3], texts)
        rd.ok(set(by_label.values()) == {ALICE, BOB},
              "the last reply of each member is the answer; channel chatter is not")
        fake.message_create(qid, "Late reply after the reveal.", author=CAROL)
        label_of = {u: lab for lab, u in by_label.items()}
        card = {by_label[title(c).split()[-1]]: c for c in msgs[1:3]}
        kind, body = await rd.click(card[ALICE], button(card[ALICE], "4"), BOB)
        rd.private(kind, body, "Bob rates Alice", "recorded")
        kind, body = await rd.click(card[BOB], button(card[BOB], "5"), ALICE)
        rd.private(kind, body, "Alice rates Bob", "recorded")
        msgs = await rd.thread_msgs(qid, 4, "the results", timeout=REVIEW_S + 30)
        rt = text_of(msgs[3])
        rd.ok(title(msgs[3]) == "Results", "results posted in the thread")
        for u, stars in ((ALICE, 4), (BOB, 5)):
            line = f"Answer {label_of[u]}**: {NAME[u]} · {stars:.1f}/5 from 1 rating"
            rd.ok(line in rt, f"results line {line!r}")
        rd.ok("Late answer**: Carol" in rt, "a reply after the deadline is a late answer")
        threads = fake.requests_to("POST", "/channels/{channel_id}/messages/{message_id}/threads")
        rd.ok([(r.params["message_id"], r.status) for r in threads] == [(qid, 201)],
              f"the thread is started once, with the question ({len(threads)} requests)")
        await rd.finish()


async def mcq(checks):
    """A multiple-choice round: one button per choice, private picks that
    can change until the deadline, the reveal shows the right choice and
    the votes, mcq points for the right pick."""
    async with Round(checks, mode="modal", topics="choice") as rd:
        q = await rd.question_post()
        qt = text_of(q)
        rd.ok(CHOICE_PROMPT in qt and all(f"**{chr(65 + i)}.** {c}" in qt
                                          for i, c in enumerate(CHOICES)),
              "the post lists the choices")
        labels = [lab for lab, _ in buttons(q)]
        rd.ok(labels == ["A", "B", "C", "D", "Hint (-3 points)"],
              f"one button per choice, and Hint ({labels})")
        kind, body = await rd.command("answer", ALICE)
        rd.private(kind, body, "/study answer on a multiple-choice round", "multiple choice")
        picks = {ALICE: 0, BOB: 1, CAROL: 1}
        for u, i in picks.items():
            kind, body = await rd.click(q, button(q, "ABCD"[i]), u)
            rd.private(kind, body, f"{NAME[u]} picks {'ABCD'[i]}", f"You picked \\*\\*{'ABCD'[i]}")
        kind, body = await rd.click(q, button(q, "B"), ALICE)
        rd.private(kind, body, "Alice changes her pick", "changed your pick to \\*\\*B")
        picks[ALICE] = 1
        kind, body = await rd.click(q, button(q, "C"), DAVE)
        rd.private(kind, body, "Dave picks C", "picked")
        picks[DAVE] = 2
        msgs = await rd.thread_msgs(q["id"], 1, "the reveal")
        rv = text_of(msgs[0])
        rd.ok("The right answer is **B.** 429" in rv, "the reveal shows the right choice")
        rd.ok("**B.** 429: 3 votes (75%) ✓" in rv and "**C.** 503: 1 vote (25%)" in rv
              and "**A.** 403: 0 votes (0%)" in rv, "the reveal shows how the channel voted")
        rd.ok("3 of 4 got it right" in rv, "and how many got it right")
        rd.ok(not buttons(msgs[0]), "no rating buttons on a multiple-choice reveal")
        kind, body = await rd.click(q, button(q, "A"), BOB)
        rd.private(kind, body, "a pick after the deadline", "closed")
        kind, body = await rd.command("leaderboard", BOB,
                                      [{"type": 3, "name": "period", "value": "all"}])
        got = dict((n, int(p)) for n, p in re.findall(r"\*\*(\w+)\*\*: (-?\d+)", text_of(body)))
        right = SCORE["mcq"] + SCORE["streak"]
        want = {NAME[u]: right if i == RIGHT else SCORE["streak"] for u, i in picks.items()}
        rd.ok(got == want, f"mcq points: {got} == {want}")
        await rd.finish()


async def hints(checks):
    """The Hint button: the first hint privately, then the second, then no
    more; each costs the hint penalty in the ledger."""
    async with Round(checks, mode="modal") as rd:
        q = await rd.question_post()
        hint = button(q, "Hint (-3 points)")
        kind, body = await rd.click(q, hint, CAROL)
        h1 = rd.private(kind, body, "first hint", "Hint 1 of 2")
        rd.ok("Look for a header" in h1 and "Hint 2" not in h1 and "cost 3 points" in h1,
              "only the first hint, and its cost")
        kind, body = await rd.click(q, hint, CAROL)
        h2 = rd.private(kind, body, "second hint", "Hint 2 of 2")
        rd.ok("every client retries" in h2, "the second hint")
        kind, body = await rd.click(q, hint, CAROL)
        rd.private(kind, body, "a third click", "last hint")
        kind, body = await rd.click(q, hint, BOB)
        rd.private(kind, body, "Bob's first hint", "Hint 1 of 2")
        kind, body = await rd.command("leaderboard", ALICE,
                                      [{"type": 3, "name": "period", "value": "all"}])
        got = dict((n, int(p)) for n, p in re.findall(r"\*\*(\w+)\*\*: (-?\d+)", text_of(body)))
        want = {"Bob": SCORE["hint"], "Carol": 2 * SCORE["hint"]}
        rd.ok(got == want, f"the leaderboard shows the hint penalty: {got} == {want}")
        kind, body = await rd.command("stats", CAROL)
        st = rd.private(kind, body, "Carol's stats")
        rd.ok(f"hint: {2 * SCORE['hint']} (2)" in st, f"stats: hint {2 * SCORE['hint']} (2)")

        # The bot may not start threads here (Missing Permissions): the
        # reveal still reaches the channel, as replies to the question.
        await rd.answer_modal(q, CAROL, "Too Many Requests: wait for Retry-After.")
        route = ("POST", "/channels/{channel_id}/messages/{message_id}/threads")
        rd.fake.inject_rest(403, route=route, body={"message": "Missing Permissions", "code": 50013})
        def replies():
            got = [m for m in rd.bot_msgs(rd.study)
                   if (m.get("message_reference") or {}).get("message_id") == q["id"]]
            return got if len(got) >= 2 else None
        got = await rd.fake.wait_for(replies, ANSWER_S + 30, what="the reveal in the channel")
        rd.ok(title(got[0]).startswith("Time's up") and title(got[1]) == "Answer A",
              f"the reveal comes in the channel, in order ({[title(m) for m in got]})")
        tried = rd.fake.requests_to(*route)
        rd.ok(len(tried) == 1, f"one refused thread start, not one per post ({len(tried)})")
        warn = rd.bot.find("cannot start a thread")
        rd.ok(warn and "Create Public Threads" in warn[0].get("fix", ""),
              "the log says which permission is missing")
        await rd.finish()


SCENARIOS = {f.__name__: f for f in (modal, thread, mcq, hints)}


if __name__ == "__main__":
    run_scenario(globals(), SCENARIOS, 225)

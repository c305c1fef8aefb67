"""What Slack scenarios share: one fake Slack, one studybot on it, and how a
member sees and does things there (SPEC §5, §6, §7).

A round is scheduled a few seconds after the bot starts (UTC HH:MM:SS) with
the shortest windows the config allows. The bank is tests/data/rounds-bank:
one written question (topic "written") and one multiple-choice question
(topic "choice").
"""

import datetime
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import SCORE, Bot, RoundBase  # noqa: E402,F401  (SCORE: for the scenarios)
from fake_slack import FakeSlack  # noqa: E402

APP_TOKEN = "xapp-1-A07QX3M5PLN-4242424242-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
BOT_TOKEN = "xoxb-4242424242-9876543210-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"
BANK = os.path.abspath(os.path.join(HERE, "..", "data", "rounds-bank"))

ANSWER_S = 60
REVIEW_S = 60
LEAD_S = 8

WRITTEN_PROMPT = "What does an HTTP 429 response mean, and how should a client react to it?"
WRITTEN_KEY_POINTS = 4
CHOICE_PROMPT = 'Which HTTP status code means "Too Many Requests"?'
CHOICES = ["403", "429", "503", "418"]
RIGHT = 1

ALICE, BOB, CAROL, DAVE, ADMIN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ADMIN"
USERS = [
    {"id": ALICE, "name": "alice", "real_name": "Alice"},
    {"id": BOB, "name": "bob", "real_name": "Bob"},
    {"id": CAROL, "name": "carol", "real_name": "Carol"},
    {"id": DAVE, "name": "dave", "real_name": "Dave"},
    {"id": ADMIN, "name": "ada", "real_name": "Ada Admin", "is_admin": True},
]
# The names the bot learns: Slack's payloads carry the member's handle.
NAME = {u["id"]: u["name"] for u in USERS}


# --- reading what members see ------------------------------------------------

def _texts(obj, out):
    """Every text object's text inside a block structure, in order."""
    if isinstance(obj, dict):
        if obj.get("type") in ("plain_text", "mrkdwn") and isinstance(obj.get("text"), str):
            out.append(obj["text"])
            return
        for k, v in obj.items():
            if k not in ("action_id", "block_id", "value"):
                _texts(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _texts(v, out)


def blocks_of(msg):
    if not msg:
        return []
    if isinstance(msg.get("view"), dict):
        return msg["view"].get("blocks") or []
    return msg.get("blocks") or []


def text_of(msg, with_buttons=False):
    """What a member reads in a message, ack payload or view: its blocks'
    texts (button labels only when asked), or the plain text without
    blocks."""
    if not msg:
        return ""
    blocks = blocks_of(msg)
    if not blocks:
        return msg.get("text") or ""
    out = []
    for b in blocks:
        if b.get("type") == "actions" and not with_buttons:
            continue
        _texts(b, out)
    return "\n".join(out)


def buttons(msg):
    """[(label, action_id)] of a message's buttons."""
    out = []
    for b in blocks_of(msg):
        els = b.get("elements") if b.get("type") == "actions" else \
            [b["accessory"]] if b.get("accessory") else []
        for e in els or []:
            if e.get("type") == "button":
                out.append((e["text"]["text"], e["action_id"]))
    return out


def button(msg, label):
    for lab, aid in buttons(msg):
        if lab == label:
            return aid
    raise AssertionError(f"no button {label!r} in {buttons(msg)}")


def title(msg):
    for b in blocks_of(msg):
        if b.get("type") == "header":
            return b["text"]["text"]
    return ""


class Round(RoundBase):
    """One fake Slack, one bot, and the helpers a scenario acts through."""

    def __init__(self, checks, mode="modal", topics="written", remind_s=0, connections=1,
                 admins="", lead_s=LEAD_S, fake_opts=None, schedule=True):
        self.checks = checks
        self.mode = mode
        self.topics = topics
        self.remind_s = remind_s
        self.connections = connections
        self.admins = admins
        self.lead_s = lead_s
        self.fake_opts = fake_opts or {}
        self.schedule = schedule
        self.fake = None
        self.bot = None
        self.post_at = None

    def config(self):
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.post_at = now + datetime.timedelta(seconds=self.lead_s)
        if not self.schedule:
            return ""
        return f"""
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

    def new_bot(self):
        return Bot(BINARY, self.fake.api_base, BOT_TOKEN, ini=self.config(),
                   questions=BANK, slack={"app_token": APP_TOKEN,
                                          "connections": self.connections,
                                          "admins": self.admins})

    async def __aenter__(self):
        self.fake = FakeSlack(app_token=APP_TOKEN, bot_token=BOT_TOKEN, users=USERS,
                              **self.fake_opts)
        await self.fake.start()
        self.study = self.fake.STUDY_ID
        self.bot = self.new_bot()
        await self.bot.start()
        await self.bot.wait_log("Socket Mode ready", timeout=30)
        return self


    # --- the channel ------------------------------------------------------------

    def top(self, channel=None):
        """The bot's top-level messages in a channel."""
        return [m for m in self.fake.messages(channel or self.study)
                if m.get("bot_id") and not m.get("thread_ts")]

    def in_thread(self, ts, channel=None):
        return [m for m in self.fake.messages(channel or self.study)
                if m.get("bot_id") and m.get("thread_ts") == ts]

    async def question_post(self):
        """Waits for the question in the channel; returns it."""
        def find():
            for m in self.top():
                if title(m).startswith("Question of the day"):
                    return m
            return None
        msg = await self.fake.wait_for(find, self.lead_s + 30, what="the question post")
        seen = time.time()
        self.ok(seen >= self.post_at.timestamp() - 0.5,
                f"the question came on schedule, not before ({seen - self.post_at.timestamp():+.1f}s)")
        self.deadline = self.post_at.timestamp() + ANSWER_S
        self.review_end = self.deadline + REVIEW_S
        return msg

    async def thread_msgs(self, ts, n, what, timeout=ANSWER_S + 30):
        return await self.fake.wait_for(
            lambda: (lambda v: v if len(v) >= n else None)(self.in_thread(ts)), timeout, what=what)

    # --- members acting -----------------------------------------------------------

    async def acked(self, env, what):
        await self.fake.wait_acked(env, 5)
        delay = env.acked_at - env.sent_at[0] if env.sent_at else None
        self.ok(delay is not None and delay < 3, f"{what}: acked within 3 s ({delay})")
        return env

    async def command(self, text, user, channel=None):
        """/study TEXT: returns the ack's payload (what the member sees)."""
        env = self.fake.slash(text, user=user, channel=channel or self.study)
        await self.acked(env, f"/study {text}")
        return env.ack_payload or {}

    async def outcome(self, env, user, what, n_eph, n_dm, n_views):
        """After a click or a submit: the form it opened, or the private
        reply (ephemeral, or a DM) the member got."""
        fake = self.fake

        def got():
            views = [v for v in fake.views[n_views:] if v["user"] == user]
            if views:
                return ("modal", views[-1])
            eph = fake.ephemerals(user=user)[n_eph:]
            if eph:
                return ("private", eph[-1])
            dms = fake.dms(user)[n_dm:]
            if dms:
                return ("dm", dms[-1])
            return None
        return await fake.wait_for(got, 10, what=f"what {what} shows")

    def marks(self, user):
        return (len(self.fake.ephemerals(user=user)), len(self.fake.dms(user)), len(self.fake.views))

    async def click(self, msg, action_id, user):
        n = self.marks(user)
        env = self.fake.click(user, msg, action_id)
        await self.acked(env, f"click {action_id}")
        return await self.outcome(env, user, f"the click on {action_id}", *n)

    async def submit(self, view, values, user):
        """Submits a form. Returns ("errors", {block: text}) when the form
        stays open with errors, else what the member is told."""
        n = self.marks(user)
        if isinstance(values, str):
            values = {"answer": values}
        env = self.fake.submit(user, view, values)
        await self.acked(env, "form submit")
        p = env.ack_payload or {}
        if p.get("response_action") == "errors":
            return "errors", p.get("errors")
        return await self.outcome(env, user, "the submit", *n)

    def private(self, kind, body, what, says=None):
        text = text_of(body)
        good = kind in ("private", "dm")
        if says:
            good = good and re.search(says, text, re.I)
        self.ok(bool(good), f"{what}: a private reply{' saying ' + repr(says) if says else ''} "
                f"({kind}: {text[:160]!r})")
        return text

    async def answer_modal(self, q, user, text, via="button"):
        if via == "button":
            kind, view = await self.click(q, button(q, "Answer"), user)
        else:
            n = self.marks(user)
            env = self.fake.slash("answer", user=user, channel=self.study)
            await self.acked(env, "/study answer")
            kind, view = await self.outcome(env, user, "/study answer", *n)
        self.ok(kind == "modal", f"{NAME[user]}: {via} opens a form ({kind})")
        if kind != "modal":
            raise AssertionError(f"no form: {view}")
        kind, body = await self.submit(view, text, user)
        return view, self.private(kind, body, f"{NAME[user]} submits")

    # --- the end ----------------------------------------------------------------

    async def finish(self, expect_errors=False):
        rc = await self.bot.stop()
        self.ok(rc == 0, f"exit code {rc} == 0")
        self.bot.assert_token_hidden()
        self.ok(True, "neither token appears in the logs")
        self.ok(self.fake.violations == [], f"no protocol violations: {self.fake.violations}")
        late = [e.id for e in self.fake.envelopes if e.timed_out or e.deliveries > 1]
        self.ok(not late, f"every envelope acked in time, none re-delivered ({late})")
        for rec in self.bot.find("", level="warn"):
            print(f"     (bot warning: {rec.get('msg')})")
        if not expect_errors:
            errs = [r.get("msg") for r in self.bot.find("", level="error")]
            self.ok(not errs, f"no error logged: {errs}")


BINARY = None  # the studybot under test: run_scenario(slackround.__dict__, …) sets it

"""Admin commands, reminders, forget-me, export and durability on Slack: the
real studybot binary against the fake Slack, asserting what members see
(SPEC §5, §6, §7), one scenario per ctest.

    slack_admin.py STUDYBOT SCENARIO

Admins are workspace admins (users.info is_admin) and the user ids listed in
[slack] admins. Rounds are real: answer and review windows are the config's
minimum (60 s each), so a scenario that runs a whole round takes a little
over two minutes.
"""

import csv
import datetime
import io
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slackround  # noqa: E402
from botproc import Bot, run_scenario  # noqa: E402
from slackround import (ADMIN, ALICE, ANSWER_S, APP_TOKEN, BANK, BOB, BOT_TOKEN, CAROL,  # noqa: E402
                        DAVE, NAME, REVIEW_S, WRITTEN_PROMPT, Round, button, buttons, text_of,
                        title)

GENERAL = "C0GENERAL"
SETUP = "<#C0GENERAL|general> 09:30 Europe/Berlin python,django 1-3 thread"


class AdminRound(Round):
    """A Round whose bot may use another question bank (None: the
    repository's questions/) and can be restarted on the same database."""

    def __init__(self, checks, questions=BANK, **kw):
        super().__init__(checks, **kw)
        self.questions = questions

    def _bot(self, ini):
        return Bot(slackround.BINARY, self.fake.api_base, BOT_TOKEN, ini=ini,
                   questions=self.questions, slack={"app_token": APP_TOKEN,
                                                    "connections": self.connections,
                                                    "admins": self.admins})

    def new_bot(self):
        return self._bot(self.config())

    async def restart(self, crash=False):
        """Stops the bot (SIGTERM, or SIGKILL when crash) and starts a new
        one on the same config file, hence the same database."""
        old = self.bot
        if crash:
            old.kill()
            await old.proc.wait()
        else:
            rc = await old.stop()
            self.ok(rc == 0, f"the first bot exits with 0 ({rc})")
        await old._reader
        old.assert_token_hidden()
        bot = self._bot("")
        bot.config = old.config  # the same file: the same database
        self.bot = bot
        await bot.start()
        await bot.wait_log("Socket Mode ready", timeout=30)
        return bot


def utc_in(seconds):
    """HH:MM:SS (UTC) `seconds` from now, and its timestamp."""
    t = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + \
        datetime.timedelta(seconds=seconds)
    return t.strftime("%H:%M:%S"), t.timestamp()


def private_ack(said):
    return said.get("response_type", "ephemeral") == "ephemeral"


def says(rd, said, needle, what):
    t = text_of(said)
    rd.ok(private_ack(said) and needle in t, f"{what}: privately {needle!r} ({t[:110]!r})")
    return t


def refused(rd, said, what):
    t = text_of(said)
    rd.ok(private_ack(said) and "Only admins" in t and "workspace admins" in t,
          f"{what}: refused privately, saying why ({t[:90]!r})")


def questions(rd, channel=None):
    return [m for m in rd.top(channel) if title(m).startswith("Question of the day")]


def cards(rd, ts):
    return [m for m in rd.in_thread(ts) if title(m).startswith("Answer ")]


async def revealed(rd, q, n, timeout=ANSWER_S + 40):
    """The reveal head and n answer cards in the question's thread."""
    await rd.fake.wait_for(
        lambda: any(title(m).startswith("Time's up") for m in rd.in_thread(q["ts"])),
        timeout, what="the reveal")
    return await rd.fake.wait_for(
        lambda: (lambda c: c if len(c) >= n else None)(cards(rd, q["ts"])),
        20, what=f"{n} answer cards")


def card_of(got, texts):
    """{member: card} by each member's answer text."""
    by = {}
    for c in got:
        body = re.sub(r"\s+", "", text_of(c))
        for u, t in texts.items():
            esc = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if re.sub(r"\s+", "", esc) in body:
                by[u] = c
    return by


async def rated_round(rd, texts):
    """The scheduled round: each member of texts answers, then, after the
    reveal, rates every other answer (5 for the first member's, 3 for the
    others). Returns the question and the cards by member."""
    q = await rd.question_post()
    for user, text in texts.items():
        _, said = await rd.answer_modal(q, user, text)
        if "recorded" not in said:
            raise AssertionError(f"{NAME[user]}'s answer was not confirmed: {said!r}")
    got = await revealed(rd, q, len(texts))
    by = card_of(got, texts)
    if len(by) != len(texts):
        raise AssertionError(f"answer cards {[text_of(c) for c in got]} for {texts}")
    first = next(iter(texts))
    for rater in texts:
        for author, card in by.items():
            if author != rater:
                stars = 5 if author == first else 3
                kind, body = await rd.click(card, button(card, str(stars)), rater)
                rd.private(kind, body, f"{NAME[rater]} rates {NAME[author]} {stars}/5", "recorded")
    return q, by


async def board(rd, user=CAROL):
    """The all-time leaderboard: {name: points}."""
    lb = await rd.command("leaderboard all", user)
    return {n: int(p) for n, p in re.findall(r"\*(\w+)\*: (-?\d+)", text_of(lb))}


# --- scenarios ----------------------------------------------------------------------

async def setup(checks):
    """/study setup from chat: members are refused, saying why; a workspace
    admin (users.info) and a user listed in [slack] admins set channels up;
    malformed input gets the usage; the setup survives a restart and its
    round comes at the time set."""
    async with AdminRound(checks, schedule=False, admins=DAVE, questions=None) as rd:
        refused(rd, await rd.command("setup " + SETUP, BOB, channel=GENERAL),
                "/study setup by a member")
        says(rd, await rd.command("leaderboard", BOB, channel=GENERAL), "no study rounds yet",
             "the refused setup configured nothing")

        for bad in ("setup", "setup general 09:30 Europe/Berlin",
                    "setup <#C0GENERAL|general> 09:30"):
            t = says(rd, await rd.command(bad, ADMIN, channel=GENERAL), "Use /study setup #channel",
                     f"/study {bad}: the usage")
            rd.ok("Europe/Berlin" in t and "Set up" not in t, "the usage shows an example")
        says(rd, await rd.command("setup <#C0GENERAL|general> 09:30 Mars/Olympus", ADMIN,
                                  channel=GENERAL), "not a time zone I know",
             "an unknown time zone is refused")
        says(rd, await rd.command("setup <#C0GENERAL|general> 25:99 UTC", ADMIN, channel=GENERAL),
             "Time:", "a time that is none is refused")
        says(rd, await rd.command("leaderboard", BOB, channel=GENERAL), "no study rounds yet",
             "refused setups configured nothing")
        looked = [c for c in rd.fake.calls("users.info")]
        rd.ok(looked, f"admin rights were looked up with users.info ({len(looked)} calls)")

        t = says(rd, await rd.command("setup " + SETUP, ADMIN, channel=GENERAL), "Set up",
                 "/study setup by the workspace admin")
        rd.ok(t.startswith("Set up") and "09:30" in t and "Europe/Berlin" in t
              and "python,django" in t and "1-3" in t and "thread" in t,
              f"the confirmation repeats the setup: {t!r}")
        rd.ok(questions(rd, GENERAL) == [], "nothing posted by the setup itself")

        # Dave is no workspace admin, but the config names him.
        rd.ok(not rd.fake.users[DAVE]["is_admin"], "dave is no workspace admin")
        when, at = utc_in(25)
        t = says(rd, await rd.command(f"setup <#{rd.study}|study> {when} UTC python 1-2 modal",
                                      DAVE), "Set up", "/study setup by an admin from the config")
        rd.ok(when in t and "UTC" in t and "python" in t and "1-2" in t and "private" in t,
              f"dave's setup confirmed: {t!r}")

        await rd.restart()
        rd.ok(True, "restarted on the same database")
        t = says(rd, await rd.command("setup <#C0GENERAL|general> 10:00 Europe/Berlin", ADMIN,
                                      channel=GENERAL), "Updated",
                 "after the restart the channel is known")
        rd.ok("10:00" in t and "python,django" in t and "1-3" in t and "thread" in t,
              f"topics, difficulty and mode survived the restart: {t!r}")
        lb = text_of(await rd.command("leaderboard", BOB, channel=GENERAL))
        rd.ok("no study rounds" not in lb, f"general is a study channel now ({lb[:60]!r})")

        q = await rd.fake.wait_for(lambda: questions(rd), at - time.time() + 30,
                                   what="the round dave set up")
        rd.ok(time.time() >= at - 1, "the round came at the time set, not before")
        rd.ok(len(q) == 1 and "Python" in title(q[0]), f"one question, on python: {title(q[0])!r}")
        rd.ok(questions(rd, GENERAL) == [], "general's round is not due yet")
        await rd.finish()


async def controls(checks):
    """/study post, pause, resume, skip: admins only; a paused channel
    misses its scheduled round, also after resume; skip closes the open
    round with a notice members see in the thread."""
    async with AdminRound(checks, lead_s=20) as rd:
        for sub in ("post", "pause", "resume", "skip"):
            refused(rd, await rd.command(sub, BOB), f"/study {sub} by a member")
        rd.ok(questions(rd) == [], "a refused /study post posts nothing")

        says(rd, await rd.command("pause", ADMIN), "Paused", "/study pause")
        says(rd, await rd.command("pause", ADMIN), "already paused", "/study pause again")
        await rd.fake.wait_for(lambda: time.time() > rd.post_at.timestamp() + 5, 40,
                               interval=0.2, what="the scheduled time to pass")
        rd.ok(questions(rd) == [], "paused: the scheduled round is not posted")
        says(rd, await rd.command("resume", ADMIN), "Resumed", "/study resume")
        says(rd, await rd.command("resume", ADMIN), "not paused", "/study resume again")
        t0 = time.time()
        await rd.fake.wait_for(lambda: time.time() > t0 + 3, 5, interval=0.2, what="3 s")
        rd.ok(questions(rd) == [], "the round missed while paused is not posted late")

        says(rd, await rd.command("post", ADMIN), "Posted", "/study post")
        q = (await rd.fake.wait_for(lambda: questions(rd), 15, what="the question"))[0]
        rd.ok(WRITTEN_PROMPT in text_of(q) and [b[0] for b in buttons(q)][:1] == ["Answer"],
              f"members see the question with its Answer button ({buttons(q)})")
        _, said = await rd.answer_modal(q, ALICE, "Slow down and retry after a while.")
        rd.ok("recorded" in said, "a member answers the posted round")
        says(rd, await rd.command("post", ADMIN), "already open", "/study post with one open")
        says(rd, await rd.command("skip", ADMIN), "Skipped the open round", "/study skip")
        notes = await rd.fake.wait_for(
            lambda: [m for m in rd.in_thread(q["ts"]) if "skipped" in text_of(m)], 15,
            what="the skip notice in the thread")
        rd.ok("nothing is scored" in text_of(notes[0]), f"thread notice: {text_of(notes[0])!r}")
        kind, body = await rd.click(q, button(q, "Answer"), CAROL)
        rd.private(kind, body, "Answer on a skipped round", "skipped")
        says(rd, await rd.command("skip", ADMIN), "will not be posted",
             "/study skip with nothing open skips the next")
        rd.ok(len(questions(rd)) == 1, f"one question in all ({len(questions(rd))})")
        rd.ok(not any(title(m).startswith("Time's up") for m in rd.in_thread(q["ts"])),
              "a skipped round is not revealed")
        await rd.finish()


def csv_rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


async def export(checks):
    """/study export: the ack says the files are on their way; answers,
    ratings and the ledger arrive as CSV files in the admin's DM (Slack's
    three-step upload); members are refused."""
    async with AdminRound(checks) as rd:
        fake = rd.fake
        tricky = 'Two points: "wait for Retry-After",\nand back off & retry.'
        texts = {ALICE: tricky, BOB: "=HYPERLINK(\"x\") is what a formula looks like."}
        await rated_round(rd, texts)

        refused(rd, await rd.command("export", BOB), "/study export by a member")
        rd.ok(fake.files == [], "a refused export sends no file")
        said = await rd.command("export", ADMIN)
        t = says(rd, said, "on its way", "/study export by the admin")
        rd.ok("direct messages" in t, f"the ack says where the files go ({t!r})")
        await fake.wait_for(lambda: len(fake.files) >= 3, 20, what="three files")
        dm = fake.dm_channels.get(ADMIN)
        files = {f["name"]: f for f in fake.files}
        rd.ok(sorted(files) == ["answers.csv", "ledger.csv", "ratings.csv"] and len(fake.files) == 3,
              f"three files: {[f['name'] for f in fake.files]}")
        rd.ok(dm and all(f["channel"] == dm for f in fake.files),
              f"all in the admin's DM ({[f['channel'] for f in fake.files]}, dm {dm})")
        got_url = fake.calls("files.getUploadURLExternal")
        done = fake.calls("files.completeUploadExternal")
        rd.ok(len(got_url) == 3 and len(done) == 3,
              f"each file: an upload URL, the bytes, then complete ({len(got_url)}, {len(done)})")
        shared = [m for m in fake.messages(dm) if m.get("subtype") == "file_share"] if dm else []
        rd.ok(shared and "as CSV" in (shared[0].get("text") or ""),
              f"the first file comes with a word ({[m.get('text') for m in shared][:1]!r})")

        answers = csv_rows(files.get("answers.csv", {}).get("data", b""))
        rd.ok(answers and answers[0][:5] == ["round_slot", "question", "member_id", "member_name",
                                             "answer"], f"answers.csv header {answers[:1]}")
        rows = {r[2]: r for r in answers[1:]}
        rd.ok(sorted(rows) == sorted(texts), f"one row per answer, by member id ({sorted(rows)})")
        rd.ok(rows.get(ALICE, [""] * 5)[4] == tricky,
              f"alice's answer, quotes, & and line break intact: {rows.get(ALICE, [''] * 5)[4]!r}")
        rd.ok(rows.get(BOB, [""] * 5)[4].startswith("'="),
              f"a formula is defused: {rows.get(BOB, [''] * 5)[4]!r}")
        rd.ok(rows.get(ALICE, [""] * 5)[3] == NAME[ALICE], "members are named by their handle")
        ratings = csv_rows(files.get("ratings.csv", {}).get("data", b""))
        rd.ok(ratings and ratings[0] == ["round_slot", "question", "answer_label", "author", "rater",
                                         "stars", "at"], f"ratings.csv header {ratings[:1]}")
        stars = sorted((r[3], r[4], r[5]) for r in ratings[1:])
        rd.ok(stars == [(ALICE, BOB, "5"), (BOB, ALICE, "3")], f"ratings {stars}")
        ledger = csv_rows(files.get("ledger.csv", {}).get("data", b""))
        rd.ok(ledger and ledger[0] == ["at", "member_id", "member_name", "points", "reason", "topic",
                                       "round_slot"], f"ledger.csv header {ledger[:1]}")
        reasons = sorted((r[1], r[4], r[3]) for r in ledger[1:])
        rd.ok((ALICE, "answer", "10") in reasons and (BOB, "answer", "10") in reasons
              and (BOB, "review", "1") in reasons and (ALICE, "review", "1") in reasons,
              f"ledger rows {reasons}")
        rd.ok(not [m for m in rd.top() if m.get("files")], "no file was shared in the channel")
        await rd.finish()


async def forget_me(checks):
    """/study forget-me asks to confirm with buttons; Cancel keeps
    everything, another member's click deletes nothing, Delete removes the
    member's answers, ratings and points; every reply is private."""
    async with AdminRound(checks) as rd:
        texts = {ALICE: "Too Many Requests: wait for Retry-After, then back off.",
                 BOB: "The client is rate limited and should retry later."}
        await rated_round(rd, texts)
        before = await board(rd)
        rd.ok(NAME[ALICE] in before and NAME[BOB] in before, f"both on the board: {before}")

        said = await rd.command("forget-me", ALICE)
        t = text_of(said)
        labels = [lab for lab, _ in buttons(said)]
        rd.ok(private_ack(said) and title(said) == "Forget me?" and "cannot be undone" in t,
              f"asks privately first: {title(said)!r} {t[:80]!r}")
        rd.ok(labels == ["Delete my data", "Cancel"], f"buttons {labels}")
        # The ack's reply as Slack shows it: an ephemeral message to Alice.
        prompt = {"blocks": said.get("blocks") or [], "message_ts": f"{time.time():.6f}",
                  "user": ALICE, "channel": rd.study}
        kind, body = await rd.click(prompt, button(prompt, "Cancel"), ALICE)
        rd.private(kind, body, "Cancel", "Nothing was deleted")
        rd.ok(NAME[ALICE] in await board(rd), "after Cancel alice is still on the board")
        kind, body = await rd.click(prompt, button(prompt, "Delete my data"), BOB)
        rd.private(kind, body, "another member's Delete", "someone else")
        rd.ok(NAME[ALICE] in await board(rd), "alice is still on the board")

        kind, body = await rd.click(prompt, button(prompt, "Delete my data"), ALICE)
        rd.private(kind, body, "Delete", "Done: your answers, ratings, points")
        after = await board(rd)
        rd.ok(NAME[ALICE] not in after and NAME[BOB] in after, f"the board without alice: {after}")
        st = text_of(await rd.command("stats", ALICE))
        rd.ok(re.search(r"\b0 points\b", st) and "0 rounds answered" in st,
              f"alice's stats are empty: {st[:80]!r}")
        st = text_of(await rd.command("stats", BOB))
        rd.ok("answer: +10" in st and not re.search(r"\b0 points\b", st),
              f"bob keeps his: {st[:120]!r}")
        await rd.finish()


async def restart(checks):
    """SIGKILL after answers were confirmed, before the reveal; restarted on
    the same database, the bot posts the question once, takes answers,
    reveals every confirmed one and posts the results once."""
    async with AdminRound(checks) as rd:
        q = await rd.question_post()
        texts = {ALICE: "429: Too Many Requests, so wait for Retry-After.",
                 BOB: "Rate limited: back off with jitter and retry."}
        for user, text in texts.items():
            _, said = await rd.answer_modal(q, user, text)
            rd.ok("recorded" in said, f"{NAME[user]}'s answer is confirmed")
        await rd.restart(crash=True)
        rd.ok(time.time() < rd.deadline, "killed and back before the deadline")
        rd.ok(not cards(rd, q["ts"]), "nothing revealed before the crash")
        texts[CAROL] = "Slow down: the server says you sent too many."
        _, said = await rd.answer_modal(q, CAROL, texts[CAROL])
        rd.ok("recorded" in said, "an answer after the restart is confirmed")
        kind, view = await rd.click(q, button(q, "Answer"), ALICE)
        pre = ((view.get("view") or {}).get("blocks") or [{}])[0].get("element", {})
        rd.ok(kind == "modal" and pre.get("initial_value") == texts[ALICE],
              "alice's answer from before the crash is prefilled in her form")

        got = await revealed(rd, q, 3)
        by = card_of(got, texts)
        rd.ok(sorted(by) == sorted(texts), f"every confirmed answer revealed ({sorted(by)})")
        res = await rd.fake.wait_for(
            lambda: [m for m in rd.in_thread(q["ts"]) if title(m) == "Results"],
            REVIEW_S + 30, what="the results")
        rt = text_of(res[0])
        rd.ok(all(NAME[u] in rt for u in texts), f"the results name all three ({rt[:120]!r})")
        t0 = time.time()
        await rd.fake.wait_for(lambda: time.time() > t0 + 1, 3, interval=0.2, what="1 s")
        rd.ok(len(questions(rd)) == 1, f"one question post ({len(questions(rd))})")
        heads = [m for m in rd.in_thread(q["ts"]) if title(m).startswith("Time's up")]
        rd.ok(len(heads) == 1 and len(cards(rd, q["ts"])) == 3 and len(res) == 1,
              f"one reveal with 3 cards, one results post ({len(heads)}, "
              f"{len(cards(rd, q['ts']))}, {len(res)})")
        await rd.finish()


async def remind(checks):
    """/study remind on: a member who has not answered gets one private
    nudge remind_before the deadline; one who answered does not, nor one who
    turned it off, nor one who never turned it on."""
    async with AdminRound(checks, remind_s=30, lead_s=10) as rd:
        fake = rd.fake
        for user in (ALICE, BOB, CAROL):
            says(rd, await rd.command("remind on", user), "Reminders are on",
                 f"/study remind on ({NAME[user]})")
        says(rd, await rd.command("remind off", CAROL), "Reminders are off", "/study remind off")
        says(rd, await rd.command("remind maybe", CAROL), "Use /study remind on",
             "/study remind with a wrong word")
        q = await rd.question_post()
        _, said = await rd.answer_modal(q, ALICE, "Too Many Requests: slow down.")
        rd.ok("recorded" in said, "alice answers")

        def reminders(u):
            return [m for m in fake.dms(u) if title(m) == "Reminder"]
        nudge = (await fake.wait_for(lambda: reminders(BOB), ANSWER_S + 10,
                                     what="bob's reminder"))[0]
        left = rd.deadline - time.time()
        rd.ok(0 < left <= 30.5, f"the nudge comes 30 s before the deadline ({left:.1f}s left)")
        t = text_of(nudge)
        rd.ok("closes in" in t and WRITTEN_PROMPT[:40] in t and "/study remind" in t,
              f"the nudge names the question and why it came: {t[:140]!r}")
        _, said = await rd.answer_modal(nudge, BOB, "Wait for Retry-After.")
        rd.ok("recorded" in said and "late" not in said, "bob answers from the nudge, on time")

        await revealed(rd, q, 2)
        rd.ok(not reminders(ALICE), "alice answered: no nudge")
        rd.ok(not reminders(CAROL), "carol turned reminders off: no nudge")
        rd.ok(not reminders(DAVE), "dave never turned them on: no nudge")
        rd.ok(len(reminders(BOB)) == 1, f"bob was nudged once ({len(reminders(BOB))})")
        await rd.finish()


SCENARIOS = {f.__name__: f for f in (setup, controls, export, forget_me, restart, remind)}

if __name__ == "__main__":
    run_scenario(slackround.__dict__, SCENARIOS, timeout=270)

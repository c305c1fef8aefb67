"""Whole study rounds on Slack: the real studybot binary against the fake
Slack, asserting what members see (SPEC §5, §6, §7), one scenario per ctest.

    slack_rounds.py STUDYBOT SCENARIO
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slackround  # noqa: E402
from botproc import peer, run_scenario  # noqa: E402
from slackround import (ALICE, ANSWER_S, BOB, CAROL, CHOICE_PROMPT, CHOICES, DAVE,  # noqa: E402
                        NAME, REVIEW_S, RIGHT, SCORE, WRITTEN_KEY_POINTS, WRITTEN_PROMPT, Round,
                        button, buttons, text_of, title)


def esc(text):
    """Slack's mrkdwn escaping of member text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
        # A long answer spans several sections; Slack shows & < > escaped.
        body = re.sub(r"\s+", "", text_of(card))
        authors = [u for u, t in texts.items() if re.sub(r"\s+", "", esc(t)) in body]
        rd.ok(len(authors) == 1, f"card {title(card)} shows one member's answer text")
        if m and authors:
            by_label[m.group(1)] = authors[0]
        labels = [lab for lab, _ in buttons(card)]
        rd.ok(labels == ["1", "2", "3", "4", "5"], f"rating buttons 1-5 ({labels})")
        rd.ok("Key points covered" in text_of(card), "the card shows key-point coverage")
    blob = "\n".join(text_of(m) for m in [head] + cards)
    leaks = [NAME[u] for u in texts if re.search(r"\b" + NAME[u] + r"\b", blob)]
    rd.ok(not leaks, f"the reveal names nobody ({leaks})")
    return by_label


async def modal(checks):
    """A whole round with private forms: post, answers (edit, /study answer,
    a too-long answer kept out by the form), the reveal in the question's
    thread, review DMs, ratings and refusals, results, leaderboard, stats
    and the App Home."""
    async with Round(checks, mode="modal", remind_s=30) as rd:
        fake = rd.fake
        said = await rd.command("remind on", DAVE)
        rd.ok(said.get("response_type") == "ephemeral" and "Reminders are on" in text_of(said),
              f"/study remind on: a private answer ({text_of(said)[:80]!r})")
        q = await rd.question_post()
        t = title(q)
        rd.ok(t == "Question of the day · Written · easy", f"topic and difficulty: {t!r}")
        rd.ok(WRITTEN_PROMPT in text_of(q), "the post shows the question")
        labels = [lab for lab, _ in buttons(q)]
        rd.ok(labels == ["Answer", "Hint (-3 points)"], f"buttons Answer + Hint only ({labels})")
        rd.ok(q.get("text") and len(q["text"]) > 10, "the post has a notification text")

        modal_a, said = await rd.answer_modal(q, ALICE, "A first draft.")
        rd.ok("recorded" in said, "the first submit is recorded")
        el = modal_a["view"]["blocks"][0]["element"]
        rd.ok(el["type"] == "plain_text_input" and el.get("multiline") and el.get("max_length") == 3000,
              f"a multiline input of up to 3000 characters ({el.get('max_length')})")
        bob = "The server is overloaded, so try again later. <!channel> look & see. "
        bob = (bob + "Slow down. " * 400)[:3000]
        texts = {
            ALICE: "429 means Too Many Requests: wait for Retry-After, then back off with jitter.",
            BOB: bob,
            CAROL: "Too Many Requests. Read retry_after from the body and send it again.",
        }
        modal_a2, said = await rd.answer_modal(q, ALICE, texts[ALICE])
        rd.ok("updated" in said, f"the second submit replaces the first ({said[:60]!r})")
        el2 = modal_a2["view"]["blocks"][0]["element"]
        rd.ok(el2.get("initial_value") == "A first draft.", "the edit form is prefilled")
        # An empty answer: the form stays open and says why under the input.
        kind, errs = await rd.submit(modal_a2, "   ", ALICE)
        rd.ok(kind == "errors" and "empty" in (errs or {}).get("answer", ""),
              f"an empty answer keeps the form open with the reason ({kind}: {errs})")
        modal_b, said = await rd.answer_modal(q, BOB, texts[BOB], via="command")
        rd.ok(modal_b["view"]["callback_id"] == modal_a["view"]["callback_id"],
              "/study answer opens the same form")
        await rd.answer_modal(q, CAROL, texts[CAROL])

        kind, body = await rd.click(q, button(q, "Hint (-3 points)"), DAVE)
        rd.private(kind, body, "a hint", "Hint")

        # Dave asked for reminders and has not answered: a DM before the deadline.
        def reminder():
            got = [m for m in fake.dms(DAVE) if title(m) == "Reminder"]
            return got[0] if got else None
        nudge = await fake.wait_for(reminder, ANSWER_S + 10, what="the reminder DM")
        left = rd.deadline - time.time()
        rd.ok(0 < left <= 30.5, f"the reminder comes 30 s before the deadline ({left:.1f}s left)")
        others = [u for u in (ALICE, BOB, CAROL) if any(title(m) == "Reminder" for m in fake.dms(u))]
        rd.ok(not others, f"members who answered get no reminder ({others})")

        # The reveal: in the question's thread.
        msgs = await rd.thread_msgs(q["ts"], 4, "the reveal in the question's thread")
        rd.ok(time.time() >= rd.deadline - 0.5, "the reveal comes at the deadline, not before")
        by_label = reveal_checks(rd, msgs[0], msgs[1:4], texts)
        label_of = {u: lab for lab, u in by_label.items()}
        card_of = {by_label[title(c)[len("Answer "):]]: c for c in msgs[1:4]
                   if title(c)[len("Answer "):] in by_label}
        rd.ok("<!channel>" not in text_of(card_of.get(BOB)) and "&lt;!channel&gt;" in text_of(card_of.get(BOB)),
              "a member's <!channel> is shown as text and pings nobody")

        # A late answer from the reminder's button: kept, marked late.
        _, said = await rd.answer_modal(nudge, DAVE, "Late: it means slow down.")
        rd.ok("marked late" in said, f"a late answer is kept and marked late ({said[:80]!r})")

        # Review assignments by DM, up to 2 answers each.
        def reviews_in():
            return all(len([m for m in fake.dms(u) if title(m).startswith("Please review")]) >= 2
                       for u in texts)
        await fake.wait_for(reviews_in, 20, what="review DMs")
        for u in texts:
            dms = [m for m in fake.dms(u) if title(m).startswith("Please review")]
            rd.ok(len(dms) == 2, f"{NAME[u]} is handed 2 answers to review")
            rd.ok(f"Please review: Answer {label_of.get(u)}" not in [title(m) for m in dms],
                  f"{NAME[u]} is not handed their own answer")

        async def rate(msg, who, stars, says):
            kind, body = await rd.click(msg, button(msg, str(stars)), who)
            return rd.private(kind, body, f"{NAME[who]} rates {title(msg)} {stars}/5", says)

        await rate(card_of[BOB], ALICE, 2, "recorded")
        await rate(card_of[ALICE], ALICE, 5, "can't rate your own")
        await rate(card_of[BOB], ALICE, 3, "changed")
        await rate(card_of[CAROL], ALICE, 4, "recorded")
        await rate(card_of[ALICE], BOB, 5, "recorded")
        await rate(card_of[CAROL], BOB, 3, "recorded")
        for dm in [m for m in fake.dms(CAROL) if title(m).startswith("Please review")]:
            lab = title(dm).rsplit(" ", 1)[-1]
            await rate(dm, CAROL, {ALICE: 4, BOB: 2}[by_label[lab]], "recorded")
        await rate(card_of[ALICE], DAVE, 5, "recorded")
        ratings = {ALICE: [5, 4, 5], BOB: [3, 2], CAROL: [4, 3]}
        reviews = {ALICE: 2, BOB: 2, CAROL: 2, DAVE: 1}

        msgs = await rd.thread_msgs(q["ts"], 5, "the results", timeout=REVIEW_S + 30)
        res = msgs[4]
        rt = text_of(res)
        rd.ok(title(res) == "Results", f"results posted ({title(res)!r})")
        rd.ok(time.time() >= rd.review_end - 0.5, "results come when the review window closes")
        for u, r in ratings.items():
            avg = sum(r) / len(r)
            line = f"Answer {label_of[u]}*: {NAME[u]} · {avg:.1f}/5 from {len(r)} ratings"
            rd.ok(line in rt, f"results line {line!r}")
        rd.ok("Late answer*: " + NAME[DAVE] in rt, "the late answer is listed as late")
        await rate(card_of[BOB], CAROL, 5, "closed")

        kp = {ALICE: 4, BOB: 0, CAROL: 2}
        want = {}
        for u in texts:
            pts = SCORE["answer"] + SCORE["streak"]
            pts += SCORE["key_points"] if kp[u] * 2 >= WRITTEN_KEY_POINTS else 0
            pts += peer(sum(ratings[u]) / len(ratings[u]))
            pts += min(reviews[u], SCORE["review_cap"]) * SCORE["review"]
            want[u] = pts
        want[DAVE] = reviews[DAVE] * SCORE["review"] + SCORE["hint"]
        lb = await rd.command("leaderboard all", DAVE)
        rd.ok(lb.get("response_type") == "in_channel", "the leaderboard is a public reply")
        order = sorted(want, key=lambda u: -want[u])
        got = re.findall(r"\*(\w+)\*: (-?\d+)", text_of(lb))
        rd.ok(got[:len(order)] == [(NAME[u], str(want[u])) for u in order],
              f"leaderboard {got} == {[(NAME[u], want[u]) for u in order]}")
        st = text_of(await rd.command("stats", ALICE))
        rd.ok(f"{want[ALICE]} points" in st and "1 round answered on time" in st,
              f"stats total and rounds ({st[:80]!r})")
        fake.home_opened(ALICE)
        home = await fake.wait_for(lambda: fake.home(ALICE), 10, what="Alice's App Home")
        ht = text_of(home)
        rd.ok(f"{want[ALICE]} points" in ht and "streak 1" in ht and "Next question" in ht,
              f"the App Home shows points, streak and the next question ({ht[:120]!r})")
        rd.ok(f"*{NAME[ALICE]}*: {want[ALICE]}" in ht, "the App Home shows this week's leaderboard")
        await rd.finish()


# --- members in a channel and its threads ------------------------------------

def msg_ts(env):
    """The ts Slack gave a member's message (the event of its envelope)."""
    return env.payload["event"]["ts"]


def edit_reply(fake, channel, ts, thread_ts, before, text, user):
    """A member edits a reply in a thread: Slack's message_changed event,
    whose message and previous_message keep the reply's thread_ts (and
    parent_user_id) beside ts, as Slack sends for a reply. FakeSlack.edit()
    builds a top-level message's edit (no thread_ts), which a thread-mode
    bot rightly reads as no answer."""
    now = fake._next_ts()
    parent = fake.BOT_USER_ID
    ev = {"type": "message", "subtype": "message_changed", "channel": channel, "hidden": True,
          "ts": now, "event_ts": now, "channel_type": "channel",
          "message": {"type": "message", "user": user, "text": text, "ts": ts,
                      "thread_ts": thread_ts, "parent_user_id": parent,
                      "edited": {"user": user, "ts": now}, "team": fake.TEAM_ID},
          "previous_message": {"type": "message", "user": user, "text": before, "ts": ts,
                               "thread_ts": thread_ts, "parent_user_id": parent,
                               "team": fake.TEAM_ID}}
    return fake.event(ev)


def bot_reply(fake, channel, text, thread_ts):
    """The message event Slack sends for a message the bot itself posted
    in a thread: it carries the bot's user id and its bot_id."""
    ts = fake._next_ts()
    ev = {"type": "message", "channel": channel, "user": fake.BOT_USER_ID, "bot_id": fake.BOT_ID,
          "app_id": fake.APP_ID, "text": text, "ts": ts, "event_ts": ts, "thread_ts": thread_ts,
          "parent_user_id": fake.BOT_USER_ID, "team": fake.TEAM_ID, "channel_type": "channel",
          "bot_profile": {"id": fake.BOT_ID, "app_id": fake.APP_ID, "name": "studybot",
                          "team_id": fake.TEAM_ID}}
    return fake.event(ev)


def ignored(rd, why):
    """The bot's debug records of envelopes it acked and dropped, for why."""
    return [r for r in rd.bot.find("envelope ignored") if why in str(r.get("why", ""))]


async def command_reply(rd, text, user):
    """/study TEXT where the answer is a private text: from the ack, or an
    ephemeral sent after it. Returns (kind, body)."""
    n = rd.marks(user)
    env = rd.fake.slash(text, user=user, channel=rd.study)
    await rd.acked(env, f"/study {text}")
    p = env.ack_payload or {}
    if text_of(p):
        return ("private" if p.get("response_type", "ephemeral") == "ephemeral" else "public"), p
    return await rd.outcome(env, user, f"/study {text}", *n)


def leaderboard(lb):
    return {n: int(p) for n, p in re.findall(r"\*(\w+)\*: (-?\d+)", text_of(lb))}


async def thread(checks):
    """answer_mode = thread: replies in the question's thread are the
    answers (last one wins, an edit counts), chatter and the bot's own
    messages are not; the reveal, a late reply, ratings and the results."""
    async with Round(checks, mode="thread") as rd:
        fake = rd.fake
        q = await rd.question_post()
        ts = q["ts"]
        rd.ok("Reply in this message's thread" in text_of(q), "the post says where to answer")
        labels = [lab for lab, _ in buttons(q)]
        rd.ok(labels == ["Answer", "Hint (-3 points)"], f"buttons Answer + Hint ({labels})")
        kind, body = await rd.click(q, button(q, "Answer"), ALICE)
        rd.private(kind, body, "Answer in thread mode", "replies in the question's thread")

        texts = {
            ALICE: "Too Many Requests: honour Retry-After & back off with jitter.",
            BOB: "Slow down and wait the retry_after it says, then send it again.",
        }
        await rd.acked(fake.message(rd.study, "My first try, not final.", ALICE, thread_ts=ts),
                       "Alice's first reply")
        # Slack sends a member's &, < and > escaped; the answer is what she typed.
        await rd.acked(fake.message(rd.study, esc(texts[ALICE]), ALICE, thread_ts=ts),
                       "Alice's second reply")
        draft = "Slow down, I think."
        env = await rd.acked(fake.message(rd.study, draft, BOB, thread_ts=ts), "Bob's reply")
        await rd.acked(edit_reply(fake, rd.study, msg_ts(env), ts, draft, texts[BOB], BOB),
                       "Bob's edit of his reply")
        await rd.acked(fake.message(rd.study, "chatter in the channel is no answer", CAROL),
                       "Carol's channel message")
        await rd.acked(bot_reply(fake, rd.study, "The bot's own words are no answer.", ts),
                       "the bot's own message in the thread")
        await rd.bot.wait_log("envelope ignored", timeout=5, count=2)
        rd.ok(ignored(rd, "not a reply in a thread"), "channel chatter is read as no answer")
        rd.ok(ignored(rd, "bot"), "the bot's own message is ignored")
        rd.ok(not fake.ephemerals(user=ALICE)[1:] and not fake.dms(ALICE) and not fake.dms(BOB),
              "a thread reply is its own confirmation: nothing private is sent")

        msgs = await rd.thread_msgs(ts, 3, "the reveal in the question's thread")
        rd.ok(time.time() >= rd.deadline - 0.5, "the reveal comes at the deadline, not before")
        by_label = reveal_checks(rd, msgs[0], msgs[1:3], texts)
        rd.ok(set(by_label.values()) == {ALICE, BOB},
              "each member's last reply (or its edit) is the answer; chatter and the bot's "
              "own message are not")
        label_of = {u: lab for lab, u in by_label.items()}
        card = {by_label[title(c).split()[-1]]: c for c in msgs[1:3]
                if title(c).split()[-1] in by_label}

        await rd.acked(fake.message(rd.study, "Late reply after the reveal.", CAROL, thread_ts=ts),
                       "Carol's late reply")
        kind, body = await rd.click(card[ALICE], button(card[ALICE], "4"), BOB)
        rd.private(kind, body, "Bob rates Alice", "recorded")
        kind, body = await rd.click(card[BOB], button(card[BOB], "5"), ALICE)
        rd.private(kind, body, "Alice rates Bob", "recorded")
        kind, body = await rd.click(card[BOB], button(card[BOB], "3"), BOB)
        rd.private(kind, body, "Bob rates his own answer", "can't rate your own")

        msgs = await rd.thread_msgs(ts, 4, "the results", timeout=REVIEW_S + 30)
        res = msgs[3]
        rt = text_of(res)
        rd.ok(title(res) == "Results", f"results posted in the thread ({title(res)!r})")
        rd.ok(time.time() >= rd.review_end - 0.5, "results come when the review window closes")
        for u, stars in ((ALICE, 4), (BOB, 5)):
            line = f"Answer {label_of.get(u)}*: {NAME[u]} · {stars:.1f}/5 from 1 rating"
            rd.ok(line in rt, f"results line {line!r}")
        rd.ok(re.search(r"\*Late answer\*: \S+ · no ratings", rt),
              f"a reply after the deadline is listed as a late answer ({rt!r})")
        # Message events carry a user id and no name: the bot asks
        # users.info, so a member seen only in replies is named too.
        rd.ok("Late answer*: " + NAME[CAROL] in rt,
              "the late answer names its author (a member seen only in replies)")
        tops = rd.top()
        rd.ok([m["ts"] for m in tops] == [ts],
              f"the round's posts all go in the question's thread ({len(tops)} top-level)")
        # Alice covers all 4 key points, Bob 1 of 4; each rated once and
        # rated once (Bob's try at his own answer earns nothing).
        want = {NAME[ALICE]: SCORE["answer"] + SCORE["streak"] + SCORE["key_points"] + peer(4)
                + SCORE["review"],
                NAME[BOB]: SCORE["answer"] + SCORE["streak"] + peer(5) + SCORE["review"]}
        lb = leaderboard(await rd.command("leaderboard all", DAVE))
        rd.ok(lb == want, f"on-time answers score, the late one earns nothing: {lb} == {want}")
        await rd.finish()


async def mcq(checks):
    """A multiple-choice round: one button per choice plus Hint, private
    picks that can change until the deadline, /study answer explains,
    hints and their cost, the reveal shows the right choice and the votes,
    mcq points for the right pick."""
    async with Round(checks, topics="choice") as rd:
        fake = rd.fake
        q = await rd.question_post()
        ts = q["ts"]
        qt = text_of(q)
        rd.ok(title(q).startswith("Question of the day · Choice"), f"title {title(q)!r}")
        rd.ok(CHOICE_PROMPT in qt and all(f"*{'ABCD'[i]}.* {c}" in qt for i, c in enumerate(CHOICES)),
              f"the post lists the choices ({qt[:200]!r})")
        labels = [lab for lab, _ in buttons(q)]
        rd.ok(labels == ["A", "B", "C", "D", "Hint (-3 points)"],
              f"one button per choice, and Hint ({labels})")

        kind, body = await command_reply(rd, "answer", ALICE)
        rd.private(kind, body, "/study answer on a multiple-choice round", "multiple choice")
        rd.ok(not [v for v in fake.views if v["user"] == ALICE], "no answer form is opened")

        picks = {ALICE: 0, BOB: 1, CAROL: 1}
        for u, i in picks.items():
            kind, body = await rd.click(q, button(q, "ABCD"[i]), u)
            rd.private(kind, body, f"{NAME[u]} picks {'ABCD'[i]}",
                       rf"You picked \*{'ABCD'[i]}\.\* {CHOICES[i]}")
        kind, body = await rd.click(q, button(q, "B"), ALICE)
        rd.private(kind, body, "Alice changes her pick", r"changed your pick to \*B\.\* 429")
        picks[ALICE] = 1
        kind, body = await rd.click(q, button(q, "C"), DAVE)
        rd.private(kind, body, "Dave picks C", "picked")
        picks[DAVE] = 2
        rd.ok([m["ts"] for m in rd.top()] == [ts] and not rd.in_thread(ts),
              "picks stay private: nothing is posted before the deadline")

        hint = button(q, "Hint (-3 points)")
        kind, body = await rd.click(q, hint, DAVE)
        h1 = rd.private(kind, body, "first hint", "Hint 1 of 2")
        rd.ok("It is a 4xx code" in h1 and "Hint 2" not in h1 and "cost 3 points" in h1,
              f"only the first hint, and its cost ({h1[:160]!r})")
        kind, body = await rd.click(q, hint, DAVE)
        h2 = rd.private(kind, body, "second hint", "Hint 2 of 2")
        rd.ok("It is a 4xx code" in h2 and "RFC 6585 added it" in h2 and "cost 3 points" in h2,
              f"both hints, and the second one's cost ({h2[:200]!r})")
        kind, body = await rd.click(q, hint, DAVE)
        rd.private(kind, body, "a third click", "last hint")

        msgs = await rd.thread_msgs(ts, 1, "the reveal")
        rd.ok(time.time() >= rd.deadline - 0.5, "the reveal comes at the deadline, not before")
        rv = text_of(msgs[0])
        rd.ok("The right answer is *B.* 429" in rv, f"the reveal shows the right choice ({rv[:80]!r})")
        rd.ok("*B.* 429: 3 votes (75%) ✓" in rv and "*C.* 503: 1 vote (25%)" in rv
              and "*A.* 403: 0 votes (0%)" in rv and "*D.* 418: 0 votes (0%)" in rv,
              f"the reveal shows how the channel voted ({rv[:300]!r})")
        rd.ok("3 of 4 got it right" in rv, "and how many got it right")
        rd.ok(not buttons(msgs[0]), "no rating buttons on a multiple-choice reveal")
        rd.ok(not re.search(r"\b(" + "|".join(NAME[u] for u in picks) + r")\b", rv),
              "the reveal names nobody")

        kind, body = await rd.click(q, button(q, "A"), BOB)
        rd.private(kind, body, "a pick after the deadline", "closed")
        kind, body = await rd.click(q, hint, BOB)
        rd.private(kind, body, "a hint after the deadline", "over")

        got = leaderboard(await rd.command("leaderboard all", BOB))
        right = SCORE["mcq"] + SCORE["streak"]
        want = {NAME[u]: right if i == RIGHT else SCORE["streak"] for u, i in picks.items()}
        want[NAME[DAVE]] += 2 * SCORE["hint"]
        rd.ok(got == want, f"mcq points and the hint cost: {got} == {want}")
        await rd.finish()


SCENARIOS = {f.__name__: f for f in (modal, thread, mcq)}

if __name__ == "__main__":
    run_scenario(slackround.__dict__, SCENARIOS, timeout=260)

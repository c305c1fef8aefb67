"""Slack durability (SPEC §8): a post that reached Slack just before a crash
is not posted again when the outbox resends it after the restart, because
Slack has no nonce: the post carries it as message metadata and the bot
reads the channel back before resending.

    slack_durable.py STUDYBOT SCENARIO
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import slackround  # noqa: E402
from botproc import run_scenario  # noqa: E402
from slackround import Round, title  # noqa: E402


async def crash_post(checks):
    """The question's chat.postMessage is done by Slack but answered late;
    the bot is killed before the answer comes. After the restart the
    question is in the channel once, and the bot knows it (it answers the
    round's buttons)."""
    async with Round(checks, mode="modal") as rd:
        fake = rd.fake
        fake.inject("chat.postMessage", delay=30)
        await fake.wait_for(lambda: rd.top(), rd.lead_s + 30, what="the question reaching Slack")
        await rd.bot.wait_log("question posted", timeout=10)
        rd.bot.kill()
        await rd.bot.proc.wait()
        posted = rd.top()
        meta = posted[0].get("metadata") or {}
        rd.ok(meta.get("event_type") == "studybot_post" and meta.get("event_payload", {}).get("nonce"),
              f"the post carries its outbox nonce as metadata ({meta})")
        # The same config and database, a new process.
        again = rd.new_bot()
        again.config = rd.bot.config
        rd.bot = again
        await again.start()
        await again.wait_log("a message sent before the restart had reached Slack", timeout=20)
        await again.wait_log("Socket Mode ready", timeout=20)
        questions = [m for m in rd.top() if title(m).startswith("Question of the day")]
        rd.ok(len(questions) == 1, f"the question is in the channel once ({len(questions)})")
        hist = fake.calls("conversations.history")
        rd.ok(hist and hist[0]["args"].get("include_all_metadata") in ("true", True),
              "the bot read the channel back with its metadata before resending")
        # The round knows its message: the Answer button works.
        q = questions[0]
        kind, view = await rd.click(q, next(a for lab, a in slackround.buttons(q) if lab == "Answer"),
                                    slackround.ALICE)
        rd.ok(kind == "modal", f"the question's Answer button opens the form ({kind})")
        await rd.finish()


SCENARIOS = {"crash_post": crash_post}

if __name__ == "__main__":
    run_scenario(slackround.__dict__, SCENARIOS, timeout=200)

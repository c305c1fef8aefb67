#!/usr/bin/python3
"""Interaction latency under load: studybot answering members while it ingests a stream.

The real binary (`studybot run`) against the fake Discord (tests/fakes/fake_discord.py,
in this process). One channel in modal mode holds the round; a second channel in thread
mode makes the bot ask for the message intents, so it receives (and must skip) every
MESSAGE_CREATE of the stream.

  1. `/study post` opens a round; the Answer button's custom id names it.
  2. answers:  for --seconds, --rate events/s: MESSAGE_CREATEs in a busy channel and, as
               --answer-share of them, answer-form submits from --members members (each
               submit after a member's first is an edit: also a committed write).
  3. burst:    --burst form submits sent back to back, no stream: answers recorded/s.
  4. ratings:  after the reveal, the same mixed stream with rating clicks on the reveal's
               buttons instead of form submits.
Latency is Discord's view of it: from the moment the fake wrote INTERACTION_CREATE to the
bot's socket to the moment the interaction callback request reached the fake's REST API
(before the fake checks it against the API description, which is the fake's time, not the
bot's). The fake runs in this process, so its own load is in the figures: they are an upper
bound of the bot's share.

Usage:
  bench_latency.py [--binary build/studybot] [--rate 1000] [--seconds 10]
                   [--answer-share 0.2] [--members 40] [--burst 2000]

Prints a table and one line `{"bench": "interaction_latency", ...}`. Timing never fails
the run: the exit status is 1 only when something did not work (no round, an interaction
left unanswered, protocol violations), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))
from botproc import Bot  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GbEnCh.0123456789abcdefghijklmnopqrstuvwxyzAB"
MESSAGE_CONTENT = 1 << 15
TICK = 0.01  # events go out in small batches every 10 ms
TEXT = ("select_related follows foreign keys with a JOIN in the same query; prefetch_related "
        "runs one more query per relation and joins in Python, which is what many-to-many and "
        "reverse foreign keys need. Without either, a loop over a QuerySet that touches a "
        "relation runs one query per row: the N+1 problem.")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def buttons(msg):
    for row in msg.get("components") or []:
        for c in row.get("components") or []:
            if c.get("type") == 2 and c.get("custom_id"):
                yield c


async def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


async def stream(fake, seconds, rate, share, make_interaction, busy_channel):
    """Sends `rate` events/s for `seconds`: interactions (share) and MESSAGE_CREATEs."""
    inters, messages = [], 0
    per_tick = rate * TICK
    loop = asyncio.get_running_loop()
    start = loop.time()
    owed = 0.0
    ticks = int(seconds / TICK)
    for i in range(ticks):
        owed += per_tick
        n = int(owed)
        owed -= n
        for _ in range(n):
            if random.random() < share:
                inters.append(make_interaction())
            else:
                fake.message_create(busy_channel, TEXT, author=fake.BOB_ID)
                messages += 1
        delay = start + (i + 1) * TICK - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
    elapsed = loop.time() - start
    return inters, messages, elapsed


def bot_histogram(port):
    """{le: cumulative count} of studybot_interaction_reply_seconds from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for m in re.finditer(r'^studybot_interaction_reply_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M):
        out[float(m.group(1))] = float(m.group(2))
    return out


def hist_quantile(before, after, q):
    """The q-quantile (ms) of what was observed between two scrapes, by linear
    interpolation inside its bucket, as Prometheus's histogram_quantile()."""
    les = sorted(after)
    counts = [after[le] - before.get(le, 0.0) for le in les]
    total = counts[-1] if counts else 0
    if total <= 0:
        return float("nan")
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in zip(les, counts):
        if c >= rank:
            if le == float("inf"):
                return prev_le * 1000.0
            return (prev_le + (le - prev_le) * (rank - prev_c) / max(c - prev_c, 1e-9)) * 1000.0
        prev_le, prev_c = le, c
    return prev_le * 1000.0


def latencies(inters):
    """ms from INTERACTION_CREATE written to the bot's socket to the callback
    request reaching the fake (not counting the fake's own checks of it)."""
    out = []
    for it in inters:
        if it.callbacks and it.callbacks[0].get("received") is not None:
            out.append(it.callbacks[0]["received"] * 1000.0)
    return out


async def run(args) -> int:
    random.seed(7)
    problems = []
    a_inters, r_inters, b_inters = [], [], []
    a_msgs = r_msgs = 0
    a_secs = r_secs = b_secs = 0.0
    a_lat, r_lat, b_lat = [], [], []
    a_cpu = r_cpu = 0.0
    nan = float("nan")
    a_bot = r_bot = b_bot = [nan, nan]
    async with FakeDiscord(token=TOKEN, allowed_privileged=MESSAGE_CONTENT,
                           heartbeat_interval=41250) as fake:
        members = []
        for i in range(args.members):
            uid = str(1300000000000000000 + i)
            fake.add_user(uid, f"member{i}")
            members.append(uid)
        window = max(60, int(args.seconds) + 30)  # the config allows 1m at least
        ini = f"""
[channel "round"]
id = {fake.STUDY_ID}
schedule = 23:59
timezone = UTC
answer_window = {window}s
review_window = {int(args.seconds) + 60}s
answer_mode = modal
remind_before = 0

[channel "chat"]
id = {fake.channel_id}
schedule = 23:59
timezone = UTC
answer_mode = thread
"""
        bot = Bot(args.binary, fake.api_url, TOKEN, compress=True, ini=ini, log_level="info",
                  http_listen="127.0.0.1:0")
        await bot.start()
        try:
            try:
                await bot.wait_log("gateway ready", timeout=60)
                (listening,) = await bot.wait_log("http listening", timeout=10)
            except AssertionError as e:
                raise RuntimeError(str(e)) from None
            port = int(listening["addr"].rsplit(":", 1)[1])
            post = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                    options=[{"type": 1, "name": "post"}])
            question = await wait_for(
                lambda: next((m for m in fake.messages[fake.STUDY_ID]
                              if any(b["custom_id"].startswith("sb1:a:") for b in buttons(m))), None),
                30, "the question post")
            answer_id = next(b["custom_id"] for b in buttons(question) if b["custom_id"].startswith("sb1:a:"))
            round_id = answer_id.split(":")[2]
            posted_at = time.monotonic()
            await wait_for(lambda: post.callbacks, 10, "the /study post reply")
            pid = bot.proc.pid
            busy = fake.THREAD_ID  # a thread that is no round's: read and skipped

            # 2. answers in a mixed stream
            k = [0]

            def answer():
                k[0] += 1
                return fake.interaction("modal", custom_id=f"sb1:fa:{round_id}",
                                        fields={"answer": f"{TEXT} ({k[0]})"},
                                        user_id=members[k[0] % len(members)], channel_id=fake.STUDY_ID)

            cpu0 = cpu_seconds(pid)
            h0 = bot_histogram(port)
            f0 = sum(os.times()[:2])
            a_inters, a_msgs, a_secs = await stream(fake, args.seconds, args.rate, args.answer_share,
                                                    answer, busy)
            await wait_for(lambda: all(i.callbacks for i in a_inters), 15, "answer callbacks")
            a_cpu = cpu_seconds(pid) - cpu0
            h1 = bot_histogram(port)
            a_bot = [hist_quantile(h0, h1, q) for q in (0.5, 0.99)]
            log(f"fake CPU in the answers phase: {100 * (sum(os.times()[:2]) - f0) / a_secs:.0f} %")
            a_lat = latencies(a_inters)

            # 3. a burst of submits, nothing else
            h0 = bot_histogram(port)
            b0 = time.monotonic()
            b_inters = [answer() for _ in range(args.burst)]
            await wait_for(lambda: all(i.callbacks for i in b_inters), 60, "burst callbacks")
            b_secs = max(i.callbacks[0]["at"] for i in b_inters) - b0
            b_lat = latencies(b_inters)
            b_bot = [hist_quantile(h0, bot_histogram(port), q) for q in (0.5, 0.99)]

            # 4. ratings after the reveal
            deadline = posted_at + window
            log(f"waiting {max(0, deadline - time.monotonic()):.0f} s for the reveal")
            rate_buttons = await wait_for(
                lambda: [(m, b) for msgs in list(fake.messages.values()) for m in msgs
                         for b in buttons(m) if b["custom_id"].startswith("sb1:r:")],
                window + 120, "the reveal's rating buttons")

            def rating():
                m, b = random.choice(rate_buttons)
                return fake.interaction("button", custom_id=b["custom_id"], message=m,
                                        user_id=random.choice(members), channel_id=m["channel_id"])

            cpu0 = cpu_seconds(pid)
            h0 = bot_histogram(port)
            r_inters, r_msgs, r_secs = await stream(fake, args.seconds, args.rate, args.answer_share,
                                                    rating, busy)
            await wait_for(lambda: all(i.callbacks for i in r_inters), 15, "rating callbacks")
            r_cpu = cpu_seconds(pid) - cpu0
            r_bot = [hist_quantile(h0, bot_histogram(port), q) for q in (0.5, 0.99)]
            r_lat = latencies(r_inters)
        except RuntimeError as e:
            problems.append(str(e))
        finally:
            await bot.stop()
        if fake.violations:
            problems.append(f"violations: {fake.violations[:5]}")
        late = [i for i in a_inters + b_inters + r_inters
                if i.callbacks and i.callbacks[0].get("status") not in (200, 204)]
        if late:
            problems.append(f"{len(late)} callbacks refused (late or invalid)")

    if problems:
        for p in problems:
            log("problem: " + p)
        return 1
    rows = [
        ("answers (mixed)", len(a_inters), a_msgs, a_secs, a_lat, a_cpu, a_bot),
        ("ratings (mixed)", len(r_inters), r_msgs, r_secs, r_lat, r_cpu, r_bot),
        ("answers (burst)", len(b_inters), 0, b_secs, b_lat, None, b_bot),
    ]
    print("latency at the fake: INTERACTION_CREATE written -> callback request received;")
    print("in the bot: read off the gateway -> response handed to its HTTP client (/metrics)")
    print(f"{'phase':<16} {'events/s':>9} {'inter':>6} {'msgs':>6} {'p50 ms':>7} {'p90 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'bot p50':>8} {'bot p99':>8} {'bot CPU %':>9}")
    result = {"bench": "interaction_latency", "rate": args.rate, "seconds": args.seconds,
              "members": args.members, "phases": []}
    for name, n, msgs, secs, lat, cpu, own in rows:
        evs = (n + msgs) / secs if secs > 0 else 0.0
        cpu_pct = f"{100.0 * cpu / secs:9.1f}" if cpu is not None else f"{'':>9}"
        print(f"{name:<16} {evs:9.0f} {n:6d} {msgs:6d} {pct(lat, 50):7.2f} {pct(lat, 90):7.2f} "
              f"{pct(lat, 99):7.2f} {max(lat) if lat else float('nan'):7.2f} {own[0]:8.2f} {own[1]:8.2f} "
              f"{cpu_pct}")
        result["phases"].append({"phase": name, "events_per_s": evs, "interactions": n, "messages": msgs,
                                 "seconds": secs, "p50_ms": pct(lat, 50), "p90_ms": pct(lat, 90),
                                 "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None,
                                 "bot_p50_ms": own[0], "bot_p99_ms": own[1], "cpu_seconds": cpu})
    print(f"answers recorded per second (burst of {args.burst}): {len(b_inters) / b_secs:.0f}")
    result["answers_per_s_burst"] = len(b_inters) / b_secs
    print(json.dumps(result))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"))
    p.add_argument("--rate", type=int, default=1000, help="events per second in the mixed phases")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each mixed phase")
    p.add_argument("--answer-share", type=float, default=0.2, help="share of interactions in the stream")
    p.add_argument("--members", type=int, default=40)
    p.add_argument("--burst", type=int, default=500)
    args = p.parse_args()
    if not os.access(args.binary, os.X_OK):
        log(f"no studybot binary at {args.binary}")
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Slack Socket Mode ingest benchmark: studybot against Slack's own SDK client.

The fake Slack (tests/fakes/fake_slack.py, in this process) pushes the same
stream of events_api envelopes to
  studybot    build/studybot run, platform = slack, log_level = info
  socket-mode tests/bench/slackjs/bench_client.js: @slack/socket-mode's
              SocketModeClient, acking every envelope and doing nothing else
Every envelope is a message event of about 1.3 KB (the whole frame); most are
in channels the bot does not study (a quarter of those are thread replies),
one in 50 is a reply in a thread of the studied channel. The stream is the
same for both clients (built once from a seed).

For each client: the fake starts, the client connects (hello), its CPU goes
quiet, then
  warm-up      500 envelopes, 50 in flight (not measured)
  one in flight  --n1 envelopes (default 2000): the next one goes out when the
               previous one's ack arrives
  200 in flight  --n envelopes (default 20000), --window in flight
Reported: envelopes/s (200 in flight: envelopes over the time from the first
send to the last ack), client CPU per envelope (utime+stime from
/proc/PID/stat before and after each phase, and the same from the
ns-resolution /proc/PID/task/*/schedstat), ack latency p50/p99 per phase
(measured at the fake: from the envelope written to the socket to the ack
read off it, so the fake's own read path is included, the same for both
clients), and peak RSS (VmHWM at the end, the whole run). Ratios against the
targets: the SDK's CPU per envelope ≥ 10× studybot's, studybot's ack p99 with
one in flight ≤ 1 ms, the SDK's peak RSS ≥ 10× studybot's.

Usage:
  bench_slack.py [--binary build/studybot] [--build-dir DIR] [--n 20000] [--n1 2000]
                 [--window 200] [--only studybot,socketmode,socketmode-deflate]
                 [--repeat 1] [--seed 1]

@slack/socket-mode is installed (exact version in tests/xval/slackjs/package-lock.json)
with `npm ci --ignore-scripts` into BUILD_DIR/bench-slackjs when missing.

Prints a table, then one line `{"bench": "slack_ingest", ...}` with every
figure. Timing never fails the run; the exit status is 1 only when something
did not work (a client never connected, an envelope was not acked, acked twice
or retried, the fake recorded a violation, a phase stalled), 2 on bad usage
or setup. Loopback only; every phase is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "fakes"))
sys.path.insert(0, os.path.join(REPO, "tests", "xval"))
from bench_gateway import Proc, cpu_ns, cpu_seconds, peak_rss_kib  # noqa: E402
from fake_slack import FakeSlack, dumps  # noqa: E402
from npm import NpmError, npm_ci  # noqa: E402

APP_TOKEN = "xapp-1-A0STUDYBOT-1-bench0slack0app0token"
BOT_TOKEN = "xoxb-1-2-bench0slack0bot0token"
CLIENTS = ("studybot", "socketmode", "socketmode-deflate")
LABEL = {"studybot": "studybot", "socketmode": "socket-mode", "socketmode-deflate": "socket-mode+pmd"}
STUDY = "C0STUDY"
OTHERS = [f"C0OTHER{i}" for i in range(1, 9)]
USERS = [f"U0MEMBER{i:02d}" for i in range(1, 21)]
FRAME_BYTES = 1300
STUDIED_EVERY = 50  # one envelope in 50 is a reply in a studied channel's thread
THREAD_SHARE = 0.25  # of the rest, replies in threads of unstudied channels
WARMUP, WARMUP_WINDOW = 500, 50
READY_TIMEOUT = 60.0
STALL_S = 10.0  # a phase with no ack for this long is stopped and reported
FILLER = ("Has anyone compared select_related and prefetch_related on a big queryset? The first follows "
          "foreign keys with a JOIN in the same query, the second runs one more query per relation and "
          "joins in Python, which wins for many-to-many and reverse foreign keys. ")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: List[float], p: float) -> Optional[float]:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


class SetupError(Exception):
    pass


# ---------------------------------------------------------------- the stream

def build_stream(n: int, seed: int) -> List[Dict[str, Any]]:
    """n message events (the `event` of an events_api payload), ~FRAME_BYTES a frame."""
    rng = random.Random(seed)
    # The envelope around an event (payload fields, authorizations, ids) is
    # measured on a fake that is never started: nothing is sent.
    probe = FakeSlack(APP_TOKEN, BOT_TOKEN)
    sample = _message(rng, 0, STUDY, None, "x")
    overhead = len(dumps(probe.event(sample).frame()).encode()) - 1
    # The text appears twice: in `text` and in its rich_text block.
    room = max(40, (FRAME_BYTES - overhead) // 2)
    rng = random.Random(seed)
    base = int(time.time()) - 86400
    parents: Dict[str, List[str]] = {c: [] for c in OTHERS}
    study_parent = f"{base - 3600}.000100"
    out = []
    for i in range(n):
        ts = f"{base + i // 100000}.{i % 100000 + 1:06d}"
        if i % STUDIED_EVERY == STUDIED_EVERY - 1:
            channel, thread = STUDY, study_parent
        else:
            channel = rng.choice(OTHERS)
            thread = rng.choice(parents[channel]) if parents[channel] and rng.random() < THREAD_SHARE else None
            if thread is None and len(parents[channel]) < 50:
                parents[channel].append(ts)
        start = rng.randrange(len(FILLER))
        text = (FILLER * (room // len(FILLER) + 2))[start:start + room - 8] + f" #{i}"
        out.append(_message(rng, i, channel, thread, text, ts))
    return out


def _message(rng: random.Random, i: int, channel: str, thread: Optional[str], text: str,
             ts: str = "1700000000.000001") -> Dict[str, Any]:
    user = rng.choice(USERS)
    ev = {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
          "client_msg_id": "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                                           rng.getrandbits(16), rng.getrandbits(16),
                                                           rng.getrandbits(48)),
          "team": FakeSlack.TEAM_ID, "channel_type": "channel", "event_ts": ts,
          "blocks": [{"type": "rich_text", "block_id": "%04x" % rng.getrandbits(16),
                      "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]}
    if thread:
        ev["thread_ts"] = thread
        ev["parent_user_id"] = USERS[0]
    return ev


class BenchFake(FakeSlack):
    """The fake, telling the stream about each ack as it is read."""

    on_ack: Any = None
    refuse_deflate = False

    async def _ws_entry(self, request: Any) -> Any:
        # undici's WebSocket (under @slack/socket-mode) offers permessage-deflate
        # and aiohttp accepts it; Slack's docs do not say whether Slack does. To
        # compare like with like, the offer can be dropped here (as if refused).
        if self.refuse_deflate and "Sec-WebSocket-Extensions" in request.headers:
            headers = request.headers.copy()
            del headers["Sec-WebSocket-Extensions"]
            request = request.clone(headers=headers)
        return await super()._ws_entry(request)

    def _on_client_text(self, conn: Any, data: str) -> None:
        super()._on_client_text(conn, data)
        if self.on_ack is not None:
            try:
                eid = json.loads(data).get("envelope_id")
            except (ValueError, AttributeError):
                return
            self.on_ack(eid)


class Phase:
    """Pushes events with at most `window` envelopes unacked; done when all are acked."""

    def __init__(self, fake: BenchFake, events: List[Dict[str, Any]], window: int) -> None:
        self.fake, self.events, self.window = fake, events, window
        self.next = 0
        self.inflight: Dict[str, Any] = {}
        self.envs: List[Any] = []
        self.done = asyncio.Event()
        self.last_ack = time.monotonic()

    def start(self) -> None:
        self.fake.on_ack = self.acked
        self.last_ack = time.monotonic()
        self.push()

    def push(self) -> None:
        while len(self.inflight) < self.window and self.next < len(self.events):
            env = self.fake.event(self.events[self.next])
            self.next += 1
            self.inflight[env.id] = env
            self.envs.append(env)
        if not self.inflight and self.next >= len(self.events):
            self.done.set()

    def acked(self, eid: str) -> None:
        env = self.inflight.get(eid)
        if env is None or not env.acked:
            return
        del self.inflight[eid]
        self.last_ack = time.monotonic()
        # The fake looks an ack's envelope up by a scan of its list: keep it short.
        try:
            self.fake.envelopes.remove(env)
        except ValueError:
            pass
        self.push()

    async def run(self, limit: float) -> Optional[str]:
        """None when every envelope was acked, else what went wrong."""
        self.start()
        deadline = time.monotonic() + limit
        while not self.done.is_set():
            try:
                await asyncio.wait_for(self.done.wait(), 0.5)
            except asyncio.TimeoutError:
                pass
            now = time.monotonic()
            if self.done.is_set():
                break
            if now - self.last_ack > STALL_S:
                return f"no ack for {STALL_S:g} s ({len(self.envs) - len(self.inflight)} of {len(self.events)} acked)"
            if now > deadline:
                return f"not done within {limit:g} s ({len(self.envs) - len(self.inflight)} of {len(self.events)} acked)"
        self.fake.on_ack = None
        return None


def phase_figures(fake: BenchFake, ph: Phase) -> Dict[str, Any]:
    """Latencies from the write of each envelope (the fake's send log) to its ack."""
    written: Dict[str, float] = {}
    for conn in fake.connections:
        for s in conn.sent:
            eid = s.get("envelope_id")
            if eid and eid not in written:
                written[eid] = s["at"]
    lat = [(e.acked_at - written[e.id]) * 1000 for e in ph.envs if e.acked_at and e.id in written]
    # Thread replies go on to the core (and the store); the rest are dropped on reading.
    lat_thread = [(e.acked_at - written[e.id]) * 1000 for e in ph.envs
                  if e.acked_at and e.id in written and e.payload["event"].get("thread_ts")]
    first = min((written[e.id] for e in ph.envs if e.id in written), default=None)
    last = max((e.acked_at for e in ph.envs if e.acked_at), default=None)
    secs = (last - first) if first is not None and last is not None else None
    return {"n": len(ph.envs), "seconds": secs, "per_s": len(ph.envs) / secs if secs else None,
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None,
            "thread_p50_ms": pct(lat_thread, 50), "thread_p99_ms": pct(lat_thread, 99),
            "retried": sum(1 for e in ph.envs if e.deliveries > 1)}


# ------------------------------------------------------------------ clients

def prepare_socketmode(build_dir: str) -> str:
    work = os.path.join(os.path.abspath(build_dir), "bench-slackjs")
    try:
        npm_ci(os.path.join(REPO, "tests", "xval", "slackjs"), work, log=log)
    except NpmError as e:
        raise SetupError(str(e))
    shutil.copyfile(os.path.join(HERE, "slackjs", "bench_client.js"), os.path.join(work, "bench_client.js"))
    return work


def studybot_config(path: str, tmp: str, fake: FakeSlack) -> None:
    # The round is scheduled 12 h away: nothing is posted during the run.
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=12)
    with open(path, "w") as f:
        f.write(f"""[bot]
platform = slack
database = {tmp}/studybot.db
questions = {REPO}/questions
log_level = info
http_listen =

[slack]
app_token_env = SLACK_APP_TOKEN
bot_token_env = SLACK_BOT_TOKEN
api_base = {fake.api_base}
connections = 1
admins =

[channel "bench"]
id = {STUDY}
schedule = {at:%H:%M}
timezone = UTC
answer_mode = thread
""")


def start_client(client: str, fake: FakeSlack, tmp: str, binary: str, js_dir: Optional[str]) -> Proc:
    env = dict(os.environ, SLACK_APP_TOKEN=APP_TOKEN, SLACK_BOT_TOKEN=BOT_TOKEN)
    if client == "studybot":
        cfg = os.path.join(tmp, "studybot.ini")
        studybot_config(cfg, tmp, fake)
        return Proc("studybot", [binary, "run", "-c", cfg], env=env, cwd=tmp)
    env["FAKE_API_BASE"] = fake.api_base
    return Proc("socket-mode", [shutil.which("node") or "node", "bench_client.js"], env=env, cwd=js_dir)


async def wait_quiet(pid: int, timeout: float = 10.0, window: float = 0.3) -> None:
    """Until the process used no CPU tick over `window` s (start-up work done), or timeout."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(window)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now


async def run_one(client: str, events: List[Dict[str, Any]], args: argparse.Namespace,
                  js_dir: Optional[str]) -> Dict[str, Any]:
    label = LABEL[client]
    res: Dict[str, Any] = {"client": client, "label": label, "ok": False, "problems": [], "notes": []}
    problems: List[str] = res["problems"]
    tmp = tempfile.mkdtemp(prefix="bench-slack-")
    fake = BenchFake(APP_TOKEN, BOT_TOKEN, users=[{"id": u, "name": u.lower()} for u in USERS],
                     channels=[{"id": STUDY, "name": "study"}] + [{"id": c} for c in OTHERS])
    fake.refuse_deflate = client == "socketmode"
    proc: Optional[Proc] = None
    try:
        await fake.start()
        proc = start_client(client, fake, tmp, args.binary, js_dir)
        try:
            await fake.wait_hello(1, READY_TIMEOUT)
        except asyncio.TimeoutError:
            problems.append(f"{label} never connected (no hello within {READY_TIMEOUT:g} s"
                            + (f"; it exited with {proc.p.returncode})" if not proc.alive() else ")"))
            return res
        if client != "studybot":
            t0 = time.monotonic()
            while not proc.json_events("ready") and proc.alive() and time.monotonic() - t0 < READY_TIMEOUT:
                await asyncio.sleep(0.05)
        conn = fake.connections[-1]
        res["extensions_offered"] = conn.request.headers.get("Sec-WebSocket-Extensions", "")
        res["permessage_deflate"] = bool(getattr(conn.ws, "compress", 0))
        if res["permessage_deflate"]:
            res["notes"].append(f"frames are deflated (permessage-deflate, offered as "
                                f"{res['extensions_offered']!r} and accepted by the fake)")
        await wait_quiet(proc.pid)
        res["rss_before_mib"] = (peak_rss_kib(proc.pid, "VmRSS") or 0) / 1024
        # The fake's collector would stop it for ever longer pauses as the
        # stream's objects pile up: off for the phases, the stream frozen.
        gc.collect()
        gc.freeze()
        gc.disable()
        warm = events[:WARMUP]
        one = events[WARMUP:WARMUP + args.n1]
        many = events[WARMUP + args.n1:WARMUP + args.n1 + args.n]
        for name, evs, window in (("warmup", warm, WARMUP_WINDOW), ("one", one, 1), ("many", many, args.window)):
            if not evs:
                continue
            log(f"{label}: {len(evs)} envelopes, {window} in flight")
            ph = Phase(fake, evs, window)
            cpu0, ns0 = cpu_seconds(proc.pid), cpu_ns(proc.pid)
            err = await ph.run(limit=30 + len(evs) / 200.0)
            cpu1, ns1 = cpu_seconds(proc.pid), cpu_ns(proc.pid)
            if err:
                problems.append(f"{name} phase ({window} in flight): {err}")
                return res
            if name == "warmup":
                continue
            f = phase_figures(fake, ph)
            f["cpu_us"] = (cpu1 - cpu0) / len(evs) * 1e6
            f["sched_us"] = (ns1 - ns0) / len(evs) / 1e3 if ns0 is not None and ns1 is not None else None
            res[name] = f
            if f["retried"]:
                problems.append(f"{f['retried']} envelopes of the {name} phase were delivered again "
                                f"(not acked within {fake.ack_timeout:g} s)")
        rss = peak_rss_kib(proc.pid)
        res["peak_rss_mib"] = rss / 1024 if rss is not None else None
        twice = [v for v in fake.violations if "acked twice" in v]
        if fake.violations:
            problems.append(f"the fake recorded {len(fake.violations)} violations, e.g. {fake.violations[0]}")
        if twice:
            problems.append(f"{len(twice)} envelopes acked twice")
    except SetupError as e:
        problems.append(str(e))
    finally:
        gc.enable()
        gc.unfreeze()
        if proc is not None:
            res["exit_code"] = proc.stop()
            res["log_lines"] = len(proc.err)
            if problems:
                res["stderr_tail"] = proc.err[-15:]
        await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    res["ok"] = not problems
    return res


KEYS = ("per_s", "cpu_us", "sched_us", "p50_ms", "p99_ms", "max_ms", "seconds")


def median(vals: List[float]) -> Optional[float]:
    vals = sorted(v for v in vals if v is not None)
    if not vals:
        return None
    m = len(vals) // 2
    return vals[m] if len(vals) % 2 else (vals[m - 1] + vals[m]) / 2


def combine(rounds: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One result from repeated runs: the median of each figure, every problem and note."""
    if len(rounds) == 1:
        return rounds[0]
    out = dict(rounds[-1])
    for ph in ("one", "many"):
        have = [r[ph] for r in rounds if ph in r]
        if have:
            out[ph] = dict(have[-1])
            for k in KEYS:
                out[ph][k] = median([h.get(k) for h in have])
    for k in ("peak_rss_mib", "rss_before_mib"):
        out[k] = median([r.get(k) for r in rounds])
    out["runs"] = [{"per_s": r.get("many", {}).get("per_s"), "cpu_us": r.get("many", {}).get("cpu_us"),
                    "p99_one_ms": r.get("one", {}).get("p99_ms"), "peak_rss_mib": r.get("peak_rss_mib")}
                   for r in rounds]
    for k in ("problems", "notes"):
        out[k] = list(dict.fromkeys(x for r in rounds for x in r[k]))
    out["ok"] = all(r["ok"] for r in rounds)
    return out


# ------------------------------------------------------------------- report

def fmt(v: Any, spec: str) -> str:
    if v is None:
        return format("-", ">" + spec.split(".")[0])
    return format(v, spec)


def report(results: List[Dict[str, Any]], args: argparse.Namespace, frame_bytes: float) -> Dict[str, Any]:
    print(f"slack socket mode ingest: message events of ~{frame_bytes:.0f} B a frame, 1 in {STUDIED_EVERY} in a "
          f"studied channel's thread; {args.n1} with 1 in flight, {args.n} with {args.window} in flight; "
          f"fake in the benchmark's process" + (f"; medians of {args.repeat} runs" if args.repeat > 1 else ""))
    w = args.window
    head = (f"{'client':<15} {'env/s':>7} {'CPU us/env':>10} {'(sched)':>8} {'(1 in fl.)':>10} "
            f"{'ack p50 ms':>10} {'p99':>6} {f'p50@{w}':>8} {f'p99@{w}':>8} {'peak RSS MiB':>12}")
    print(head)
    print("-" * len(head))
    for r in results:
        one, many = r.get("one", {}), r.get("many", {})
        print(f"{r['label']:<15} {fmt(many.get('per_s'), '7.0f')} {fmt(many.get('cpu_us'), '10.1f')} "
              f"{fmt(many.get('sched_us'), '8.1f')} {fmt(one.get('sched_us'), '10.1f')} "
              f"{fmt(one.get('p50_ms'), '10.3f')} {fmt(one.get('p99_ms'), '6.3f')} "
              f"{fmt(many.get('p50_ms'), '8.2f')} {fmt(many.get('p99_ms'), '8.2f')} "
              f"{fmt(r.get('peak_rss_mib'), '12.1f')}")
    for r in results:
        for p in r["problems"]:
            print(f"PROBLEM {r['label']}: {p}")
        for n in r["notes"]:
            print(f"note: {r['label']}: {n}")
        if r["problems"] and r.get("stderr_tail"):
            print(f"  --- {r['label']} stderr (tail) ---")
            for line in r["stderr_tail"]:
                print("  " + line)

    by = {r["client"]: r for r in results}
    ratios: Dict[str, Optional[float]] = {}
    sb, sm = by.get("studybot"), by.get("socketmode")

    def div(a: Optional[float], b: Optional[float]) -> Optional[float]:
        return a / b if a is not None and b else None

    if sb and sm:
        ratios["cpu_per_envelope"] = div(sm.get("many", {}).get("cpu_us"), sb.get("many", {}).get("cpu_us"))
        ratios["cpu_per_envelope_sched"] = div(sm.get("many", {}).get("sched_us"), sb.get("many", {}).get("sched_us"))
        ratios["cpu_per_envelope_one_in_flight_sched"] = div(sm.get("one", {}).get("sched_us"),
                                                             sb.get("one", {}).get("sched_us"))
        ratios["peak_rss"] = div(sm.get("peak_rss_mib"), sb.get("peak_rss_mib"))
        pmd = by.get("socketmode-deflate")
        if pmd:
            ratios["cpu_per_envelope_deflate"] = div(pmd.get("many", {}).get("cpu_us"), sb.get("many", {}).get("cpu_us"))
            ratios["peak_rss_deflate"] = div(pmd.get("peak_rss_mib"), sb.get("peak_rss_mib"))
        ratios["envelopes_per_s"] = div(sb.get("many", {}).get("per_s"), sm.get("many", {}).get("per_s"))
        print("ratios (target in brackets):")
        rows = (("socket-mode / studybot CPU per envelope, utime+stime", "cpu_per_envelope", "[>= 10x]"),
                ("socket-mode / studybot CPU per envelope, schedstat", "cpu_per_envelope_sched", "[>= 10x]"),
                ("socket-mode / studybot CPU per envelope, 1 in flight, schedstat",
                 "cpu_per_envelope_one_in_flight_sched", ""),
                ("socket-mode / studybot peak RSS", "peak_rss", "[>= 10x]"),
                ("studybot / socket-mode envelopes/s", "envelopes_per_s", ""),
                ("socket-mode+pmd / studybot CPU per envelope, utime+stime", "cpu_per_envelope_deflate", ""),
                ("socket-mode+pmd / studybot peak RSS", "peak_rss_deflate", ""))
        for text, key, target in rows:
            if key not in ratios:
                continue
            print(f"  {text:<66} {fmt(ratios[key], '5.1f')}x {target}")
    if sb and sb.get("one"):
        p99 = sb["one"].get("p99_ms")
        print(f"  studybot ack p99 with 1 in flight: {fmt(p99, '.3f')} ms [<= 1 ms: "
              f"{'met' if p99 is not None and p99 <= 1.0 else 'missed'}]")
    line = {"bench": "slack_ingest", "n": args.n, "n1": args.n1, "window": args.window, "repeat": args.repeat,
            "frame_bytes": round(frame_bytes), "results": [{k: v for k, v in r.items() if k != "stderr_tail"}
                                                           for r in results], "ratios": ratios}
    print(json.dumps(line))
    return line


async def amain(args: argparse.Namespace, js_dir: Optional[str]) -> int:
    events = build_stream(WARMUP + args.n1 + args.n, args.seed)
    probe = FakeSlack(APP_TOKEN, BOT_TOKEN)
    frame_bytes = sum(len(dumps(probe.event(e).frame()).encode()) for e in events[:200]) / min(200, len(events))
    results = []
    for client in [c for c in CLIENTS if c in args.only]:
        rounds = [await run_one(client, events, args, js_dir) for _ in range(args.repeat)]
        results.append(combine(rounds))
    report(results, args, frame_bytes)
    failed = [r["label"] for r in results if not r["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)} did not complete; see PROBLEM lines above")
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Slack Socket Mode ingest: studybot against @slack/socket-mode.")
    p.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"), help="studybot binary")
    p.add_argument("--build-dir", help="where @slack/socket-mode is installed (default: the binary's directory)")
    p.add_argument("--n", type=int, default=20000, help="envelopes with --window in flight (default 20000)")
    p.add_argument("--n1", type=int, default=2000, help="envelopes with one in flight (default 2000)")
    p.add_argument("--window", type=int, default=200, help="envelopes in flight in the main phase (default 200)")
    p.add_argument("--only", default=",".join(CLIENTS), help="comma-separated: studybot,socketmode,socketmode-deflate")
    p.add_argument("--repeat", type=int, default=1, help="runs per client; figures are the medians (default 1)")
    p.add_argument("--seed", type=int, default=1, help="seed of the stream (default 1)")
    args = p.parse_args(argv)
    args.only = [c.strip() for c in args.only.split(",") if c.strip()]
    bad = [c for c in args.only if c not in CLIENTS]
    if bad or not args.only:
        p.error(f"--only takes {','.join(CLIENTS)} (got {bad or 'nothing'})")
    if args.n < 1 or args.n1 < 1 or args.window < 1 or args.repeat < 1 or args.n > 200000 or args.n1 > 20000:
        p.error("--n (up to 200000), --n1 (up to 20000), --window and --repeat must be positive")
    args.binary = os.path.abspath(args.binary)
    if "studybot" in args.only and not os.access(args.binary, os.X_OK):
        log(f"studybot binary not found: {args.binary} (build first: cmake --build --preset default)")
        return 2
    js_dir = None
    if "socketmode" in args.only or "socketmode-deflate" in args.only:
        try:
            js_dir = prepare_socketmode(args.build_dir or os.path.dirname(args.binary))
        except SetupError as e:
            log(f"setup: {e}")
            return 2
    return asyncio.run(amain(args, js_dir))


if __name__ == "__main__":
    sys.exit(main())

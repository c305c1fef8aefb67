#!/usr/bin/python3
"""Gateway ingest benchmark: CPU per event and peak memory of three Discord clients.

The same stream from the fake Discord (tests/fakes/fake_discord.py) goes to
  studybot    build/studybot run, [discord] compress = zlib-stream and none
  discord.js  tests/bench/discordjs/bench_client.js (no zlib-sync, so no zlib-stream;
              with and without the websocket permessage-deflate extension)
  discord.py  tests/bench/discordpy_client.py (always zlib-stream)
For each run: the fake starts as its own process (its CPU is not the client's),
the client starts and identifies, its CPU goes quiet, then POST /_fake/stream
sends N ~1 KB MESSAGE_CREATEs into a thread channel as fast as the client
reads them, then one slash-command INTERACTION_CREATE, and returns once the
client's callback arrives. The client's CPU time (utime+stime from
/proc/PID/stat, children included) is read just before the stream and just
after the callback; peak RSS is VmHWM from /proc/PID/status at the end.
Reported per client: events/s (N / seconds from the first frame to the
callback), CPU µs per event (utime+stime, and the same from the ns-resolution
/proc/PID/task/*/schedstat, since ticks of 10 ms are coarse for a client that
spends a few µs per event), peak RSS, the events the client counted and the
callback's HTTP status. Ratios pair each library with studybot on the same
frames (discord.js uncompressed with `none`, discord.py with `zlib-stream`),
and discord.js's default, deflated frames with studybot's `zlib-stream`.

discord.js runs twice: its `ws` offers permessage-deflate by default and the
fake (aiohttp) accepts it, so by default every frame is deflated; the
`none` run withholds the offer (BENCH_NO_PERMESSAGE_DEFLATE=1 in
bench_client.js) to read the same uncompressed frames as studybot's `none`.

Usage:
  bench_gateway.py [--binary build/studybot] [--build-dir DIR] [--n 20000]
                   [--size 1000] [--only studybot,discordjs,discordpy] [--repeat 1]

discord.js is installed (exact version in discordjs/package-lock.json) with
`npm ci --ignore-scripts` into BUILD_DIR/bench-discordjs when missing.

Prints a table, then one line `{"bench": "gateway_ingest", ...}` with every
figure. Timing never fails the run; the exit status is 1 only when something
did not work (a client never got ready, no callback came, fewer events than
sent), 2 on bad usage or setup. A callback that came but too late (after
Discord's 3 s, answered 404 by the fake) and violations the fake recorded are
printed as notes: the figures stand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FAKE = os.path.join(REPO, "tests", "fakes", "fake_discord.py")
PYTHON = "/usr/bin/python3"
TOKEN = "bench.gateway.token"
CLIENTS = ("studybot", "discordjs", "discordpy")
CLK_TCK = os.sysconf("SC_CLK_TCK")
sys.dont_write_bytecode = True  # run from the source tree: leave no __pycache__ there
sys.path.insert(0, os.path.join(REPO, "tests", "xval"))
from npm import NpmError, npm_ci  # noqa: E402
READY_TIMEOUT = 60.0
CALLBACK_TIMEOUT = 15.0
STUDY_OPTIONS = [{"type": 1, "name": "leaderboard"}]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ /proc

def _children(pid: int) -> List[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> List[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _stat(pid: int) -> Optional[List[str]]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def cpu_seconds(pid: int) -> float:
    """utime+stime of pid and its live descendants, plus children it has reaped."""
    ticks = 0
    for p in _tree(pid):
        f = _stat(p)
        if f is None:
            continue
        # fields 14..17: utime stime cutime cstime (index 0 here is field 3)
        ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return ticks / CLK_TCK


def cpu_ns(pid: int) -> Optional[int]:
    """On-CPU time in ns from /proc/PID/task/*/schedstat (live threads of the tree): a
    finer clock than utime+stime's ticks, for the cheap clients; None if unavailable."""
    total, seen = 0, False
    for p in _tree(pid):
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{p}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
                    seen = True
            except (OSError, ValueError, IndexError):
                pass
    return total if seen else None


def peak_rss_kib(pid: int, field: str = "VmHWM") -> Optional[int]:
    """VmHWM (or another /proc status field in kB) of pid plus its live descendants'."""
    total, seen = 0, False
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
                        seen = True
        except OSError:
            pass
    return total if seen else None


# ------------------------------------------------------------- processes

class Proc:
    """A child process whose stdout and stderr lines are collected by threads."""

    def __init__(self, name: str, argv: List[str], env: Optional[Dict[str, str]] = None,
                 cwd: Optional[str] = None) -> None:
        self.name = name
        self.out: List[str] = []
        self.err: List[str] = []
        self.p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.p.pid
        for stream, sink in ((self.p.stdout, self.out), (self.p.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream: Any, sink: List[str]) -> None:
        for raw in iter(stream.readline, b""):
            sink.append(raw.decode(errors="replace").rstrip("\n"))

    def alive(self) -> bool:
        return self.p.poll() is None

    def json_events(self, event: str) -> List[Dict[str, Any]]:
        found = []
        for line in list(self.out):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict) and ev.get("event") == event:
                found.append(ev)
        return found

    def stop(self, grace: float = 10.0) -> Optional[int]:
        """SIGTERM, then SIGKILL after `grace` seconds; by pid only."""
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.pid}) ignored SIGTERM for {grace:g} s; SIGKILL")
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        time.sleep(0.1)  # let the pump threads drain the pipes
        return self.p.returncode


def http_json(url: str, body: Optional[Dict[str, Any]] = None, timeout: float = 10.0) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def wait_until(pred: Any, timeout: float, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class Fake:
    """The fake Discord as its own process (its CLI)."""

    def __init__(self, work: str) -> None:
        self.ready_file = os.path.join(work, "fake.ready")
        self.report_file = os.path.join(work, "fake.report.json")
        self.proc = Proc("fake", [PYTHON, FAKE, "--token", TOKEN, "--ready-file", self.ready_file,
                                  "--report-file", self.report_file, "--allow-privileged", "message_content"])
        if not wait_until(lambda: os.path.exists(self.ready_file) or not self.proc.alive(), 30):
            raise SetupError("the fake did not start within 30 s")
        if not os.path.exists(self.ready_file):
            raise SetupError("the fake exited at start:\n" + "\n".join(self.proc.err[-20:]))
        with open(self.ready_file) as f:
            self.info: Dict[str, Any] = json.loads(f.readline())
        self.control = self.info["control_url"]
        self.thread_id = self.info["channels"]["answers"]
        self.study_id = self.info["channels"]["daily-question"]

    def state(self) -> Dict[str, Any]:
        return http_json(self.control + "/state")

    def identified(self) -> bool:
        try:
            return any(c["identified"] and c["open"] for c in self.state()["connections"])
        except (OSError, ValueError):
            return False

    def stream(self, n: int, size: int) -> Dict[str, Any]:
        # `options`: studybot's /study has only subcommands, so Discord never
        # sends a bare /study; a fake that passes options on to the
        # interaction sends /study leaderboard (the libraries answer any).
        return http_json(self.control + "/stream",
                         {"n": n, "channel_id": self.thread_id, "size": size, "command": "study",
                          "options": STUDY_OPTIONS, "callback_timeout": CALLBACK_TIMEOUT},
                         timeout=CALLBACK_TIMEOUT + 120 + n / 200.0)

    def stop(self) -> Dict[str, Any]:
        self.proc.stop()
        try:
            with open(self.report_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


class SetupError(Exception):
    pass


# --------------------------------------------------------------- clients

def prepare_discordjs(build_dir: str) -> str:
    """BUILD_DIR/bench-discordjs with node_modules (the same discord.js pin as
    tests/xval) and bench_client.js."""
    work = os.path.join(os.path.abspath(build_dir), "bench-discordjs")
    try:
        npm_ci(os.path.join(REPO, "tests", "xval", "discordjs"), work, log=log)
    except NpmError as e:
        raise SetupError(str(e))
    shutil.copyfile(os.path.join(HERE, "discordjs", "bench_client.js"),
                    os.path.join(work, "bench_client.js"))
    return work


def studybot_config(path: str, tmp: str, fake: Fake, compress: str) -> None:
    with open(path, "w") as f:
        f.write(f"""[bot]
platform = discord
database = {tmp}/studybot.db
questions = {REPO}/questions
log_level = info
http_listen =

[discord]
token_env = DISCORD_TOKEN
api_base = {fake.info["api_url"]}
compress = {compress}

[channel "bench"]
id = {fake.study_id}
schedule = 09:00
timezone = UTC
answer_mode = thread
""")


def start_client(client: str, compress: str, fake: Fake, tmp: str, binary: str, js_dir: Optional[str]) -> Proc:
    env = dict(os.environ, DISCORD_TOKEN=TOKEN)
    if client == "studybot":
        cfg = os.path.join(tmp, "studybot.ini")
        studybot_config(cfg, tmp, fake, compress)
        return Proc("studybot", [binary, "run", "-c", cfg], env=env, cwd=tmp)
    if client == "discordjs":
        env["FAKE_API_BASE"] = fake.info["api_base"]
        env["BENCH_NO_PERMESSAGE_DEFLATE"] = "0" if compress == "permessage-deflate" else "1"
        return Proc("discord.js", [shutil.which("node") or "node", "bench_client.js"], env=env, cwd=js_dir)
    env["FAKE_API_URL"] = fake.info["api_url"]
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return Proc("discord.py", [PYTHON, os.path.join(HERE, "discordpy_client.py")], env=env, cwd=tmp)


def wait_quiet(pid: int, timeout: float = 10.0, window: float = 0.3) -> None:
    """Until the process used no CPU tick over `window` s (start-up work done), or timeout."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now


STOPPED_RE = re.compile(r'msg="?discord stopped"?.*?\bevents=(\d+)')


def run_one(client: str, compress: str, args: argparse.Namespace, js_dir: Optional[str]) -> Dict[str, Any]:
    label = {"studybot": "studybot", "discordjs": "discord.js", "discordpy": "discord.py"}[client]
    res: Dict[str, Any] = {"client": client, "label": label, "compress": compress, "n": args.n, "ok": False,
                           "problems": [], "notes": []}
    problems: List[str] = res["problems"]  # something did not work: the run fails
    notes: List[str] = res["notes"]  # worth knowing, figures stand
    tmp = tempfile.mkdtemp(prefix="bench-gateway-")
    fake: Optional[Fake] = None
    proc: Optional[Proc] = None
    try:
        fake = Fake(tmp)
        proc = start_client(client, compress, fake, tmp, args.binary, js_dir)
        # Ready: the fake shows an identified connection, and the libraries say so too.
        ok = wait_until(lambda: fake.identified() or not proc.alive(), READY_TIMEOUT, 0.1)
        if client != "studybot":
            ok = ok and wait_until(lambda: proc.json_events("ready") or not proc.alive(), READY_TIMEOUT, 0.05)
        if not ok or not proc.alive() or not fake.identified():
            problems.append(f"{label} never got ready (identified at the fake: {'yes' if fake.identified() else 'no'}; "
                            + (f"it exited with {proc.p.returncode})" if not proc.alive()
                               else f"waited {READY_TIMEOUT:g} s)"))
            return res
        conns = [c for c in fake.state()["connections"] if c["identified"]]
        res["gateway_compress"] = conns[-1]["compress"]
        if bool(res["gateway_compress"]) != (compress == "zlib-stream"):
            notes.append(f"asked for compress={compress}, but the connection's compression is "
                         f"{res['gateway_compress']!r}")
        wait_quiet(proc.pid)
        rss0 = peak_rss_kib(proc.pid, "VmRSS")
        cpu0, ns0 = cpu_seconds(proc.pid), cpu_ns(proc.pid)
        log(f"{label} ({compress}): streaming {args.n} messages")
        try:
            st = fake.stream(args.n, args.size)
        except urllib.error.HTTPError as e:
            problems.append(f"the stream failed: HTTP {e.code} {e.read()[:300]!r}")
            return res
        cpu1, ns1 = cpu_seconds(proc.pid), cpu_ns(proc.pid)
        rss = peak_rss_kib(proc.pid)
        res.update({
            "total_seconds": st.get("total_seconds"), "send_seconds": st.get("send_seconds"),
            "bytes": st.get("bytes"), "frames": st.get("frames"), "callback_status": st.get("callback_status"),
            "callback_latency_ms": (st["callback_latency"] * 1000 if st.get("callback_latency") is not None
                                    else None),
            "cpu_seconds": cpu1 - cpu0,
            "cpu_us_per_event": (cpu1 - cpu0) / args.n * 1e6,
            "sched_us_per_event": (ns1 - ns0) / args.n / 1e3 if ns0 is not None and ns1 is not None else None,
            "peak_rss_mib": rss / 1024 if rss is not None else None,
            "rss_before_mib": rss0 / 1024 if rss0 is not None else None,
            "events_per_s": (args.n / st["total_seconds"]) if st.get("total_seconds") else None,
        })
        if st.get("callback_status") is None:
            problems.append(f"{label} did not answer the slash-command interaction within {CALLBACK_TIMEOUT:g} s "
                            f"after the stream (no callback); events/s is not measured, CPU taken "
                            f"{CALLBACK_TIMEOUT:g} s after the last frame was sent")
        elif not 200 <= int(st["callback_status"]) < 300:
            # It answered, so the figures stand; but late (after Discord's 3 s) or wrongly.
            notes.append(f"the interaction callback came {res['callback_latency_ms'] / 1000:.2f} s after the "
                         f"interaction was sent and the fake answered HTTP {st['callback_status']}"
                         + (" (Discord's limit is 3 s: the client was still working through the backlog)"
                            if res["callback_latency_ms"] > 3000 else ""))
        if client == "discordjs":
            exts = proc.json_events("ws")
            res["ws_extensions"] = exts[-1]["extensions"] if exts else None
            if res["ws_extensions"] != ("permessage-deflate" if compress == "permessage-deflate" else ""):
                notes.append(f"websocket extensions negotiated: {res['ws_extensions']!r}")
        if client != "studybot":
            seen = proc.json_events("interaction")
            res["events_seen"] = seen[-1]["count"] if seen else None
            for e in proc.json_events("error"):
                notes.append(f"{label} reported an error: {e.get('where')}: {e.get('message')}")
    except SetupError as e:
        problems.append(str(e))
    except (OSError, ValueError) as e:  # the fake's control endpoint failed or timed out
        problems.append(f"talking to the fake failed: {type(e).__name__}: {e}")
    finally:
        if proc is not None:
            code = proc.stop()
            res["exit_code"] = code
            if client == "studybot":
                m = None
                for line in proc.err:
                    m = STOPPED_RE.search(line) or m
                res["events_seen"] = int(m.group(1)) if m else None
                if m is None and "cpu_seconds" in res:
                    problems.append("studybot logged no `discord stopped ... events=N` line at exit")
                if res.get("callback_status", 0) is None:
                    why = [line for line in proc.err if "interaction" in line and "level=info" not in line]
                    if any("could not be read" in line for line in why):
                        problems.append("studybot could not read the stream's slash command (`an interaction "
                                        "could not be read`): /study has only subcommands, so the interaction "
                                        "must carry one; the fake's /_fake/stream must pass the `options` this "
                                        "harness sends on to the interaction")
                    elif why:
                        problems.append("studybot logged about the interaction: " + " | ".join(why[-3:]))
            if "cpu_seconds" in res and res.get("events_seen") is not None and res["events_seen"] < args.n:
                problems.append(f"{label} counted {res['events_seen']} events, fewer than the {args.n} sent")
            if problems:
                res["stderr_tail"] = proc.err[-15:]
        if fake is not None:
            report = fake.stop()
            # Reported, not failed on: the fake is stricter than Discord in
            # places (discord.py's User-Agent), and the figures stand anyway.
            kinds: Dict[str, List[str]] = {}
            for v in report.get("violations", []):
                where, _, what = v.partition(": ")
                where = re.sub(r"/interactions/\d+/[^/ ]+/", "/interactions/{id}/{token}/", where)
                where = re.sub(r"\b\d{15,}\b", "{id}", where)
                kinds.setdefault(what, []).append(where if len(where) <= 60 else where[:57] + "...")
            for what, wheres in kinds.items():
                where = list(dict.fromkeys(wheres))
                notes.append(f"the fake recorded a violation ({len(wheres)}x: {'; '.join(where[:3])}"
                             f"{'; ...' if len(where) > 3 else ''}): {what}")
        shutil.rmtree(tmp, ignore_errors=True)
    res["ok"] = not problems
    return res


MEDIAN_KEYS = ("events_per_s", "cpu_us_per_event", "sched_us_per_event", "cpu_seconds", "peak_rss_mib",
               "rss_before_mib", "callback_latency_ms", "total_seconds", "send_seconds")


def combine(rounds: List[Dict[str, Any]]) -> Dict[str, Any]:
    """One result from repeated runs: the median of each figure, every problem and note."""
    if len(rounds) == 1:
        return rounds[0]
    out = dict(rounds[-1])
    for k in MEDIAN_KEYS:
        vals = sorted(r[k] for r in rounds if r.get(k) is not None)
        out[k] = (vals[len(vals) // 2] if len(vals) % 2 else (vals[len(vals) // 2 - 1] + vals[len(vals) // 2]) / 2) \
            if vals else None
    out["runs"] = [{k: r.get(k) for k in ("events_per_s", "cpu_us_per_event", "sched_us_per_event", "peak_rss_mib",
                                          "callback_status")}
                   for r in rounds]
    for k in ("problems", "notes"):
        out[k] = list(dict.fromkeys(x for r in rounds for x in r[k]))
    seen = [r.get("events_seen") for r in rounds]
    out["events_seen"] = min(seen) if None not in seen else None
    statuses = [r.get("callback_status") for r in rounds]
    out["callback_status"] = None if None in statuses else max(statuses)
    out["ok"] = all(r["ok"] for r in rounds)
    return out


# ----------------------------------------------------------------- report

def fmt(v: Any, spec: str) -> str:
    if v is None:
        width = re.match(r"\d*", spec).group(0)
        return format("-", ">" + width)
    return format(v, spec)


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return a / b if a is not None and b else None


def report(results: List[Dict[str, Any]], args: argparse.Namespace) -> Dict[str, Any]:
    print(f"gateway ingest: {args.n} MESSAGE_CREATE of ~{args.size} B into a thread, then one slash command; "
          f"fake in its own process" + (f"; medians of {args.repeat} runs" if args.repeat > 1 else ""))
    head = f"{'client':<11} {'compression':<18} {'events/s':>9} {'CPU us/event':>13} {'(schedstat)':>12} " \
           f"{'peak RSS MiB':>13} {'events':>7} {'callback':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        cb = r.get("callback_status")
        cb_text = "-" if "cpu_seconds" not in r else "none" if cb is None else str(cb)
        print(f"{r['label']:<11} {r['compress']:<18} {fmt(r.get('events_per_s'), '9.0f')} "
              f"{fmt(r.get('cpu_us_per_event'), '13.1f')} {fmt(r.get('sched_us_per_event'), '12.1f')} "
              f"{fmt(r.get('peak_rss_mib'), '13.1f')} "
              f"{fmt(r.get('events_seen'), '7d')} {cb_text:>9}")
    for r in results:
        for p in r["problems"]:
            print(f"PROBLEM {r['label']} ({r['compress']}): {p}")
        for n in r["notes"]:
            print(f"note: {r['label']} ({r['compress']}): {n}")
        if r["problems"] and r.get("stderr_tail"):
            print(f"  --- {r['label']} stderr (tail) ---")
            for line in r["stderr_tail"]:
                print("  " + line)

    def pick(client: str, compress: Optional[str] = None) -> Optional[Dict[str, Any]]:
        for r in results:
            if r["client"] == client and (compress is None or r["compress"] == compress) and "cpu_seconds" in r:
                return r
        return None

    ratios: Dict[str, Any] = {}
    labels: Dict[str, str] = {}
    # Like with like first: the same frames on both sides (discord.js with no
    # compression against studybot's `none`, discord.py against `zlib-stream`);
    # then discord.js's default, deflated frames, against studybot's zlib-stream.
    pairs = (("discordjs", "none", "none"), ("discordpy", "zlib-stream", "zlib-stream"),
             ("discordjs", "permessage-deflate", "zlib-stream"))
    tags = {"none": "none", "zlib-stream": "zlib", "permessage-deflate": "deflate"}
    unanswered = False
    for name, lib_compress, sb_compress in pairs:
        lib, sb = pick(name, lib_compress), pick("studybot", sb_compress)
        if not lib or not sb:
            continue
        unanswered = unanswered or sb.get("callback_status") is None
        for metric, what in (("cpu_us_per_event", "CPU/event"), ("sched_us_per_event", "CPU/event, schedstat"),
                             ("peak_rss_mib", "peak RSS")):
            short = metric.replace("_us", "").replace("_mib", "")
            key = f"{name}_{tags[lib_compress]}_{short}_vs_studybot_{tags[sb_compress]}"
            ratios[key] = ratio(lib.get(metric), sb.get(metric))
            both = lib_compress if lib_compress == sb_compress else f"{lib_compress} vs {sb_compress}"
            labels[key] = f"{lib['label']} / studybot {what} ({both})"
    if ratios:
        print("ratios:")
        for k, v in ratios.items():
            print(f"  {labels[k]:<74} {fmt(v, '5.1f')}x")
        if unanswered:
            print("  (studybot did not answer: its CPU covers the whole stream, read "
                  f"{CALLBACK_TIMEOUT:g} s after the last frame)")
    elif "studybot" in args.only:
        print("ratios: none (no studybot figures)")
    keys = ("client", "compress", "n", "ok", "events_per_s", "cpu_us_per_event", "sched_us_per_event", "cpu_seconds",
            "peak_rss_mib", "rss_before_mib", "events_seen", "callback_status", "callback_latency_ms", "total_seconds",
            "send_seconds", "bytes", "frames", "gateway_compress", "ws_extensions", "exit_code", "runs", "problems",
            "notes")
    line = {"bench": "gateway_ingest", "n": args.n, "size": args.size, "repeat": args.repeat,
            "results": [{k: r.get(k) for k in keys if k in r} for r in results], "ratios": ratios}
    print(json.dumps(line, sort_keys=False))
    return line


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Gateway ingest: CPU per event and peak RSS of three Discord clients.")
    p.add_argument("--binary", default=os.path.join(REPO, "build", "studybot"), help="studybot binary")
    p.add_argument("--build-dir", help="where discord.js is installed (default: the binary's directory)")
    p.add_argument("--n", type=int, default=20000, help="MESSAGE_CREATE events per run (default 20000)")
    p.add_argument("--size", type=int, default=1000, help="approximate bytes per event (default 1000)")
    p.add_argument("--only", default=",".join(CLIENTS), help="comma-separated: studybot,discordjs,discordpy")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs per client and setting; figures are the medians (default 1)")
    args = p.parse_args(argv)
    args.only = [c.strip() for c in args.only.split(",") if c.strip()]
    bad = [c for c in args.only if c not in CLIENTS]
    if bad or not args.only:
        p.error(f"--only takes {','.join(CLIENTS)} (got {bad or 'nothing'})")
    if args.n < 1 or args.repeat < 1:
        p.error("--n and --repeat must be positive")
    args.binary = os.path.abspath(args.binary)
    build_dir = args.build_dir or os.path.dirname(args.binary)

    runs = []
    if "studybot" in args.only:
        if not os.access(args.binary, os.X_OK):
            log(f"studybot binary not found: {args.binary} (build first: cmake --build --preset default)")
            return 2
        runs += [("studybot", "zlib-stream"), ("studybot", "none")]
    js_dir = None
    if "discordjs" in args.only:
        try:
            js_dir = prepare_discordjs(build_dir)
        except SetupError as e:
            log(f"setup: {e}")
            return 2
        runs += [("discordjs", "none"), ("discordjs", "permessage-deflate")]
    if "discordpy" in args.only:
        runs.append(("discordpy", "zlib-stream"))

    results = []
    for client, compress in runs:
        rounds = [run_one(client, compress, args, js_dir) for _ in range(args.repeat)]
        results.append(combine(rounds))
    report(results, args)
    failed = [r for r in results if not r["ok"]]
    if failed:
        print(f"FAILED: {', '.join(r['label'] + ' (' + r['compress'] + ')' for r in failed)} did not complete; "
              "see PROBLEM lines above")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

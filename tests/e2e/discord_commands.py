"""The real studybot binary against the fake Discord: where and how the
/study command is registered (SPEC §6, the rule in bot/discord/dc_bridge.h),
one scenario per ctest.

    discord_commands.py STUDYBOT SCENARIO
"""

import asyncio
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))

from botproc import Bot, run_scenario  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

BINARY = None  # the studybot under test; run_scenario() sets it

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GcMdRg.qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdF"
GLOBAL = "/applications/{application_id}/commands"
GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"
GLOBAL_ONE = "/applications/{application_id}/commands/{command_id}"

# SPEC §6, as Discord types it: (name, option type, required, choice values).
STRING, USER, CHANNEL = 3, 6, 7
SHAPE = {
    "answer": [],
    "leaderboard": [("period", STRING, False, ["day", "week", "month", "all"]),
                    ("topic", STRING, False, None)],
    "stats": [("user", USER, False, None)],
    "practice": [],
    "remind": [("state", STRING, True, ["on", "off"])],
    "setup": [("channel", CHANNEL, True, None), ("time", STRING, True, None),
              ("timezone", STRING, True, None), ("topics", STRING, False, None),
              ("difficulty", STRING, False, None), ("mode", STRING, False, ["modal", "thread"])],
    "post": [], "skip": [], "pause": [], "resume": [], "add": [], "export": [],
    "forget-me": [],
}


def channel_ini(channel_id):
    return f"""
[channel "study"]
id = {channel_id}
schedule = 09:00
timezone = UTC
"""


async def start(fake, ini="", config=None):
    bot = Bot(BINARY, fake.api_url, TOKEN, ini=ini)
    if config:  # a restart: the same config and database
        bot.config = config
    await bot.start()
    await bot.wait_log("gateway ready")
    return bot


async def finish(bot, fake, checks):
    rc = await bot.stop()
    checks.ok(rc == 0, f"exit code {rc} == 0")
    bot.assert_token_hidden()
    checks.ok(fake.violations == [], f"no protocol violations: {fake.violations}")


async def answered(fake, channel_id):
    """An interaction round trip: whatever the bot had queued before it has
    been sent by the time the answer arrives."""
    inter = fake.interaction("command", name="study", channel_id=channel_id,
                             options=[{"type": 1, "name": "remind",
                                       "options": [{"type": 3, "name": "state", "value": "on"}]}])
    await fake.wait_for(lambda: inter.callbacks, 10)
    return inter.callbacks[0]


def puts(fake, template):
    return fake.requests_to("PUT", template)


# --- scenarios ---------------------------------------------------------------

async def guild_scope(checks):
    """A configured channel in the bot's server: one guild overwrite, no
    global one, and not again after op 7, a 4000 close or a new session."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await start(fake, channel_ini(fake.STUDY_ID))
        await bot.wait_log("the /study command is registered", scope="guild")
        got = puts(fake, GUILD)
        checks.ok(len(got) == 1, f"one guild PUT ({len(got)})")
        checks.ok(got and got[0].params.get("guild_id") == fake.GUILD_ID,
                  "for the server that holds the channel")
        checks.ok(got and [c["name"] for c in got[0].json] == ["study"], "the body is [/study]")
        checks.ok(got and got[0].status == 200, f"accepted ({got and got[0].status})")
        checks.ok(puts(fake, GLOBAL) == [], "no global PUT")
        checks.ok([c["name"] for c in fake.commands.get(fake.GUILD_ID, [])] == ["study"],
                  "the server lists /study")

        fake.reconnect(fake.connections[-1])
        await fake.wait_resumed(1, timeout=20)
        fake.close(fake.connections[-1], 4000, "test")
        await fake.wait_resumed(2, timeout=20)
        fake.invalid_session(fake.connections[-1], resumable=False)
        await fake.wait_identified(2, timeout=20)
        await bot.wait_log("gateway ready", count=2, timeout=20)
        cb = await answered(fake, fake.STUDY_ID)
        checks.ok(cb["status"] in (200, 204), "still answering after the new session")
        checks.ok(len(puts(fake, GUILD)) == 1,
                  f"still one guild PUT after op 7, close 4000 and op 9 ({len(puts(fake, GUILD))})")
        checks.ok(puts(fake, GLOBAL) == [], "still no global PUT")
        checks.ok(len(fake.requests_to("GET", GLOBAL)) == 1,
                  "looked once for a stale global /study")
        checks.ok(fake.requests_to("DELETE", GLOBAL_ONE) == [], "and found none to delete")

        db = sqlite3.connect(os.path.join(bot.dir, "studybot.db"))
        ws = db.execute("SELECT workspace FROM channel WHERE ext_id = ?", (fake.STUDY_ID,)).fetchone()
        db.close()
        checks.ok(ws == (fake.GUILD_ID,), f"the channel's server is recorded ({ws})")
        await finish(bot, fake, checks)


async def global_scope(checks):
    """No channel configured (a fresh install): one global overwrite."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await start(fake)
        await bot.wait_log("the /study command is registered", scope="global")
        got = puts(fake, GLOBAL)
        checks.ok(len(got) == 1, f"one global PUT ({len(got)})")
        checks.ok(got and [c["name"] for c in got[0].json] == ["study"], "the body is [/study]")
        checks.ok(puts(fake, GUILD) == [], "no guild PUT")
        fake.close(fake.connections[-1], 4000, "test")
        await fake.wait_resumed(1, timeout=20)
        await answered(fake, fake.STUDY_ID)
        checks.ok(len(puts(fake, GLOBAL)) == 1, "still one global PUT after a resume")
        await finish(bot, fake, checks)


async def command_shape(checks):
    """The registered command: /study with SPEC §6's subcommands, each option
    typed (user, channel, choices) and required ones first."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await start(fake, channel_ini(fake.STUDY_ID))
        await bot.wait_log("the /study command is registered", scope="guild")
        body = puts(fake, GUILD)[0].json
        checks.ok(len(body) == 1 and body[0]["name"] == "study" and body[0].get("type") == 1,
                  "one CHAT_INPUT command named study")
        subs = body[0].get("options", [])
        checks.ok(all(s.get("type") == 1 for s in subs), "every option is a subcommand")
        checks.ok([s["name"] for s in subs] == list(SHAPE),
                  f"subcommands in SPEC order: {[s['name'] for s in subs]}")
        for s in subs:
            want = SHAPE.get(s["name"])
            have = [(o["name"], o["type"], bool(o.get("required")),
                     [c["value"] for c in o["choices"]] if "choices" in o else None)
                    for o in s.get("options", [])]
            checks.ok(have == want, f"/study {s['name']}: {have}")
            req = [bool(o.get("required")) for o in s.get("options", [])]
            checks.ok(req == sorted(req, reverse=True), f"/study {s['name']}: required first")
            checks.ok(0 < len(s.get("description", "")) <= 100, f"/study {s['name']}: described")
        setup = next(s for s in subs if s["name"] == "setup")
        chan = next(o for o in setup["options"] if o["name"] == "channel")
        checks.ok(sorted(chan.get("channel_types", [])) == [0, 5],
                  f"setup channel: text or announcement channels ({chan.get('channel_types')})")
        await finish(bot, fake, checks)


async def unknown_channel(checks):
    """A configured id the bot's servers do not hold (the shipped example id):
    a warning that names it, and the global command, so /study setup works."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await start(fake, channel_ini("123456789012345678"))
        warn = await bot.wait_log("a study channel is in none of the bot's servers",
                                  channel="123456789012345678")
        checks.ok(warn[0].get("level") == "warn", "warned")
        await bot.wait_log("the /study command is registered", scope="global")
        checks.ok(len(puts(fake, GLOBAL)) == 1 and puts(fake, GUILD) == [],
                  "one global PUT, no guild PUT")
        await finish(bot, fake, checks)


async def guild_join(checks):
    """The channel's server is joined while the bot runs: global first, then
    that server's own command, and the global one removed so the server does
    not list /study twice."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        other, chan = "1200000000000000500", "1200000000000000501"
        bot = await start(fake, channel_ini(chan))
        await bot.wait_log("the /study command is registered", scope="global")
        checks.ok(len(fake.commands.get(None, [])) == 1, "global /study at first")
        guild = fake.add_guild({"id": other, "name": "Second", "channels": [{"id": chan, "name": "study"}]})
        fake.dispatch("GUILD_CREATE", fake._guild_create_payload(guild, fake.connections[-1].session))
        await bot.wait_log("the /study command is registered", scope="guild", guild=other)
        await bot.wait_log("removed the global /study command")
        checks.ok([r.params.get("guild_id") for r in puts(fake, GUILD)] == [other],
                  "one guild PUT, for the joined server")
        checks.ok(fake.commands.get(None) == [], "no global /study left")
        checks.ok([c["name"] for c in fake.commands.get(other, [])] == ["study"],
                  "the joined server lists /study once")
        await finish(bot, fake, checks)


async def setup_restart(checks):
    """A fresh install set up from chat: global /study, `/study setup` in the
    server, restart: that server gets its own /study and the global one goes."""
    async with FakeDiscord(token=TOKEN, heartbeat_interval=1000) as fake:
        bot = await start(fake)
        await bot.wait_log("the /study command is registered", scope="global")
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID, options=[
            {"type": 1, "name": "setup", "options": [
                {"type": 7, "name": "channel", "value": fake.STUDY_ID},
                {"type": 3, "name": "time", "value": "09:00"},
                {"type": 3, "name": "timezone", "value": "UTC"}]}])
        await fake.wait_for(lambda: inter.callbacks, 10)
        reply = (inter.callbacks[0].get("data") or {}).get("content", "")
        checks.ok(inter.callbacks[0]["status"] in (200, 204), f"setup answered: {reply!r}")
        await finish(bot, fake, checks)

        # Discord takes one IDENTIFY per 5 s (max_concurrency 1) whichever process
        # sends it: a restart that fast would be refused, so this one waits.
        await asyncio.sleep(5.2)
        bot2 = await start(fake, config=bot.config)
        await bot2.wait_log("the /study command is registered", scope="guild", guild=fake.GUILD_ID)
        await bot2.wait_log("removed the global /study command")
        checks.ok(len(puts(fake, GUILD)) == 1, "one guild PUT after the restart")
        checks.ok(len(puts(fake, GLOBAL)) == 1, "no second global PUT")
        checks.ok(fake.commands.get(None) == [], "the global /study is gone")
        inter = fake.interaction("command", name="study", channel_id=fake.STUDY_ID,
                                 options=[{"type": 1, "name": "leaderboard"}])
        checks.ok(inter.payload["data"].get("guild_id") == fake.GUILD_ID,
                  "the server's /study is the one members use")
        await fake.wait_for(lambda: inter.callbacks, 10)
        checks.ok(inter.callbacks[0]["status"] in (200, 204), "and it is answered")
        await finish(bot2, fake, checks)


SCENARIOS = {f.__name__: f for f in (guild_scope, global_scope, command_shape, unknown_channel,
                                     guild_join, setup_restart)}


if __name__ == "__main__":
    run_scenario(globals(), SCENARIOS, 150)

#!/usr/bin/python3
"""A minimal discord.py bot for the gateway ingest benchmark (bench_gateway.py).

It counts MESSAGE_CREATE events (on_message) and answers a slash-command
interaction with the count; library defaults everywhere else (message cache,
zlib-stream transport compression, which discord.py always asks for).

discord.py has no option for another API root, so it is pointed at the fake
the way its own code allows: `Route.BASE` (the REST root every request is
built on, read when a Route is created) is set to FAKE_API_URL before the
client exists, and since discord.py 2.2 connects to its hard-coded
`DiscordWebSocket.DEFAULT_GATEWAY` instead of asking, the setup hook asks
GET /gateway/bot (as Discord's docs tell a bot to) and puts the URL it
returns there.

One more adjustment: discord.py 2.2 decodes a REST body as JSON only when
Content-Type is exactly `application/json`, as Discord sends it; the fake
(aiohttp) sends `application/json; charset=utf-8`, which discord.py would
hand back as a string. `json_or_text` is wrapped to accept the parameter.

Environment: DISCORD_TOKEN, FAKE_API_URL (e.g. http://127.0.0.1:P/api/v10).
Prints one JSON line to stdout when ready, one per slash command (with the
count) and one per reply; exits on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import discord
import discord.http
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def emit(event: str, **data: object) -> None:
    sys.stdout.write(json.dumps({"event": event, **data}) + "\n")
    sys.stdout.flush()


_json_or_text = discord.http.json_or_text


async def json_or_text(response):  # type: ignore[no-untyped-def]
    if response.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return discord.utils._from_json(await response.text(encoding="utf-8"))
    return await _json_or_text(response)


discord.http.json_or_text = json_or_text


class BenchClient(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        super().__init__(intents=intents)
        self.count = 0

    async def setup_hook(self) -> None:
        data = await self.http.request(Route("GET", "/gateway/bot"))
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(data["url"])

    async def on_ready(self) -> None:
        emit("ready", user_id=str(self.user.id) if self.user else None)

    async def on_message(self, message: discord.Message) -> None:
        self.count += 1

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.application_command:
            return
        seen = self.count
        emit("interaction", id=str(interaction.id), count=seen)
        try:
            await interaction.response.send_message(f"messages: {seen}")
            emit("replied", id=str(interaction.id), count=seen)
        except discord.HTTPException as e:
            emit("error", where="reply", message=str(e))


async def main() -> int:
    token, api = os.environ.get("DISCORD_TOKEN"), os.environ.get("FAKE_API_URL")
    if not token or not api:
        print("discordpy_client.py needs DISCORD_TOKEN and FAKE_API_URL", file=sys.stderr)
        return 2
    Route.BASE = api.rstrip("/")
    client = BenchClient()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    runner = asyncio.ensure_future(client.start(token))
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait([runner, stopper], return_when=asyncio.FIRST_COMPLETED)
    if runner.done() and runner.exception():
        emit("error", where="start", message=repr(runner.exception()))
        return 1
    await client.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

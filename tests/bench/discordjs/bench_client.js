'use strict';
// A minimal discord.js bot for the gateway ingest benchmark
// (tests/bench/bench_gateway.py): it counts messageCreate events and answers
// a slash command with the count. Library defaults everywhere else (caches,
// no zlib-sync, so no transport compression). Prints one JSON line to stdout
// when ready, one with the websocket extensions negotiated, one per slash
// command (with the count) and one per reply; exits on SIGTERM.
//
// discord.js connects with the `ws` package, which offers the
// permessage-deflate extension by default; a server that accepts it deflates
// every frame. BENCH_NO_PERMESSAGE_DEFLATE=1 withholds the offer, so the
// client reads the same uncompressed frames as the other clients.

function emit(event, data) {
  process.stdout.write(JSON.stringify({ event, ...data }) + '\n');
}

// Before discord.js loads: @discordjs/ws takes its WebSocket class from `ws`
// when its module is first evaluated.
const ws = require('ws');
const noDeflate = process.env.BENCH_NO_PERMESSAGE_DEFLATE === '1';
class BenchWebSocket extends ws {
  constructor(address, protocols, options) {
    super(address, protocols, noDeflate ? { ...options, perMessageDeflate: false } : options);
    this.once('open', () => emit('ws', { extensions: this.extensions }));
  }
}
ws.WebSocket = BenchWebSocket;

const { Client, Events, GatewayIntentBits } = require('discord.js');

const token = process.env.DISCORD_TOKEN;
const api = process.env.FAKE_API_BASE; // e.g. http://127.0.0.1:PORT/api (discord.js appends /v10)
if (!token || !api) {
  console.error('bench_client.js needs DISCORD_TOKEN and FAKE_API_BASE');
  process.exit(2);
}

let count = 0;

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api },
});

client.once(Events.ClientReady, c => emit('ready', { user_id: c.user.id }));

client.on(Events.MessageCreate, () => {
  count++;
});

client.on(Events.InteractionCreate, async interaction => {
  if (!interaction.isChatInputCommand()) return;
  const seen = count;
  emit('interaction', { id: interaction.id, count: seen });
  try {
    await interaction.reply({ content: `messages: ${seen}` });
    emit('replied', { id: interaction.id, count: seen });
  } catch (e) {
    emit('error', { where: 'reply', message: String(e) });
  }
});

client.on(Events.Error, e => emit('error', { where: 'client', message: String(e) }));

process.on('SIGTERM', () => process.exit(0));

client.login(token).catch(e => {
  emit('error', { where: 'login', message: String(e) });
  process.exit(1);
});

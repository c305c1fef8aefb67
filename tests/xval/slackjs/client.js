// Runs Slack's own Bolt for JavaScript (with @slack/socket-mode and
// @slack/web-api underneath) against the fake Slack. The driver
// (run_slackjs.py) starts this with the fake's API base and tokens in the
// environment, reads one JSON object per line from stdout, and writes
// "quit" on stdin to stop it.
'use strict';

const { App, LogLevel } = require('@slack/bolt');
const readline = require('node:readline');

const apiUrl = process.env.FAKE_API_BASE + '/';
const studyChannel = process.env.FAKE_STUDY_ID;

function emit(event, fields) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  appToken: process.env.SLACK_APP_TOKEN,
  socketMode: true,
  logLevel: LogLevel.WARN,
  clientOptions: { slackApiUrl: apiUrl },
  installerOptions: { clientOptions: { slackApiUrl: apiUrl } },
});

app.command('/study', async ({ command, ack }) => {
  await ack({ text: `got ${command.text}` });
  emit('command', { text: command.text, user: command.user_id, trigger_id: command.trigger_id });
});

app.action('reveal', async ({ action, body, ack }) => {
  await ack();
  emit('action', { action_id: action.action_id, value: action.value, user: body.user.id });
});

app.message(async ({ message }) => {
  emit('message', { text: message.text, channel: message.channel, user: message.user });
});

app.error(async (error) => {
  emit('error', { message: String(error && error.message ? error.message : error) });
});

const sm = app.receiver.client;
for (const name of ['connecting', 'connected', 'reconnecting', 'disconnected']) {
  sm.on(name, () => emit('socket', { state: name }));
}

async function main() {
  await app.start();
  emit('ready', {});
  const res = await app.client.chat.postMessage({
    channel: studyChannel,
    text: 'Question 1',
    blocks: [
      { type: 'section', block_id: 'q', text: { type: 'mrkdwn', text: '*Question 1*: what is 6 x 7?' } },
      {
        type: 'actions',
        block_id: 'act',
        elements: [{ type: 'button', action_id: 'reveal', value: '42', text: { type: 'plain_text', text: 'Reveal' } }],
      },
    ],
  });
  emit('posted', { ok: res.ok, ts: res.ts, channel: res.channel });
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  if (line.trim() === 'quit') {
    try {
      await app.stop();
    } catch (e) {
      emit('error', { message: 'stop: ' + String(e) });
    }
    emit('stopped', {});
    process.exit(0);
  }
});

main().catch((e) => {
  emit('error', { message: 'start: ' + String(e && e.stack ? e.stack : e) });
  process.exit(2);
});

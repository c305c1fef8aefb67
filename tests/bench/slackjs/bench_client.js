'use strict';
// A minimal Socket Mode client for the Slack ingest benchmark
// (tests/bench/bench_slack.py): @slack/socket-mode's SocketModeClient,
// library defaults, acking every envelope and doing nothing else. Prints one
// JSON line to stdout once connected (after hello); exits on SIGTERM.

const { SocketModeClient, LogLevel } = require('@slack/socket-mode');

const appToken = process.env.SLACK_APP_TOKEN;
const api = process.env.FAKE_API_BASE; // e.g. http://127.0.0.1:PORT/api
if (!appToken || !api) {
  console.error('bench_client.js needs SLACK_APP_TOKEN and FAKE_API_BASE');
  process.exit(2);
}

const client = new SocketModeClient({
  appToken,
  logLevel: LogLevel.WARN,
  clientOptions: { slackApiUrl: api + '/' },
});

client.on('slack_event', async ({ ack }) => {
  await ack();
});

client.on('connected', () => process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n'));

process.on('SIGTERM', () => process.exit(0));

client.start().catch(e => {
  console.error('start: ' + String(e && e.stack ? e.stack : e));
  process.exit(2);
});

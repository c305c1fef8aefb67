'use strict';
// A small discord.js bot used to cross-validate the fake Discord: it does what
// studybot does on Discord (register a slash command, post a question with a
// button, open a thread on it, answer commands, show a modal, reply
// ephemerally) and prints one JSON line per thing it saw to stdout. The driver
// (tests/xval/run_discordjs.py) reads those lines and checks them against what
// the fake recorded. Reads "quit" on stdin to log out cleanly.

const readline = require('node:readline');
const {
  ActionRowBuilder, ButtonBuilder, ButtonStyle, Client, EmbedBuilder, Events, GatewayIntentBits,
  MessageFlags, ModalBuilder, TextInputBuilder, TextInputStyle,
} = require('discord.js');

const token = process.env.DISCORD_TOKEN;
const api = process.env.FAKE_API_BASE; // e.g. http://127.0.0.1:PORT/api (discord.js appends /v10)
const guildId = process.env.FAKE_GUILD_ID;
if (!token || !api || !guildId) {
  console.error('client.js needs DISCORD_TOKEN, FAKE_API_BASE and FAKE_GUILD_ID');
  process.exit(2);
}

function emit(event, data) {
  process.stdout.write(JSON.stringify({ event, ...data }) + '\n');
}

const client = new Client({
  intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
  rest: { api },
});

client.once(Events.ClientReady, async c => {
  const guild = c.guilds.cache.get(guildId);
  emit('ready', {
    user_id: c.user.id,
    application_id: c.application.id,
    guilds: c.guilds.cache.map(g => g.id),
    channels: guild ? guild.channels.cache.map(ch => ({ id: ch.id, name: ch.name, type: ch.type })) : [],
  });
  try {
    // Guild commands, as a bot registers them at start-up (bulk overwrite).
    const cmds = await c.application.commands.set([
      {
        name: 'study',
        description: 'Today\'s study question',
        options: [{ type: 1, name: 'today', description: 'Show today\'s question' }],
      },
    ], guildId);
    emit('commands', { ids: cmds.map(x => x.id), names: cmds.map(x => x.name) });
  } catch (e) {
    emit('error', { where: 'commands.set', message: String(e) });
  }
});

client.on(Events.MessageCreate, async message => {
  emit('messageCreate', {
    id: message.id, channel_id: message.channelId, content: message.content,
    author_id: message.author.id, bot: message.author.bot,
  });
  const burst = /^xval: burst (\d+)$/.exec(message.content);
  if (burst) {
    // Many sends at once: discord.js must pace them from the rate-limit headers.
    try {
      const n = Number(burst[1]);
      const sent = await Promise.all([...Array(n).keys()].map(i => message.channel.send(`burst ${i}`)));
      emit('burstDone', { ids: sent.map(m => m.id) });
    } catch (e) {
      emit('error', { where: 'burst', message: String(e) });
    }
    return;
  }
  if (message.content !== 'xval: post') return;
  try {
    // A question post: embed + answer button, then a thread for answers.
    const sent = await message.channel.send({
      content: 'Question of the day',
      embeds: [new EmbedBuilder().setTitle('Consistent hashing').setDescription('Why virtual nodes?')],
      components: [new ActionRowBuilder().addComponents(
        new ButtonBuilder().setCustomId('answer:q1').setLabel('Answer').setStyle(ButtonStyle.Primary),
        new ButtonBuilder().setCustomId('hint:q1').setLabel('Hint').setStyle(ButtonStyle.Secondary),
      )],
      nonce: 'q1-2024-06-01',
      enforceNonce: true,
    });
    const thread = await sent.startThread({ name: 'Answers: consistent hashing', autoArchiveDuration: 1440 });
    emit('posted', { message_id: sent.id, thread_id: thread.id, nonce: sent.nonce });
    const edited = await sent.edit({ content: 'Question of the day (answers open)' });
    emit('edited', { message_id: edited.id, content: edited.content });
  } catch (e) {
    emit('error', { where: 'post', message: String(e) });
  }
});

client.on(Events.InteractionCreate, async interaction => {
  try {
    if (interaction.isChatInputCommand()) {
      emit('interactionCreate', {
        id: interaction.id, kind: 'command', name: interaction.commandName,
        sub: interaction.options.getSubcommand(false),
      });
      await interaction.reply({ content: `pong: ${interaction.commandName}` });
      emit('replied', { id: interaction.id });
    } else if (interaction.isButton()) {
      emit('interactionCreate', { id: interaction.id, kind: 'button', custom_id: interaction.customId });
      const modal = new ModalBuilder().setCustomId('answer-modal:q1').setTitle('Your answer');
      modal.addComponents(new ActionRowBuilder().addComponents(
        new TextInputBuilder().setCustomId('answer').setLabel('Answer').setStyle(TextInputStyle.Paragraph)
          .setMaxLength(4000).setRequired(true),
      ));
      await interaction.showModal(modal);
      emit('modalShown', { id: interaction.id });
    } else if (interaction.isModalSubmit()) {
      const answer = interaction.fields.getTextInputValue('answer');
      emit('interactionCreate', { id: interaction.id, kind: 'modal', custom_id: interaction.customId, answer });
      await interaction.reply({ content: 'Answer saved.', flags: MessageFlags.Ephemeral });
      emit('replied', { id: interaction.id });
    }
  } catch (e) {
    emit('error', { where: 'interaction', message: String(e) });
  }
});

client.on(Events.ShardResume, (id, replayed) => emit('shardResume', { shard: id, replayed }));
client.on(Events.ShardReconnecting, id => emit('shardReconnecting', { shard: id }));
client.on(Events.ShardDisconnect, (ev, id) => emit('shardDisconnect', { shard: id, code: ev.code }));
client.on(Events.Error, e => emit('error', { where: 'client', message: String(e) }));
client.on(Events.Debug, m => { if (process.env.XVAL_DEBUG) console.error(m); });

readline.createInterface({ input: process.stdin }).on('line', async line => {
  if (line.trim() === 'quit') {
    await client.destroy();
    emit('quit', {});
    process.exit(0);
  }
});

client.login(token).catch(e => {
  emit('error', { where: 'login', message: String(e) });
  process.exit(1);
});

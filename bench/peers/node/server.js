'use strict';
// Reference peer: the setup Discord's own examples use (express +
// discord-interactions' verifyKeyMiddleware) on POST /interactions.
// Env: PORT (default 3000), HOST (default 127.0.0.1), DISCORD_PUBLIC_KEY (hex, required).

const express = require('express');
const {
  InteractionType,
  InteractionResponseType,
  verifyKeyMiddleware,
} = require('discord-interactions');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const PUBLIC_KEY = process.env.DISCORD_PUBLIC_KEY;
if (!PUBLIC_KEY || !/^[0-9a-fA-F]{64}$/.test(PUBLIC_KEY)) {
  console.error('DISCORD_PUBLIC_KEY must be set to a 64-char hex Ed25519 public key');
  process.exit(2);
}

// Same ~300-char answer as the Python peer (bench/peers/python/server.py).
const DATES_CONTENT =
  '**India PM visit to Israel \u2014 dates**\n' +
  'Scheduled: Wed 25 \u2013 Thu 26 Feb 2026 (Asia/Jerusalem, UTC+2). ' +
  'Dates are as announced by the two governments and may still change; ' +
  'check the official itineraries before relying on them. ' +
  "Sources: Ministry of External Affairs (India); Prime Minister's Office (Israel).";

const app = express();
app.disable('x-powered-by');

// verifyKeyMiddleware reads the raw body itself, answers 401 on a bad
// signature and answers PING with PONG; no body parser may run before it.
app.post('/interactions', verifyKeyMiddleware(PUBLIC_KEY), (req, res) => {
  const interaction = req.body;
  if (interaction.type === InteractionType.APPLICATION_COMMAND) {
    const name = interaction.data && interaction.data.name;
    if (name === 'dates') {
      return res.json({
        type: InteractionResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
        data: { content: DATES_CONTENT, allowed_mentions: { parse: [] } },
      });
    }
    return res.status(400).json({ error: 'unknown command' });
  }
  return res.status(400).json({ error: 'unknown interaction type' });
});

const server = app.listen(PORT, HOST, () => {
  console.log(`node peer listening on http://${HOST}:${PORT}/interactions`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

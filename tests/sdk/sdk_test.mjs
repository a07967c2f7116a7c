// Drives the official Anthropic TypeScript SDK through passgate: one plain and one
// streaming messages call. Run by sdk_e2e_test with:
//   PASSGATE_BASE_URL  http://127.0.0.1:PORT/anthropic
//   PASSGATE_KEY       the gateway key, sent in the x-passgate-key custom header
//   SDK_MODE           oauth (authToken) | byok (apiKey) | server (neither)
//   SDK_CREDENTIAL     the OAuth token or API key for oauth/byok
// Prints one JSON line with what the SDK got back; exits non-zero on any error.
import Anthropic from '@anthropic-ai/sdk';

const mode = process.env.SDK_MODE;
const headers = { 'x-passgate-key': process.env.PASSGATE_KEY };
const options = { baseURL: process.env.PASSGATE_BASE_URL, maxRetries: 0, timeout: 20000 };
if (mode === 'oauth') {
  options.authToken = process.env.SDK_CREDENTIAL;
  options.apiKey = null;
  headers['anthropic-beta'] = 'oauth-2025-04-20';
} else if (mode === 'byok') {
  options.apiKey = process.env.SDK_CREDENTIAL;
} else if (mode === 'server') {
  options.apiKey = null;
  headers['Authorization'] = null;  // no provider credential at all: the gateway adds the server key
} else {
  throw new Error(`unknown SDK_MODE ${mode}`);
}
options.defaultHeaders = headers;

const client = new Anthropic(options);
const request = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello' }],
  metadata: { user_id: 'sdk-test-user' },
};

const plain = await client.messages.create(request);
const events = [];
let streamed = '';
const stream = client.messages.stream(request);
stream.on('streamEvent', (e) => events.push(e.type));
stream.on('text', (t) => { streamed += t; });
const final = await stream.finalMessage();

console.log(JSON.stringify({
  plain_text: plain.content.map((b) => b.text).join(''),
  plain_model: plain.model,
  plain_usage: plain.usage,
  stream_text: streamed,
  stream_events: events,
  stream_usage: final.usage,
}));

// Drives the official OpenAI and Google Gen AI TypeScript SDKs through passgate:
// a plain and a streaming call each. Run by provider_sdk_e2e_test with:
//   PASSGATE_BASE_URL  http://127.0.0.1:PORT (the routes are /openai and /gemini)
//   PASSGATE_KEY       the gateway key
//   SDK                openai | gemini
//   SDK_MODE           server: the gateway key is the SDK's own api key (consumed;
//                      the route's server key goes up) | byok: the caller's key is
//                      the SDK's api key and the gateway key rides in x-passgate-key
//   SDK_CREDENTIAL     the caller's own key for byok
// Prints one JSON line with what the SDK got back; exits non-zero on any error.
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';

const base = process.env.PASSGATE_BASE_URL;
const byok = process.env.SDK_MODE === 'byok';
const apiKey = byok ? process.env.SDK_CREDENTIAL : process.env.PASSGATE_KEY;
const headers = byok ? { 'x-passgate-key': process.env.PASSGATE_KEY } : {};

async function openai() {
  const client = new OpenAI({ apiKey, baseURL: `${base}/openai/v1`, defaultHeaders: headers, maxRetries: 0, timeout: 20000 });
  const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello' }] };
  const plain = await client.chat.completions.create(request);
  let streamed = '';
  let usage = null;
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    streamed += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  return { plain_text: plain.choices[0].message.content, plain_usage: plain.usage, stream_text: streamed, stream_usage: usage };
}

async function gemini() {
  const client = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${base}/gemini`, headers } });
  const request = { model: 'gemini-2.5-flash', contents: 'Say hello' };
  const plain = await client.models.generateContent(request);
  let streamed = '';
  let usage = null;
  for await (const chunk of await client.models.generateContentStream(request)) {
    streamed += chunk.text ?? '';
    if (chunk.usageMetadata) usage = chunk.usageMetadata;
  }
  return { plain_text: plain.text, plain_usage: plain.usageMetadata, stream_text: streamed, stream_usage: usage };
}

const sdk = process.env.SDK;
const result = sdk === 'openai' ? await openai() : sdk === 'gemini' ? await gemini() : null;
if (!result) throw new Error(`unknown SDK ${sdk}`);
console.log(JSON.stringify(result));

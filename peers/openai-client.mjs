// The official `openai` npm client against the gateway's /v1: chat (plain and streamed), embeddings, models, and an
// unknown model's error. Prints one JSON summary line.
// Usage: node openai-client.mjs <base URL ending in /v1> <gateway API key>
import OpenAI from 'openai';

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const summary = {};

const chat = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hello from npm' }] });
summary.chat = chat.choices[0].message.content;
summary.chatUsage = chat.usage.total_tokens;

const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
const pieces = [];
for await (const chunk of stream) {
  const piece = chunk.choices[0]?.delta?.content;
  if (piece) pieces.push(piece);
}
summary.streamed = pieces.join('');

const embedding = await client.embeddings.create({ model: 'embed', input: 'some text' });
summary.embeddingLength = embedding.data[0].embedding.length;

const models = [];
for await (const model of client.models.list()) models.push(model.id);
summary.models = models;

try {
  await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
  summary.unknownModel = 'answered';
} catch (error) {
  summary.unknownModel = { status: error.status, code: error.code, type: error.type };
}

console.log(JSON.stringify(summary));

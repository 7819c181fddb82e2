// A small Anthropic Messages upstream that calls tools, for the one thing
// hybridgw-sim's /v1/messages does not do: answer with tool_use. Same rule as
// the simulator: when the last user message names one of the request's tools
// as a word, the answer is a call of that tool with arguments shaped by its
// input_schema (strings "sim", numbers 1, booleans true, arrays [], the first
// enum value); otherwise the fixed text "tok0 … tok15 ". When that message
// also has the word "preamble", the call comes after a text block (as Claude
// often answers: "Let me check." + tool_use). Streams (SSE) or not.
// GET /_sim/requests lists what it received, as the simulator does.
//
// usage: node anthropic-tools-upstream.mjs PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!port) { console.error('usage: anthropic-tools-upstream.mjs PORT'); process.exit(2); }

const recorded = [];
let nextId = 1;
const TEXT = Array.from({ length: 16 }, (_, i) => `tok${i} `);
const PREAMBLE = ['Let ', 'me ', 'check.'];

const valueFor = (schema) => {
  if (!schema || typeof schema !== 'object') return null;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  switch (schema.type) {
    case 'string': return 'sim';
    case 'integer': case 'number': return 1;
    case 'boolean': return true;
    case 'array': return [];
    case 'object': return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, valueFor(v)]));
    default: return null;
  }
};
const names = (text, name) => new RegExp(`(^|[^A-Za-z0-9_-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`).test(text);

function pickTool(body) {
  const last = body.messages?.at(-1);
  if (!last || last.role !== 'user' || !Array.isArray(body.tools)) return null;
  const blocks = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content ?? [];
  if (blocks.some((b) => b.type === 'tool_result')) return null;
  const text = blocks.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
  const tool = body.tools.find((t) => t.name && names(text, t.name));
  return tool ? { name: tool.name, input: valueFor({ ...tool.input_schema, type: 'object' }), preamble: names(text, 'preamble') } : null;
}

const estimate = (s) => Math.max(1, Math.ceil(s.length / 4));

function answer(body) {
  const id = nextId++;
  const call = pickTool(body);
  const inputTokens = estimate(JSON.stringify(body.messages ?? []) + JSON.stringify(body.system ?? ''));
  const content = call
    ? [...(call.preamble ? [{ type: 'text', text: PREAMBLE.join('') }] : []),
      { type: 'tool_use', id: `toolu_fake_${id}`, name: call.name, input: call.input }]
    : [{ type: 'text', text: TEXT.join('') }];
  const outputTokens = call ? estimate(JSON.stringify(call.input)) + (call.preamble ? PREAMBLE.length : 0) : TEXT.length;
  return {
    id: `msg_fake_${id}`, type: 'message', role: 'assistant', model: body.model, content,
    stop_reason: call ? 'tool_use' : 'end_turn', stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}

function stream(res, msg) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...msg, content: [], stop_reason: null, usage: { input_tokens: msg.usage.input_tokens, output_tokens: 1 } } });
  msg.content.forEach((block, index) => {
    if (block.type === 'tool_use') {
      send('content_block_start', { index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      for (let i = 0; i < json.length; i += 8) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 8) } });
    } else {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of block.text === TEXT.join('') ? TEXT : PREAMBLE) send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: msg.stop_reason, stop_sequence: null }, usage: { output_tokens: msg.usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { raw += d; });
  req.on('end', () => {
    const path = req.url.split('?')[0];
    if (path === '/_sim/requests') {
      if (req.method === 'DELETE') recorded.length = 0;
      return json(res, 200, req.method === 'DELETE' ? { ok: true } : recorded);
    }
    recorded.push({ method: req.method, target: req.url, headers: req.headers, body: raw });
    if (req.method === 'GET' && path.endsWith('/models')) return json(res, 200, { data: [{ id: 'tools', type: 'model' }] });
    if (req.method !== 'POST' || !path.endsWith('/messages'))
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `unknown path ${req.url}` } });
    let body;
    try { body = JSON.parse(raw); } catch {
      return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
    }
    const msg = answer(body);
    if (body.stream === true) stream(res, msg);
    else json(res, 200, msg);
  });
}).listen(port, '127.0.0.1', () => console.log(`anthropic-tools-upstream on 127.0.0.1:${port}`));

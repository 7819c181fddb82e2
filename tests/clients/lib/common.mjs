// Shared helpers of the client tests: where the gateway and the simulators
// listen (run.sh exports them), the three backend kinds, and how to read what
// a simulator received (GET /_sim/requests) as one conversation shape.
import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const env = (name, fallback) => process.env[name] || fallback;

export const GATEWAY_URL = env('HGW_GATEWAY_URL', 'http://127.0.0.1:18710/v1');
export const ADMIN_URL = env('HGW_ADMIN_URL', 'http://127.0.0.1:18711');
export const ACCESS_LOG = env('HGW_ACCESS_LOG', '');
export const API_KEY = 'hybridgw-client-test-key';  // the gateway has no tenants: any key passes

// One entry per backend kind; each name is a route (and model) of run.sh's
// config. `model` answers with the simulator's fixed text ("tok0 tok1 …
// tok15 "); `echo` repeats the last user message (upstream model "echo");
// `cut` breaks every answer after 5 chunks (upstream model "fault:cut=5": a
// stream that fails midway, a whole answer that resets); `refuse` answers 400
// (upstream model "fault:status=400").
// `tools` is where the tests in which the model calls a tool run: the same
// route and simulator, except for Anthropic — hybridgw-sim's /v1/messages never
// answers with tool_use, so route claude-tools goes to
// lib/anthropic-tools-upstream.mjs, which does.
const kind = (kind, protocol, prefix, port, upstreamPath, tools) => {
  const k = {
    kind, protocol, upstreamPath,
    model: `${prefix}-model`, echo: `${prefix}-echo`, cut: `${prefix}-cut`, refuse: `${prefix}-refuse`,
    simUrl: env(`HGW_SIM_${kind.toUpperCase()}_URL`, `http://127.0.0.1:${port}`),
  };
  k.tools = tools ? { ...k, ...tools } : k;
  return k;
};
export const KINDS = [
  kind('chat', 'openai', 'chat', 18701, '/v1/chat/completions'),
  kind('anthropic', 'anthropic', 'claude', 18702, '/v1/messages',
    { model: 'claude-tools', simUrl: env('HGW_ANTHROPIC_TOOLS_URL', 'http://127.0.0.1:18704') }),
  kind('native', 'openai-responses', 'native', 18703, '/v1/responses'),
];

// The simulator's answer for a non-echo model with its default 16 tokens.
export const SIM_TEXT = Array.from({ length: 16 }, (_, i) => `tok${i} `).join('');

// The gateway refuses text.format json_schema (chat's response_format) for
// Anthropic backends with a 400 ("describe the format in the prompt or use a
// tool"), by design (gateway/protocol/AnthropicTranslate.cpp).
export const SUPPORTS_JSON_SCHEMA = (k) => k.kind !== 'anthropic';

// Per-test deadline (node:test `timeout`): a hang fails well within 60 s.
export const TEST_TIMEOUT_MS = 45_000;
// Per-request deadline given to the clients themselves.
export const REQUEST_TIMEOUT_MS = 20_000;

export const nonce = (label = 'n') => `${label}-${randomBytes(6).toString('hex')}`;

// The weather tool used by the function-calling tests (as a Responses tool).
export const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather of a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'City name' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};

// --- what the simulator received ---------------------------------------------

// `k`: a kind, or its `tools` (anything with simUrl).
export async function simRequests(k) {
  const res = await fetch(`${k.simUrl}/_sim/requests`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${k.simUrl}/_sim/requests: ${res.status}`);
  const all = await res.json();
  return all
    .filter((r) => r.method === 'POST')
    .map((r) => {
      let body = null;
      try { body = JSON.parse(r.body); } catch { /* not JSON */ }
      return { ...r, json: body };
    });
}

// The upstream POSTs whose raw body contains `marker` (a nonce of the test),
// oldest first. Polls briefly: the simulator records a request as it reads it.
export async function upstreamWith(k, marker, { atLeast = 1, waitMs = 3000 } = {}) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = (await simRequests(k)).filter((r) => typeof r.body === 'string' && r.body.includes(marker));
    if (found.length >= atLeast || Date.now() > deadline) return found;
    await sleep(100);
  }
}

const textOfParts = (content) => {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (typeof p === 'string' ? p : typeof p?.text === 'string' ? p.text :
      typeof p?.content === 'string' ? p.content : '')).join('');
  return '';
};

// The conversation an upstream request carries, whatever its wire format, as
// [{role: system|user|assistant|tool_call|tool_result, text, name, call_id}].
export function conversationOf(k, body) {
  const out = [];
  if (k.kind === 'chat') {
    for (const m of body.messages ?? []) {
      const text = textOfParts(m.content);
      if (m.role === 'tool') { out.push({ role: 'tool_result', call_id: m.tool_call_id, text }); continue; }
      if (text || !m.tool_calls) out.push({ role: m.role === 'developer' ? 'system' : m.role, text });
      for (const c of m.tool_calls ?? [])
        out.push({ role: 'tool_call', name: c.function?.name, call_id: c.id, text: c.function?.arguments ?? '' });
    }
  } else if (k.kind === 'anthropic') {
    if (body.system) out.push({ role: 'system', text: textOfParts(body.system) });
    for (const m of body.messages ?? []) {
      if (typeof m.content === 'string') { out.push({ role: m.role, text: m.content }); continue; }
      let text = '';
      const flush = () => { if (text) out.push({ role: m.role, text }); text = ''; };
      for (const b of m.content ?? []) {
        if (b.type === 'text') text += b.text;
        else if (b.type === 'tool_use') { flush(); out.push({ role: 'tool_call', name: b.name, call_id: b.id, text: JSON.stringify(b.input) }); }
        else if (b.type === 'tool_result') { flush(); out.push({ role: 'tool_result', call_id: b.tool_use_id, text: textOfParts(b.content) }); }
      }
      flush();
    }
  } else {
    if (body.instructions) out.push({ role: 'system', text: body.instructions });
    const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input ?? [];
    for (const it of input) {
      if (it.type === 'function_call') out.push({ role: 'tool_call', name: it.name, call_id: it.call_id, text: it.arguments });
      else if (it.type === 'function_call_output') out.push({ role: 'tool_result', call_id: it.call_id, text: textOfParts(it.output) });
      else if (!it.type || it.type === 'message')
        out.push({ role: it.role === 'developer' ? 'system' : it.role, text: textOfParts(it.content) });
      else out.push({ role: `item:${it.type}`, text: '' });
    }
  }
  return out;
}

// --- the gateway's access log ---------------------------------------------------

// Access-log lines (JSON objects) matching `pred`, polling while the gateway
// flushes its buffers (flush_ms in the test config is 100).
export async function accessLogLines(pred, { atLeast = 1, waitMs = 3000 } = {}) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let lines = [];
    if (ACCESS_LOG && existsSync(ACCESS_LOG))
      lines = readFileSync(ACCESS_LOG, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
        try { return [JSON.parse(l)]; } catch { return []; }
      }).filter(pred);
    if (lines.length >= atLeast || Date.now() > deadline) return lines;
    await sleep(100);
  }
}

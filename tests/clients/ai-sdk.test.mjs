// The Vercel AI SDK's default OpenAI provider against the gateway, once per
// backend kind. `openai('model')` uses the Responses API (not chat
// completions): every test checks that the client really called /v1/responses.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, stepCountIs, tool, Output } from 'ai';
import { z } from 'zod';
import {
  GATEWAY_URL, API_KEY, KINDS, SIM_TEXT, TEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS,
  SUPPORTS_JSON_SCHEMA, nonce, accessLogLines, upstreamWith, conversationOf,
} from './lib/common.mjs';

// Every URL the provider fetched, with the gateway's answer status.
const fetched = [];
const openai = createOpenAI({
  baseURL: GATEWAY_URL,
  apiKey: API_KEY,
  fetch: async (url, init) => {
    const res = await fetch(url, init);
    fetched.push({ url: String(url), method: init?.method ?? 'GET', status: res.status, requestId: new Headers(init?.headers).get('x-request-id') });
    return res;
  },
});
const opts = { timeout: TEST_TIMEOUT_MS };
const call = (extra) => ({ maxRetries: 0, abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...extra });

// The request went to POST /v1/responses: seen by the client's fetch and by the gateway's access log.
async function assertUsedResponsesApi(requestId, { count = 1 } = {}) {
  const mine = fetched.filter((f) => f.requestId === requestId);
  assert.equal(mine.length, count, `fetches with x-request-id ${requestId}: ${JSON.stringify(mine)}`);
  for (const f of mine) {
    assert.equal(f.method, 'POST');
    assert.equal(f.url, `${GATEWAY_URL}/responses`);
  }
  const lines = await accessLogLines((l) => l.request_id === requestId, { atLeast: count });
  assert.equal(lines.length, count, `access log lines for ${requestId}`);
  for (const l of lines) {
    assert.equal(l.path, '/v1/responses');
    assert.equal(l.status, 200, JSON.stringify(l));
  }
  return lines;
}

const weatherTool = (marker) => tool({
  description: 'Current weather of a city',
  inputSchema: z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) }),
  execute: async ({ city, unit }) => ({ city, unit, temperature: 21, marker }),
});

for (const k of KINDS) {
  describe(`Vercel AI SDK, ${k.kind} backend (${k.protocol})`, () => {
    test(`[${k.kind}] generateText`, opts, async () => {
      const rid = nonce('ai-gen');
      const prompt = `hello from the AI SDK ${rid}`;
      const r = await generateText(call({ model: openai(k.echo), prompt, headers: { 'x-request-id': rid } }));
      assert.equal(r.text, prompt);
      assert.equal(r.finishReason, 'stop');
      assert.ok(r.usage.inputTokens > 0, `usage ${JSON.stringify(r.usage)}`);
      assert.ok(r.usage.outputTokens > 0, `usage ${JSON.stringify(r.usage)}`);
      assert.equal(r.usage.totalTokens, r.usage.inputTokens + r.usage.outputTokens);
      assert.match(r.response.id, /^resp_/);
      assert.equal(r.providerMetadata?.openai?.responseId, r.response.id);
      const [line] = await assertUsedResponsesApi(rid);
      assert.equal(line.route, k.echo, 'run.sh names each route after its model');
      const [up] = await upstreamWith(k, rid);
      assert.equal(up?.target, k.upstreamPath, 'the backend was called in its own protocol');
    });

    test(`[${k.kind}] streamText`, opts, async () => {
      const rid = nonce('ai-stream');
      const result = streamText(call({
        model: openai(k.model), prompt: `stream something ${rid}`, headers: { 'x-request-id': rid },
        onError: () => {},  // errors surface through the awaited promises below
      }));
      const pieces = [];
      for await (const piece of result.textStream) pieces.push(piece);
      assert.ok(pieces.length > 1, `several text pieces: ${JSON.stringify(pieces)}`);
      assert.equal(pieces.join(''), SIM_TEXT);
      assert.equal(await result.text, SIM_TEXT);
      assert.equal(await result.finishReason, 'stop');
      const usage = await result.usage;
      assert.ok(usage.inputTokens > 0, `usage ${JSON.stringify(usage)}`);
      assert.equal(usage.outputTokens, 16, `usage ${JSON.stringify(usage)}`);
      const meta = await result.providerMetadata;
      assert.match(meta?.openai?.responseId ?? '', /^resp_/);
      const [line] = await assertUsedResponsesApi(rid);
      assert.equal(line.stream, true);
    });

    test(`[${k.kind}] generateText with a tool: call, execute, answer`, opts, async () => {
      const rid = nonce('ai-tool');
      const marker = nonce('result');
      const r = await generateText(call({
        model: openai(k.tools.model), tools: { get_weather: weatherTool(marker) }, stopWhen: stepCountIs(3),
        prompt: `What is the weather in Paris? Use get_weather. ${rid}`, headers: { 'x-request-id': rid },
      }));
      assert.equal(r.steps.length, 2, `two steps: ${JSON.stringify(r.steps.map((s) => s.finishReason))}`);
      const [tc] = r.steps[0].toolCalls;
      assert.equal(tc?.toolName, 'get_weather');
      assert.deepEqual(tc.input, { city: 'sim', unit: 'celsius' });
      assert.equal(r.steps[0].finishReason, 'tool-calls');
      assert.equal(r.steps[0].toolResults[0].output.marker, marker);
      assert.equal(r.text, SIM_TEXT);
      assert.equal(r.finishReason, 'stop');
      await assertUsedResponsesApi(rid, { count: 2 });
      const [up] = await upstreamWith(k.tools, marker);
      assert.ok(up, 'the tool result reached the backend');
      const conv = conversationOf(k, up.json).filter((m) => m.role !== 'system');
      assert.deepEqual(conv.map((m) => m.role), ['user', 'tool_call', 'tool_result'], JSON.stringify(conv));
    });

    test(`[${k.kind}] streamText with a tool over two steps`, opts, async () => {
      const rid = nonce('ai-stool');
      const result = streamText(call({
        model: openai(k.tools.model), tools: { get_weather: weatherTool('m') }, stopWhen: stepCountIs(3),
        prompt: `Weather in Paris? get_weather please ${rid}`, headers: { 'x-request-id': rid }, onError: () => {},
      }));
      let text = '';
      for await (const piece of result.textStream) text += piece;
      assert.equal(text, SIM_TEXT);
      const steps = await result.steps;
      assert.equal(steps.length, 2);
      assert.deepEqual(steps[0].toolCalls[0].input, { city: 'sim', unit: 'celsius' });
      await assertUsedResponsesApi(rid, { count: 2 });
    });

    // The second step sends the first step's text back; with store (the
    // default) as {"type":"item_reference","id":"msg_…"}.
    // A text, then a tool call, then the answer: two steps, whatever the store setting.
    const textThenToolCall = async (extra) => {
      const errors = [];
      const result = streamText(call({
        model: openai(k.tools.model), tools: { get_weather: weatherTool('m') }, stopWhen: stepCountIs(3),
        prompt: 'preamble: weather in Paris? get_weather', onError: ({ error }) => errors.push(error), ...extra,
      }));
      let text = '';
      for await (const piece of result.textStream) text += piece;
      assert.deepEqual(errors.map((e) => e?.message ?? String(e)), [], 'no error in any step');
      assert.equal(text, `Let me check.${SIM_TEXT}`);
      const steps = await result.steps;
      assert.equal(steps.length, 2);
      assert.equal(steps[0].text, 'Let me check.');
      assert.equal(steps[0].toolCalls.length, 1);
      assert.equal(steps[1].text, SIM_TEXT);
    };
    if (k.kind === 'anthropic') test(`[${k.kind}] streamText: text, then a tool call, in one step`, opts,
      () => textThenToolCall({}));
    if (k.kind === 'anthropic') test(`[${k.kind}] streamText: text, then a tool call, store: false (items sent whole)`, opts,
      () => textThenToolCall({ providerOptions: { openai: { store: false } } }));
    test(`[${k.kind}] streamText over a stream that breaks: finishReason error`, opts, async () => {
      const errors = [];
      const result = streamText(call({
        model: openai(k.cut), prompt: 'this answer will break', onError: ({ error }) => errors.push(error),
      }));
      let text = '';
      for await (const piece of result.textStream) text += piece;
      assert.equal(await result.finishReason, 'error');
      assert.ok(SIM_TEXT.startsWith(text) && text.length < SIM_TEXT.length, `a strict prefix: ${JSON.stringify(text)}`);
      assert.equal(errors.length, 1, `one error: ${errors.map(String)}`);
      assert.match(String(errors[0]?.message ?? errors[0]), /upstream stream failed/);
    });

    test(`[${k.kind}] generateText: an upstream 400 is an APICallError 400`, opts, async () => {
      await assert.rejects(generateText(call({ model: openai(k.refuse), prompt: 'refuse me' })), (e) => {
        assert.equal(e.statusCode, 400, `${e?.constructor?.name}: ${e?.message}`);
        assert.match(e.message, /Simulated upstream error/);
        return true;
      });
    });

    test(`[${k.kind}] generateText with Output.object (structured output)`, opts, async () => {
      const doc = { city: `Paris ${nonce('ai-json')}`, temperature_c: 21 };
      const run = () => generateText(call({
        model: openai(k.echo), prompt: JSON.stringify(doc),
        output: Output.object({ schema: z.object({ city: z.string(), temperature_c: z.number() }) }),
      }));
      if (!SUPPORTS_JSON_SCHEMA(k)) {
        // The gateway's deliberate limitation: refused with a 400 that says why, never silently dropped.
        await assert.rejects(run(), (e) => e.statusCode === 400 && /json_schema is not supported by Anthropic/.test(e.message));
        return;
      }
      const r = await run();
      assert.deepEqual(r.output, doc);
      const [up] = await upstreamWith(k, doc.city);
      if (k.kind === 'chat') assert.equal(up.json.response_format?.type, 'json_schema', JSON.stringify(up.json));
      if (k.kind === 'native') assert.equal(up.json.text?.format?.type, 'json_schema', JSON.stringify(up.json));
    });

    test(`[${k.kind}] multi-turn with previousResponseId`, opts, async () => {
      const n = nonce('ai-prev');
      const r1 = await generateText(call({ model: openai(k.echo), prompt: `first ${n}` }));
      const r2 = await generateText(call({
        model: openai(k.echo), prompt: `second ${n}`,
        providerOptions: { openai: { previousResponseId: r1.providerMetadata.openai.responseId } },
      }));
      assert.equal(r2.text, `second ${n}`);
      const [up] = await upstreamWith(k, `second ${n}`);
      assert.deepEqual(conversationOf(k, up.json).filter((m) => m.role !== 'system').map((m) => [m.role, m.text]),
        [['user', `first ${n}`], ['assistant', `first ${n}`], ['user', `second ${n}`]]);
    });

    // The AI SDK's own multi-turn pattern: the earlier turn's response.messages
    // go back in `messages`. With store (its default) it sends the assistant
    // message as {"type":"item_reference","id":"msg_…"}, which OpenAI resolves
    // from the stored response.
    test(`[${k.kind}] multi-turn with response.messages (item_reference)`, opts, async () => {
      const n = nonce('ai-ref');
      const first = { role: 'user', content: `first ${n}` };
      const r1 = await generateText(call({ model: openai(k.echo), messages: [first] }));
      assert.equal(r1.text, `first ${n}`);
      const r2 = await generateText(call({
        model: openai(k.echo), messages: [first, ...r1.response.messages, { role: 'user', content: `second ${n}` }],
      }));
      assert.equal(r2.text, `second ${n}`);
      const [up] = await upstreamWith(k, `second ${n}`);
      assert.deepEqual(conversationOf(k, up.json).filter((m) => m.role !== 'system').map((m) => [m.role, m.text]),
        [['user', `first ${n}`], ['assistant', `first ${n}`], ['user', `second ${n}`]]);
    });
  });
}

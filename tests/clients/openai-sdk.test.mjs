// The official OpenAI Node SDK against the gateway's Responses API, once per
// backend kind (chat completions, Anthropic Messages, native Responses).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { APIError, BadRequestError, InternalServerError, NotFoundError } from 'openai';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import {
  GATEWAY_URL, API_KEY, KINDS, SIM_TEXT, TEST_TIMEOUT_MS, REQUEST_TIMEOUT_MS, WEATHER_TOOL,
  SUPPORTS_JSON_SCHEMA, nonce, upstreamWith, conversationOf,
} from './lib/common.mjs';

const client = new OpenAI({ baseURL: GATEWAY_URL, apiKey: API_KEY, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
const opts = { timeout: TEST_TIMEOUT_MS };

// Event types of a stream with runs of deltas collapsed into one entry.
const collapse = (types) => types.filter((t, i) => !(/\.delta(#|$)/.test(t) && types[i - 1] === t));

function assertSequenceNumbers(events) {
  assert.equal(events[0].sequence_number, 0, 'the first event has sequence_number 0');
  for (let i = 1; i < events.length; i++)
    assert.ok(events[i].sequence_number > events[i - 1].sequence_number,
      `sequence_number strictly increasing: event ${i} (${events[i].type}) has ${events[i].sequence_number} after ${events[i - 1].sequence_number}`);
}

// What the simulator got, without the system/developer messages the gateway or a client may add.
const turns = (k, body) => conversationOf(k, body).filter((m) => m.role !== 'system');

for (const k of KINDS) {
  describe(`openai SDK, ${k.kind} backend (${k.protocol})`, () => {
    test(`[${k.kind}] responses.create non-streamed`, opts, async () => {
      const input = `hello from the openai SDK ${nonce('plain')}`;
      const r = await client.responses.create({ model: k.echo, input });
      assert.match(r.id, /^resp_/);
      assert.equal(r.object, 'response');
      assert.equal(r.status, 'completed');
      assert.equal(r.output_text, input, 'model "echo" repeats the input');
      assert.equal(r.output.length, 1);
      assert.equal(r.output[0].type, 'message');
      assert.equal(r.output[0].role, 'assistant');
      assert.equal(r.output[0].content[0].type, 'output_text');
      assert.ok(r.usage.input_tokens > 0, `usage.input_tokens > 0: ${JSON.stringify(r.usage)}`);
      assert.ok(r.usage.output_tokens > 0, `usage.output_tokens > 0: ${JSON.stringify(r.usage)}`);
      assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);

      const plain = await client.responses.create({ model: k.model, input: 'say something' });
      assert.equal(plain.output_text, SIM_TEXT);
      assert.equal(plain.usage.output_tokens, 16);
    });

    test(`[${k.kind}] responses.create streamed: event order, sequence numbers, deltas`, opts, async () => {
      const stream = await client.responses.create({ model: k.model, input: `stream please ${nonce('stream')}`, stream: true });
      const events = [];
      for await (const ev of stream) events.push(ev);
      const types = events.map((e) => e.type);
      assert.deepEqual(collapse(types), [
        'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
        'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
        'response.output_item.done', 'response.completed',
      ], `event order: ${types.join(' ')}`);
      assertSequenceNumbers(events);

      const deltas = events.filter((e) => e.type === 'response.output_text.delta');
      assert.ok(deltas.length > 1, 'several deltas');
      const text = deltas.map((e) => e.delta).join('');
      assert.equal(text, SIM_TEXT);
      assert.equal(events.find((e) => e.type === 'response.output_text.done').text, text);
      assert.equal(events.find((e) => e.type === 'response.content_part.done').part.text, text);
      const itemDone = events.find((e) => e.type === 'response.output_item.done').item;
      assert.equal(itemDone.content[0].text, text);

      const created = events[0].response;
      const completed = events.at(-1).response;
      assert.match(created.id, /^resp_/);
      assert.equal(created.status, 'in_progress');
      assert.equal(completed.id, created.id, 'one response id for the whole stream');
      assert.equal(completed.status, 'completed');
      assert.equal(completed.output[0].content[0].text, text);
      assert.ok(completed.usage.input_tokens > 0 && completed.usage.output_tokens > 0, JSON.stringify(completed.usage));
      const itemId = events.find((e) => e.type === 'response.output_item.added').item.id;
      for (const e of deltas) assert.equal(e.item_id, itemId);

      // A streamed response with store (the default) is stored like a whole one.
      const again = await client.responses.retrieve(completed.id);
      assert.equal(again.output_text, text);
    });

    test(`[${k.kind}] responses.stream helper: finalResponse`, opts, async () => {
      const stream = client.responses.stream({ model: k.echo, input: 'the stream helper accumulates this text' });
      let deltas = '';
      stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.equal(final.output_text, 'the stream helper accumulates this text');
      assert.equal(deltas, final.output_text);
    });

    test(`[${k.kind}] function calling: function_call, then function_call_output with previous_response_id`, opts, async () => {
      const r1 = await client.responses.create({
        model: k.tools.model, tools: [WEATHER_TOOL], input: `What is the weather in Paris? Use get_weather. ${nonce('fc')}`,
      });
      assert.equal(r1.status, 'completed');
      const call = r1.output.find((o) => o.type === 'function_call');
      assert.ok(call, `a function_call output item: ${JSON.stringify(r1.output)}`);
      assert.equal(call.name, 'get_weather');
      assert.ok(call.call_id, 'call_id');
      assert.deepEqual(JSON.parse(call.arguments), { city: 'sim', unit: 'celsius' }, 'arguments shaped by the schema');

      const marker = nonce('fco');
      const r2 = await client.responses.create({
        model: k.tools.model, tools: [WEATHER_TOOL], previous_response_id: r1.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ temperature_c: 21, marker }) }],
      });
      assert.equal(r2.status, 'completed');
      assert.equal(r2.previous_response_id, r1.id);
      assert.equal(r2.output[0].type, 'message', `a message answer: ${JSON.stringify(r2.output)}`);
      assert.equal(r2.output_text, SIM_TEXT);

      const [up] = await upstreamWith(k.tools, marker);
      assert.ok(up, 'the simulator received the second turn');
      const conv = turns(k, up.json);
      const tc = conv.find((m) => m.role === 'tool_call');
      const tr = conv.find((m) => m.role === 'tool_result');
      assert.ok(tc && tr, `upstream has the call and its result: ${JSON.stringify(conv)}`);
      assert.equal(tc.name, 'get_weather');
      assert.equal(tr.call_id, tc.call_id);
      assert.ok(tr.text.includes(marker));
      assert.ok(conv.indexOf(tc) < conv.indexOf(tr));
      assert.equal(conv[0].role, 'user');
      assert.match(conv[0].text, /Use get_weather/);
    });

    test(`[${k.kind}] function calling streamed: argument deltas`, opts, async () => {
      const stream = await client.responses.create({
        model: k.tools.model, tools: [WEATHER_TOOL], stream: true, input: 'Paris weather via get_weather, please',
      });
      const events = [];
      for await (const ev of stream) events.push(ev);
      const types = events.map((e) => e.type);
      assert.deepEqual(collapse(types), [
        'response.created', 'response.in_progress', 'response.output_item.added',
        'response.function_call_arguments.delta', 'response.function_call_arguments.done',
        'response.output_item.done', 'response.completed',
      ], `event order: ${types.join(' ')}`);
      assertSequenceNumbers(events);
      const added = events.find((e) => e.type === 'response.output_item.added').item;
      assert.equal(added.type, 'function_call');
      assert.equal(added.name, 'get_weather');
      const args = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
      assert.deepEqual(JSON.parse(args), { city: 'sim', unit: 'celsius' });
      assert.equal(events.find((e) => e.type === 'response.function_call_arguments.done').arguments, args);
      const done = events.find((e) => e.type === 'response.output_item.done').item;
      assert.equal(done.arguments, args);
      assert.equal(done.call_id, added.call_id);
      const final = events.at(-1).response;
      assert.equal(final.output[0].type, 'function_call');
      assert.equal(final.output[0].arguments, args);
    });

    // Claude often writes a sentence before it calls a tool; only the Anthropic
    // tools upstream answers so (the simulators never mix text and calls).
    if (k.kind === 'anthropic') test(`[${k.kind}] text, then a function call, in one answer`, opts, async () => {
      const input = 'preamble: what is the weather in Paris? get_weather';
      const r = await client.responses.create({ model: k.tools.model, tools: [WEATHER_TOOL], input });
      assert.deepEqual(r.output.map((o) => o.type), ['message', 'function_call'], JSON.stringify(r.output));
      assert.equal(r.output_text, 'Let me check.');
      assert.equal(r.output[1].name, 'get_weather');
      assert.deepEqual(JSON.parse(r.output[1].arguments), { city: 'sim', unit: 'celsius' });

      const stream = await client.responses.create({ model: k.tools.model, tools: [WEATHER_TOOL], input, stream: true });
      const events = [];
      for await (const ev of stream) events.push(ev);
      const types = events.map((e) => `${e.type}${e.output_index !== undefined ? `#${e.output_index}` : ''}`);
      assert.deepEqual(collapse(types), [
        'response.created', 'response.in_progress',
        'response.output_item.added#0', 'response.content_part.added#0', 'response.output_text.delta#0',
        'response.output_text.done#0', 'response.content_part.done#0', 'response.output_item.done#0',
        'response.output_item.added#1', 'response.function_call_arguments.delta#1',
        'response.function_call_arguments.done#1', 'response.output_item.done#1',
        'response.completed',
      ], `event order: ${types.join(' ')}`);
      assertSequenceNumbers(events);
      const final = events.at(-1).response;
      assert.deepEqual(final.output.map((o) => o.type), ['message', 'function_call']);
      assert.equal(final.output[0].content[0].text, 'Let me check.');
      const args = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
      assert.equal(final.output[1].arguments, args);
    });

    test(`[${k.kind}] function call history sent by the client (no previous_response_id)`, opts, async () => {
      const marker = nonce('hist');
      const r = await client.responses.create({
        model: k.model, tools: [WEATHER_TOOL], store: false,
        input: [
          { role: 'user', content: `What is the weather in Paris? ${marker}` },
          { type: 'function_call', call_id: 'call_client_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
          { type: 'function_call_output', call_id: 'call_client_1', output: '{"temperature_c":21}' },
        ],
      });
      assert.equal(r.status, 'completed');
      assert.equal(r.output_text, SIM_TEXT);
      const [up] = await upstreamWith(k, marker);
      assert.ok(up, 'the simulator received the request');
      const conv = turns(k, up.json);
      assert.deepEqual(conv.map((m) => m.role), ['user', 'tool_call', 'tool_result'], JSON.stringify(conv));
      assert.equal(conv[1].name, 'get_weather');
      assert.deepEqual(JSON.parse(conv[1].text), { city: 'Paris', unit: 'celsius' });
      assert.equal(conv[2].call_id, conv[1].call_id);
      assert.match(conv[2].text, /21/);
    });

    test(`[${k.kind}] previous_response_id chain of three turns`, opts, async () => {
      const n = nonce('chain');
      const r1 = await client.responses.create({ model: k.echo, input: `first ${n}` });
      assert.equal(r1.output_text, `first ${n}`);
      const r2 = await client.responses.create({ model: k.echo, input: `second ${n}`, previous_response_id: r1.id });
      assert.equal(r2.output_text, `second ${n}`);
      assert.equal(r2.previous_response_id, r1.id);
      const r3 = await client.responses.create({
        model: k.echo, previous_response_id: r2.id, input: [{ role: 'user', content: `third ${n}` }],
      });
      assert.equal(r3.output_text, `third ${n}`);
      assert.equal(r3.previous_response_id, r2.id);
      assert.ok(r3.usage.input_tokens > r1.usage.input_tokens, 'the third turn carries the earlier ones');

      const ups = await upstreamWith(k, `third ${n}`);
      assert.equal(ups.length, 1, 'one upstream request for the third turn');
      assert.deepEqual(turns(k, ups[0].json).map((m) => [m.role, m.text]), [
        ['user', `first ${n}`], ['assistant', `first ${n}`],
        ['user', `second ${n}`], ['assistant', `second ${n}`],
        ['user', `third ${n}`],
      ]);
    });

    test(`[${k.kind}] streamed turn with previous_response_id; instructions are not carried over`, opts, async () => {
      const n = nonce('instr');
      const r1 = await client.responses.create({ model: k.echo, instructions: `Instructions A ${n}`, input: `first ${n}` });
      const stream = await client.responses.create({
        model: k.echo, instructions: `Instructions B ${n}`, input: `second ${n}`, previous_response_id: r1.id, stream: true,
      });
      let completed;
      for await (const ev of stream) if (ev.type === 'response.completed') completed = ev.response;
      assert.equal(completed?.output[0]?.content[0]?.text, `second ${n}`);
      assert.equal(completed.previous_response_id, r1.id);
      assert.equal(completed.instructions, `Instructions B ${n}`);
      const [up] = await upstreamWith(k, `second ${n}`);
      const conv = conversationOf(k, up.json);
      const system = conv.filter((m) => m.role === 'system').map((m) => m.text).join('\n');
      assert.ok(system.includes(`Instructions B ${n}`), `this turn's instructions reach the backend: ${JSON.stringify(conv)}`);
      assert.ok(!system.includes(`Instructions A ${n}`), `the first turn's instructions do not: ${JSON.stringify(conv)}`);
      assert.deepEqual(conv.filter((m) => m.role !== 'system').map((m) => [m.role, m.text]),
        [['user', `first ${n}`], ['assistant', `first ${n}`], ['user', `second ${n}`]]);
    });

    test(`[${k.kind}] structured output: responses.parse with zodTextFormat`, opts, async () => {
      // Model "echo" answers with the input, here a JSON document of the schema.
      const Weather = z.object({ city: z.string(), temperature_c: z.number() });
      const doc = { city: `Paris ${nonce('json')}`, temperature_c: 21 };
      const body = { model: k.echo, input: JSON.stringify(doc), text: { format: zodTextFormat(Weather, 'weather') } };
      if (!SUPPORTS_JSON_SCHEMA(k)) {
        // The gateway's deliberate limitation: refused with a 400 that says why, never silently dropped.
        await assert.rejects(client.responses.parse(body), (e) => {
          assert.ok(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
          assert.match(e.message, /json_schema is not supported by Anthropic/);
          return true;
        });
        return;
      }
      const r = await client.responses.parse(body);
      assert.deepEqual(r.output_parsed, doc);
      assert.equal(r.text.format.type, 'json_schema');
      assert.equal(r.text.format.name, 'weather');
      const [up] = await upstreamWith(k, doc.city);
      if (k.kind === 'chat') {
        assert.equal(up.json.response_format?.type, 'json_schema', JSON.stringify(up.json));
        assert.equal(up.json.response_format.json_schema.name, 'weather');
      } else if (k.kind === 'native') {
        assert.equal(up.json.text?.format?.type, 'json_schema', JSON.stringify(up.json));
        assert.equal(up.json.text.format.name, 'weather');
      }
    });

    test(`[${k.kind}] retrieve, inputItems.list, delete, then 404`, opts, async () => {
      const input = `keep me ${nonce('store')}`;
      const r = await client.responses.create({ model: k.echo, input, store: true });
      const got = await client.responses.retrieve(r.id);
      assert.equal(got.id, r.id);
      assert.equal(got.status, 'completed');
      assert.equal(got.output_text, input);
      assert.deepEqual(got.output, r.output);
      assert.deepEqual(got.usage, r.usage);

      const page = await client.responses.inputItems.list(r.id);
      assert.equal(page.data.length, 1, JSON.stringify(page.data));
      const item = page.data[0];
      assert.equal(item.type, 'message');
      assert.equal(item.role, 'user');
      assert.ok(item.id, 'input items have ids');
      assert.deepEqual(item.content.map((c) => [c.type, c.text]), [['input_text', input]]);
      const all = [];
      for await (const it of client.responses.inputItems.list(r.id)) all.push(it);
      assert.equal(all.length, 1, 'auto-pagination ends');

      await client.responses.delete(r.id);
      await assert.rejects(client.responses.retrieve(r.id), (e) => e instanceof NotFoundError && e.status === 404);
      await assert.rejects(client.responses.inputItems.list(r.id), (e) => e instanceof NotFoundError);
      await assert.rejects(client.responses.delete(r.id), (e) => e instanceof NotFoundError);
      await assert.rejects(
        client.responses.create({ model: k.echo, input: 'go on', previous_response_id: r.id }),
        (e) => e.status >= 400 && e.status < 500 && e.message.includes(r.id),
        'continuing a deleted response is refused, naming it');
    });

    test(`[${k.kind}] inputItems.list pages with limit and order`, opts, async () => {
      const words = ['one', 'two', 'three'].map((w) => `${w} ${nonce('page')}`);
      const r = await client.responses.create({
        model: k.echo,
        input: [{ role: 'user', content: words[0] }, { role: 'assistant', content: words[1] }, { role: 'user', content: words[2] }],
      });
      assert.equal(r.output_text, words[2]);
      const textOf = (it) => it.content.map((c) => c.text).join('');
      const desc = [];
      for await (const it of client.responses.inputItems.list(r.id, { limit: 1 })) desc.push(it);
      assert.deepEqual(desc.map(textOf), [...words].reverse(), 'newest first by default, one page per item');
      assert.deepEqual(desc.map((it) => it.role), ['user', 'assistant', 'user']);
      const first = await client.responses.inputItems.list(r.id, { limit: 2, order: 'asc' });
      assert.deepEqual(first.data.map(textOf), words.slice(0, 2));
      assert.equal(first.has_more, true);
      assert.ok(first.hasNextPage());
      const second = await first.getNextPage();
      assert.deepEqual(second.data.map(textOf), words.slice(2));
      assert.equal(second.has_more, false);
    });

    test(`[${k.kind}] a stream that breaks upstream ends in an error, not a complete answer`, opts, async () => {
      const stream = await client.responses.create({ model: k.cut, input: 'this answer will break', stream: true });
      const events = [];
      await assert.rejects((async () => { for await (const ev of stream) events.push(ev); })(), (e) => {
        assert.ok(e instanceof APIError, `APIError, got ${e?.constructor?.name}: ${e?.message}`);
        assert.match(e.message, /upstream stream failed/);
        return true;
      }, 'the SDK raises the SSE error event');
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'response.created', types.join(' '));
      assert.ok(!types.includes('response.completed'), `no response.completed: ${types.join(' ')}`);
      assertSequenceNumbers(events);
      const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
      assert.ok(SIM_TEXT.startsWith(text) && text.length < SIM_TEXT.length, `a strict prefix of the answer: ${JSON.stringify(text)}`);
    });

    test(`[${k.kind}] upstream errors: a 400 passes through, a reset is a 502`, opts, async () => {
      await assert.rejects(client.responses.create({ model: k.refuse, input: 'refuse me' }), (e) => {
        assert.ok(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
        assert.match(e.message, /Simulated upstream error/);
        return true;
      });
      await assert.rejects(client.responses.create({ model: k.cut, input: 'reset me' }), (e) => {
        assert.ok(e instanceof InternalServerError, `InternalServerError, got ${e?.constructor?.name}: ${e?.message}`);
        assert.equal(e.status, 502);
        return true;
      });
    });

    test(`[${k.kind}] store: false is not retrievable`, opts, async () => {
      const r = await client.responses.create({ model: k.echo, input: 'do not keep me', store: false });
      assert.equal(r.store, false);
      await assert.rejects(client.responses.retrieve(r.id), (e) => e instanceof NotFoundError);
    });

    test(`[${k.kind}] bad input gives 400 naming the problem`, opts, async () => {
      await assert.rejects(
        client.responses.create({ model: k.model, input: [{ type: 'bogus_item', text: 'x' }] }),
        (e) => {
          assert.ok(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
          assert.equal(e.status, 400);
          assert.match(e.message, /bogus_item/);
          return true;
        });
      await assert.rejects(
        client.responses.create({
          model: k.model, input: [{ type: 'function_call_output', call_id: 'call_nowhere', output: 'sunny' }],
        }),
        (e) => {
          assert.ok(e instanceof BadRequestError, `BadRequestError, got ${e?.constructor?.name}: ${e?.message}`);
          assert.equal(e.status, 400);
          assert.match(e.message, /call_nowhere/);
          assert.match(e.message, /function_call_output/);
          return true;
        });
    });
  });
}

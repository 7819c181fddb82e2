// The Codex CLI (`codex exec`, from the @openai/codex npm package) with the
// gateway as a custom model provider (wire_api = "responses"), once per
// backend kind. Codex sends what it always sends — its developer
// instructions, function and namespace tools, a web_search tool, reasoning,
// include, store: false, prompt_cache_key, client_metadata — and streams.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_URL, KINDS, SIM_TEXT, TEST_TIMEOUT_MS, nonce, upstreamWith, conversationOf, accessLogLines } from './lib/common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CODEX = join(here, 'node_modules', '.bin', 'codex');
const CODEX_RUN_MS = 40_000;  // one `codex exec`; the test's own timeout is above it

let home;  // CODEX_HOME, a fresh temp dir holding config.toml
let work;  // the working directory codex runs in (not a git repository)

function writeConfig(dir) {
  // Everything that would reach beyond the gateway is off: no update check,
  // no analytics or OpenTelemetry export, the key comes from an env var (no
  // login), no retries (a gateway error must fail the test, not be retried).
  writeFileSync(join(dir, 'config.toml'), `
model = "${KINDS[0].model}"
model_provider = "hybridgw"
approval_policy = "never"
sandbox_mode = "read-only"
check_for_update_on_startup = false

[model_providers.hybridgw]
name = "hybridgw"
base_url = "${GATEWAY_URL}"
wire_api = "responses"
env_key = "HYBRIDGW_CODEX_KEY"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 20000

[analytics]
enabled = false

[otel]
exporter = "none"
`);
}

// Runs `codex exec` to the end (or kills its process group after CODEX_RUN_MS).
// `resume`: the session id of an earlier non-ephemeral run to continue;
// `image`: a file attached to the prompt (-i).
function codexExec(model, prompt, { ephemeral = true, resume, image } = {}) {
  const lastMessage = join(home, `last-${nonce('m')}.txt`);
  const args = ['exec', '--strict-config', '--skip-git-repo-check', ...(ephemeral ? ['--ephemeral'] : []),
    '--color', 'never', '-C', work, '-m', model, '-o', lastMessage,
    ...(resume ? ['resume', resume] : []), ...(image ? ['-i', image, '--'] : []), prompt];  // -i takes several files
  const env = {
    PATH: process.env.PATH, HOME: home, CODEX_HOME: home, HYBRIDGW_CODEX_KEY: 'hybridgw-client-test-key',
    LANG: 'C.UTF-8', NO_COLOR: '1', TERM: 'dumb',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX, args, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // run.sh kills the process groups still listed here when it ends (a test
    // runner killed by its timeout leaves no codex behind).
    const groupFile = process.env.HGW_PGID_DIR && child.pid ? join(process.env.HGW_PGID_DIR, `codex.${child.pid}`) : null;
    if (groupFile) writeFileSync(groupFile, String(child.pid));
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, CODEX_RUN_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (groupFile) rmSync(groupFile, { force: true });
      const last = existsSync(lastMessage) ? readFileSync(lastMessage, 'utf8') : null;
      const session = /session id: ([0-9a-f-]+)/.exec(stderr)?.[1];
      resolve({ code, signal, timedOut, stdout, stderr, last, args, session });
    });
  });
}

// A 1×1 PNG.
const PIXEL_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

// The image parts of an upstream request, in whatever form its protocol has.
function imageParts(k, body) {
  const parts = [];
  const scan = (content) => { for (const p of Array.isArray(content) ? content : []) parts.push(p); };
  if (k.kind === 'native') for (const it of body.input ?? []) scan(it.content);
  else for (const m of body.messages ?? []) scan(m.content);
  const isImage = { chat: (p) => p.type === 'image_url' && /^data:image\//.test(p.image_url?.url ?? ''),
    anthropic: (p) => p.type === 'image' && p.source?.type === 'base64' && /^image\//.test(p.source.media_type),
    native: (p) => p.type === 'input_image' && /^data:image\//.test(p.image_url ?? '') }[k.kind];
  return parts.filter(isImage);
}

const explain = (r) => `codex ${r.args.slice(0, -1).join(' ')} '${r.args.at(-1)}' → exit ${r.code}${r.timedOut ? ' (killed after timeout)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;

before(() => {
  assert.ok(existsSync(CODEX), `${CODEX} (npm ci in tests/clients)`);
  home = mkdtempSync(join(process.env.HGW_TMP || tmpdir(), 'codex-home-'));
  work = join(home, 'work');
  mkdirSync(work);
  writeConfig(home);
});
after(() => { if (home) rmSync(home, { recursive: true, force: true }); });

test('codex package: a runnable linux binary', { timeout: TEST_TIMEOUT_MS }, async () => {
  const r = await new Promise((resolve, reject) => {
    const c = spawn(CODEX, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^codex-cli \d+\.\d+\.\d+/);
});

for (const k of KINDS) {
  describe(`Codex CLI, ${k.kind} backend (${k.protocol})`, () => {
    test(`[${k.kind}] codex exec answers one prompt`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const n = nonce('codex');
      const r = await codexExec(k.model, `Say hello to the gateway test ${n}`);
      assert.equal(r.code, 0, explain(r));
      assert.ok(r.stdout.includes(SIM_TEXT.trim()), `the simulator's text on stdout\n${explain(r)}`);
      assert.equal(r.last?.trim(), SIM_TEXT.trim(), `--output-last-message\n${explain(r)}`);

      const ups = await upstreamWith(k, n);
      assert.equal(ups.length, 1, 'one upstream request');
      assert.equal(ups[0].target, k.upstreamPath);
      const conv = conversationOf(k, ups[0].json);
      assert.ok(conv.some((m) => m.role === 'system' && m.text.length > 100), 'codex instructions reached the backend');
      assert.equal(conv.at(-1).role, 'user');
      assert.ok(conv.at(-1).text.includes(n), 'the prompt is the last user message');
      // The gateway passes its request id upstream: the access log line of this request.
      const rid = ups[0].headers['x-request-id'];
      assert.ok(rid, 'x-request-id sent upstream');
      const [line] = await accessLogLines((l) => l.request_id === rid);
      assert.ok(line, `access log line ${rid}`);
      assert.deepEqual([line.path, line.route, line.status, line.stream], ['/v1/responses', k.model, 200, true], JSON.stringify(line));
    });

    test(`[${k.kind}] codex exec resume: a second turn carries the first`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const n1 = nonce('codex-turn1'), n2 = nonce('codex-turn2');
      const r1 = await codexExec(k.model, `First question ${n1}`, { ephemeral: false });
      assert.equal(r1.code, 0, explain(r1));
      assert.ok(r1.session, `session id on stderr\n${explain(r1)}`);
      const r2 = await codexExec(k.model, `Second question ${n2}`, { ephemeral: false, resume: r1.session });
      assert.equal(r2.code, 0, explain(r2));
      assert.equal(r2.last?.trim(), SIM_TEXT.trim(), explain(r2));
      const [up] = await upstreamWith(k, n2);
      assert.ok(up, 'the second turn reached the backend');
      const conv = conversationOf(k, up.json).filter((m) => m.role !== 'system');
      const i1 = conv.findIndex((m) => m.role === 'user' && m.text.includes(n1));
      assert.ok(i1 >= 0, `the first prompt is in the second request: ${JSON.stringify(conv)}`);
      assert.deepEqual(conv.slice(i1 + 1).map((m) => [m.role, m.role === 'user' ? m.text.includes(n2) : m.text.trim()]),
        [['assistant', SIM_TEXT.trim()], ['user', true]], JSON.stringify(conv.slice(i1)));
    });

    if (k.kind === 'anthropic') test(`[${k.kind}] codex exec: text before the tool call, then the answer`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const n = nonce('codex-preamble');
      const r = await codexExec(k.tools.model, `preamble: use exec_command to list the files ${n}`);
      assert.equal(r.code, 0, explain(r));
      assert.ok(r.stderr.includes('Let me check.') || r.stdout.includes('Let me check.'), explain(r));
      assert.equal(r.last?.trim(), SIM_TEXT.trim(), explain(r));
      const ups = await upstreamWith(k.tools, n, { atLeast: 2 });
      assert.equal(ups.length, 2);
      const tail = conversationOf(k, ups[1].json).filter((m) => m.role !== 'system').slice(-4);
      assert.deepEqual(tail.map((m) => [m.role, m.role === 'assistant' ? m.text : m.role === 'tool_call' ? m.name : '']),
        [['user', ''], ['assistant', 'Let me check.'], ['tool_call', 'exec_command'], ['tool_result', '']], JSON.stringify(tail));
    });

    // A native Responses backend (OpenAI itself) gets what codex sends that the
    // chat form has no place for: the gateway carries it along and puts it back.
    if (k.kind === 'native') test(`[${k.kind}] codex's Responses fields reach a native backend`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const n = nonce('codex-fields');
        const r = await codexExec(k.model, `Say hello ${n}`);
        assert.equal(r.code, 0, explain(r));
        const [up] = await upstreamWith(k, n);
        const b = up.json;
        const missing = [];
        if (!b.tools?.some((t) => t.type === 'web_search')) missing.push('tools[type=web_search]');
        if (!b.include?.includes('reasoning.encrypted_content')) missing.push('include');
        if (b.reasoning?.summary !== 'auto') missing.push('reasoning.summary');
        if (!b.prompt_cache_key) missing.push('prompt_cache_key');
        if (!b.input?.some((i) => i.role === 'developer')) missing.push('role developer');
        assert.deepEqual(missing, [], `missing upstream: ${missing.join(', ')}`);
      });

    test(`[${k.kind}] codex exec -i: an attached image reaches the backend`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const image = join(home, 'pixel.png');
      writeFileSync(image, Buffer.from(PIXEL_PNG, 'base64'));
      const n = nonce('codex-image');
      const r = await codexExec(k.model, `What is in this picture? ${n}`, { image });
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.last?.trim(), SIM_TEXT.trim(), explain(r));
      const [up] = await upstreamWith(k, n);
      assert.ok(up, 'the request reached the backend');
      const parts = imageParts(k, up.json);
      assert.equal(parts.length, 1, `one image part upstream: ${JSON.stringify(parts).slice(0, 500)}`);
    });

    test(`[${k.kind}] codex exec over a stream that breaks fails loudly`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const r = await codexExec(k.cut, `This answer will break ${nonce('codex-cut')}`);
      assert.notEqual(r.code, 0, explain(r));
      assert.ok(!r.timedOut, explain(r));
      assert.match(r.stderr, /upstream stream failed/, explain(r));
      assert.ok(!r.stdout.includes(SIM_TEXT.trim()), 'no complete answer');
    });

    test(`[${k.kind}] codex exec runs a tool the model calls and sends its output back`, { timeout: TEST_TIMEOUT_MS }, async () => {
      // The upstream calls exec_command (named in the prompt) with schema-shaped
      // arguments (cmd "sim", which does not exist: exit 127); codex runs it in its
      // read-only sandbox and sends the result back in a second request.
      const n = nonce('codex-tool');
      const r = await codexExec(k.tools.model, `Please use exec_command to list the files ${n}`);
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.last?.trim(), SIM_TEXT.trim(), explain(r));
      const ups = await upstreamWith(k.tools, n, { atLeast: 2 });
      assert.equal(ups.length, 2, 'the call, then the answer to its output');
      const conv = conversationOf(k, ups[1].json).filter((m) => m.role !== 'system');
      const tail = conv.slice(-3);
      assert.deepEqual(tail.map((m) => m.role), ['user', 'tool_call', 'tool_result'], JSON.stringify(tail));
      assert.equal(tail[1].name, 'exec_command');
      assert.equal(tail[2].call_id, tail[1].call_id);
      assert.match(tail[2].text, /exit|code|not found/i);
    });
  });
}

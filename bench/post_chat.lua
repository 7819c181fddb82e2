-- wrk script: POST a small OpenAI chat completion (non-streaming) on every request.
--   wrk -s bench/post_chat.lua http://127.0.0.1:PORT/v1/chat/completions
-- The model name is read from the environment (BENCH_MODEL, default "bench-model");
-- the simulator answers any model, the gateway routes it to its one backend.
local model = os.getenv("BENCH_MODEL") or "bench-model"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-not-a-real-key"
wrk.body = '{"model":"' .. model .. '","messages":[' ..
  '{"role":"system","content":"You are a concise assistant that answers in one short paragraph."},' ..
  '{"role":"user","content":"Summarise the trade-offs between running an open-weight model on our own GPUs and calling a hosted API, in three sentences."}' ..
  '],"max_tokens":64,"temperature":0.2}'

-- BENCH_PACE_MS: each connection pauses after every answer, on average this
-- long, for a paced load instead of a saturating one (unset or 0: no pause).
-- The pause is drawn uniformly from [0, 2 × BENCH_PACE_MS]: with a fixed pause
-- the connections, answered together, stay in lockstep and arrive as bursts of
-- 64, which independent clients do not.
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "0")
if pace > 0 then
  function delay() return math.random() * 2 * pace end
end

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

-- BENCH_PACE_MS: each connection pauses this long after every answer, for a
-- paced load instead of a saturating one (unset or 0: no pause).
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "0")
if pace > 0 then
  function delay() return pace end
end

#include "gateway/eval/Runner.hpp"

#include "gateway/eval/PairRule.hpp"

#include <boost/asio/signal_set.hpp>

#include <algorithm>

namespace hgw::eval {
namespace json = boost::json;
namespace {

const char* position_name(Position p) {
  switch (p) {
    case Position::first: return "A";
    case Position::second: return "B";
    case Position::tie: return "tie";
  }
  return "tie";
}

JudgeStatus judge_status(JudgeCallStatus s) {
  switch (s) {
    case JudgeCallStatus::ok: return JudgeStatus::scored;
    case JudgeCallStatus::skipped: return JudgeStatus::skipped;
    case JudgeCallStatus::unscored: return JudgeStatus::unscored;
  }
  return JudgeStatus::unscored;
}

}  // namespace

Runner::Runner(const EvalSetup& setup, const std::vector<EvalCase>& cases, const JudgeClient& judge,
               ResultsStore& store, Progress& progress, RunnerOptions options, unsigned short gateway_port)
    : setup_(setup), cases_(cases), judge_(judge), store_(store), progress_(progress), options_(options),
      port_(gateway_port) {}

Runner::~Runner() = default;

const AnswerRecord* Runner::answer_of(std::size_t case_index, std::size_t candidate, int rep) const {
  const auto& c = cases_[case_index];
  return store_.answer(c.id, setup_.candidates[candidate].name, rep, c.fingerprint);
}

void Runner::consider_pair(const PairKey& key) {
  if (!waiting_pairs_.count(key)) return;
  const auto& [case_index, rep, i, j] = key;
  const auto* a = answer_of(case_index, i, rep);
  const auto* b = answer_of(case_index, j, rep);
  if (!a || !b) return;  // an answer is still to come
  waiting_pairs_.erase(key);
  if (a->status != AnswerStatus::ok || b->status != AnswerStatus::ok) {
    --total_;  // nothing to compare: not a unit after all
    return;
  }
  // Pairs go first: they finish what the answers started.
  queue_.push_front(Unit{true, case_index, rep, i, j});
}

void Runner::wake_all() {
  if (wake_) wake_->cancel();
}

void Runner::stop(std::string error) {
  if (error_.empty()) error_ = std::move(error);
  stopping_ = true;
  for (auto& c : clients_) c->close();
  wake_all();
}

bool Runner::run() {
  const auto& cands = setup_.candidates;
  for (std::size_t ci = 0; ci < cases_.size(); ++ci)
    for (int rep = 0; rep < options_.repeat; ++rep)
      for (std::size_t k = 0; k < cands.size(); ++k)
        if (!answer_of(ci, k, rep)) {
          queue_.push_back(Unit{false, ci, rep, k, 0});
          ++total_;
        }
  std::vector<PairKey> pairs;
  for (std::size_t ci = 0; ci < cases_.size(); ++ci)
    for (int rep = 0; rep < options_.repeat; ++rep)
      for (std::size_t i = 0; i < cands.size(); ++i)
        for (std::size_t j = i + 1; j < cands.size(); ++j) {
          const auto& c = cases_[ci];
          auto a = cands[i].name, b = cands[j].name;
          if (b < a) std::swap(a, b);
          if (store_.pair(c.id, rep, a, b, c.fingerprint)) continue;
          waiting_pairs_.insert({ci, rep, i, j});
          pairs.push_back({ci, rep, i, j});
          ++total_;
        }
  for (const auto& key : pairs) consider_pair(key);
  progress_.update(0, total_);
  if (queue_.empty()) {
    progress_.finish(0, total_);
    return true;
  }

  wake_ = std::make_unique<Timer>(ioc_.get_executor());
  wake_->expires_at(Clock::time_point::max());
  const auto workers = std::max<std::size_t>(1, std::min<std::size_t>(options_.concurrency, total_));
  for (std::size_t w = 0; w < workers; ++w)
    clients_.push_back(std::make_unique<GatewayClient>(ioc_.get_executor(), port_, options_.timeout));

  net::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([this](error_code ec, int) {
    if (ec) return;
    interrupted_ = true;
    stop({});
  });
  std::size_t running = workers;
  for (std::size_t w = 0; w < workers; ++w)
    net::co_spawn(ioc_, worker(w), [this, &running, &signals](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          stop(std::string("internal error: ") + ex.what());
        }
      }
      if (--running == 0) {
        error_code ignored;
        signals.cancel(ignored);
      }
    });
  ioc_.run();
  progress_.finish(done_, total_);
  return !stopping_;
}

awaitable<void> Runner::worker(std::size_t slot) {
  for (;;) {
    if (stopping_) co_return;
    if (queue_.empty()) {
      if (in_flight_ == 0) {  // nothing in flight can make another pair ready
        wake_all();
        co_return;
      }
      co_await wake_->async_wait(use_nothrow);
      continue;
    }
    const Unit u = queue_.front();
    queue_.pop_front();
    ++in_flight_;
    const bool recorded = u.pair ? co_await run_pair(slot, u) : co_await run_answer(slot, u);
    --in_flight_;
    if (recorded) {
      ++done_;
      progress_.update(done_, total_);
    }
    wake_all();
  }
}

awaitable<bool> Runner::run_answer(std::size_t slot, const Unit& u) {
  auto& client = *clients_[slot];
  const auto& c = cases_[u.case_index];
  const auto& cand = setup_.candidates[u.first];
  json::object body = c.params;
  body["model"] = cand.model;
  body["messages"] = c.messages;
  std::string key;
  if (auto it = setup_.tenant_keys.find(c.tenant); it != setup_.tenant_keys.end()) key = it->second;
  auto reply = co_await client.post_json("/v1/chat/completions", json::serialize(body), key);
  if (stopping_) co_return false;

  AnswerRecord r;
  r.case_id = c.id;
  r.fingerprint = c.fingerprint;
  r.candidate = cand.name;
  r.rep = u.rep;
  r.http_status = reply.status;
  r.backend = reply.backend;
  r.route = reply.route;
  r.decision = reply.decision;
  r.latency_ms = reply.latency_ms;
  if (reply.status == 200) {
    std::string error;
    if (auto answer = read_chat_answer(reply.body, error)) {
      r.status = AnswerStatus::ok;
      r.answer = std::move(answer->text);
      r.tokens_in = answer->prompt_tokens;
      r.tokens_out = answer->completion_tokens;
      r.cost_usd = reply.cost_usd.value_or(0);
    } else {
      r.status = AnswerStatus::failed;
      r.reason = error;
    }
  } else {
    r.status = is_policy_refusal(reply) ? AnswerStatus::skipped : AnswerStatus::failed;
    r.reason = failure_reason(reply);
  }
  if (r.status == AnswerStatus::ok) {
    auto verdict = co_await judge_.score(client, c, r.answer);
    if (stopping_) co_return false;
    r.judge = judge_status(verdict.status);
    r.judge_attempts = verdict.attempts;
    r.judge_cost_usd = verdict.cost_usd;
    if (verdict.verdict) {
      r.score = verdict.verdict->score;
      r.judge_reason = verdict.verdict->reason;
    } else {
      r.judge_reason = verdict.reason;
    }
  }
  if (auto error = store_.add(r); !error.empty()) {
    stop(error);
    co_return false;
  }
  for (std::size_t k = 0; k < setup_.candidates.size(); ++k)
    if (k != u.first) consider_pair({u.case_index, u.rep, std::min(k, u.first), std::max(k, u.first)});
  co_return true;
}

awaitable<bool> Runner::run_pair(std::size_t slot, const Unit& u) {
  auto& client = *clients_[slot];
  const auto& c = cases_[u.case_index];
  std::size_t ia = u.first, ib = u.second;
  if (setup_.candidates[ib].name < setup_.candidates[ia].name) std::swap(ia, ib);
  const auto* a = answer_of(u.case_index, ia, u.rep);
  const auto* b = answer_of(u.case_index, ib, u.rep);
  PairRecord r;
  r.case_id = c.id;
  r.fingerprint = c.fingerprint;
  r.rep = u.rep;
  r.a = setup_.candidates[ia].name;
  r.b = setup_.candidates[ib].name;
  const std::string answer_a = a->answer, answer_b = b->answer;

  auto a_first = co_await judge_.compare(client, c, answer_a, answer_b);
  if (stopping_) co_return false;
  r.judge_attempts = a_first.attempts;
  r.judge_cost_usd = a_first.cost_usd;
  if (a_first.verdict) {
    r.a_first = position_name(a_first.verdict->winner);
    auto b_first = co_await judge_.compare(client, c, answer_b, answer_a);
    if (stopping_) co_return false;
    r.judge_attempts += b_first.attempts;
    r.judge_cost_usd += b_first.cost_usd;
    if (b_first.verdict) {
      r.b_first = position_name(b_first.verdict->winner);
      r.status = PairStatus::compared;
      r.outcome = to_string(combine_orders(a_first.verdict->winner, b_first.verdict->winner));
      r.reason = "A first: " + a_first.verdict->reason + " | B first: " + b_first.verdict->reason;
    } else {
      r.status = b_first.status == JudgeCallStatus::skipped ? PairStatus::skipped : PairStatus::unscored;
      r.reason = "B first: " + b_first.reason;
    }
  } else {
    // The mirrored order would meet the same refusal or the same judge: not asked.
    r.status = a_first.status == JudgeCallStatus::skipped ? PairStatus::skipped : PairStatus::unscored;
    r.reason = "A first: " + a_first.reason;
  }
  if (auto error = store_.add(r); !error.empty()) {
    stop(error);
    co_return false;
  }
  co_return true;
}

}  // namespace hgw::eval

// Runs the units of an eval that results.jsonl does not hold yet, through the
// in-process gateway, with at most `concurrency` requests in flight (one
// worker coroutine per slot, each with its own connection). An answer unit
// asks the candidate, then the judge for a score; a pair unit (two
// candidates, same case and repetition) is ready once both answers succeeded
// and asks the judge twice, A/B and B/A. Every finished unit is appended to
// the store at once. SIGINT/SIGTERM stop at once: what was in flight is not
// recorded and runs again next time.
#pragma once

#include "gateway/eval/CaseReader.hpp"
#include "gateway/eval/EvalSetup.hpp"
#include "gateway/eval/JudgeClient.hpp"
#include "gateway/eval/Progress.hpp"
#include "gateway/eval/Results.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace hgw::eval {

struct RunnerOptions {
  int repeat = 1;
  int concurrency = 4;
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};  // per request to the gateway
};

class Runner {
 public:
  Runner(const EvalSetup& setup, const std::vector<EvalCase>& cases, const JudgeClient& judge, ResultsStore& store,
         Progress& progress, RunnerOptions options, unsigned short gateway_port);
  ~Runner();

  // False when interrupted or when a result could not be written (error()).
  bool run();
  std::size_t total() const { return total_; }    // units this run had to do
  std::size_t finished() const { return done_; }  // of which finished
  bool interrupted() const { return interrupted_; }
  const std::string& error() const { return error_; }

 private:
  struct Unit {
    bool pair = false;
    std::size_t case_index = 0;
    int rep = 0;
    std::size_t first = 0, second = 0;  // candidate indexes (answer: first only)
  };
  using PairKey = std::tuple<std::size_t, int, std::size_t, std::size_t>;

  awaitable<void> worker(std::size_t slot);
  awaitable<bool> run_answer(std::size_t slot, const Unit& u);
  awaitable<bool> run_pair(std::size_t slot, const Unit& u);
  const AnswerRecord* answer_of(std::size_t case_index, std::size_t candidate, int rep) const;
  void consider_pair(const PairKey& key);  // queue it, drop it, or leave it waiting
  void stop(std::string error);
  void wake_all();

  const EvalSetup& setup_;
  const std::vector<EvalCase>& cases_;
  const JudgeClient& judge_;
  ResultsStore& store_;
  Progress& progress_;
  RunnerOptions options_;
  unsigned short port_;

  net::io_context ioc_{1};
  std::unique_ptr<Timer> wake_;
  std::vector<std::unique_ptr<GatewayClient>> clients_;
  std::deque<Unit> queue_;
  std::set<PairKey> waiting_pairs_;
  std::size_t total_ = 0, done_ = 0, in_flight_ = 0;
  bool stopping_ = false, interrupted_ = false;
  std::string error_;
};

}  // namespace hgw::eval

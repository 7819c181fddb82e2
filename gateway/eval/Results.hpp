// The results of an eval, one record per finished unit, kept in
// OUT/results.jsonl: a line is appended (and flushed) as each unit finishes,
// so an interrupted run loses only what was in flight and a rerun with the
// same --out runs only the missing units. The first line names the judge and
// the rubric's digest: scores from another judge or rubric are not mixed in.
//
// Units: an answer (case, candidate, repetition: the candidate's answer and
// the judge's score of it) and a pair (case, repetition, two candidates: the
// judge's verdicts in both orders). A record whose case fingerprint differs
// from the case's current one is stale and ignored.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace hgw::eval {

enum class AnswerStatus { ok, skipped, failed };
enum class JudgeStatus { scored, unscored, skipped, none };  // none: no answer to judge
enum class PairStatus { compared, unscored, skipped };

struct AnswerRecord {
  std::string case_id, fingerprint, candidate;
  int rep = 0;
  AnswerStatus status = AnswerStatus::failed;
  std::string reason;          // skipped / failed: the gateway's reason
  unsigned http_status = 0;
  std::string backend, route, decision;
  double latency_ms = 0;
  std::uint64_t tokens_in = 0, tokens_out = 0;
  double cost_usd = 0;
  std::string answer;
  JudgeStatus judge = JudgeStatus::none;
  std::optional<int> score;    // set only when scored
  std::string judge_reason;    // the judge's reason, or why there is no score
  int judge_attempts = 0;
  double judge_cost_usd = 0;
};

struct PairRecord {
  std::string case_id, fingerprint;
  int rep = 0;
  std::string a, b;            // candidate names, a < b
  PairStatus status = PairStatus::unscored;
  std::string outcome;         // compared: "a", "b" or "tie"
  std::string a_first, b_first;  // the two verdicts as given ("A", "B", "tie"; "" if none)
  std::string reason;
  int judge_attempts = 0;
  double judge_cost_usd = 0;
};

struct RunHeader {
  std::string judge;
  std::string rubric_sha256;
};

const char* to_string(AnswerStatus);
const char* to_string(JudgeStatus);
const char* to_string(PairStatus);

boost::json::object to_json(const AnswerRecord&);
boost::json::object to_json(const PairRecord&);
std::optional<AnswerRecord> answer_from_json(const boost::json::object&);
std::optional<PairRecord> pair_from_json(const boost::json::object&);

// The records of results.jsonl, the latest per unit, and appends to it.
class ResultsStore {
 public:
  // Loads `path` if it exists (unreadable lines — e.g. the last one of a run
  // killed mid-write — are skipped with a warning) and opens it for appending.
  // A header for another judge or rubric is an error; a new file gets `header`.
  // Returns "" or the error.
  std::string open(const std::string& path, const RunHeader& header);

  const AnswerRecord* answer(const std::string& case_id, const std::string& candidate, int rep,
                             const std::string& fingerprint) const;
  const PairRecord* pair(const std::string& case_id, int rep, const std::string& a, const std::string& b,
                         const std::string& fingerprint) const;

  // Appends a line and keeps the record; returns "" or the write error.
  std::string add(const AnswerRecord&);
  std::string add(const PairRecord&);

  std::vector<AnswerRecord> answers() const;
  std::vector<PairRecord> pairs() const;
  const std::vector<std::string>& warnings() const { return warnings_; }

  ResultsStore() = default;
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

 private:
  std::string append(const boost::json::object&);

  int fd_ = -1;
  std::string path_;
  std::map<std::tuple<std::string, std::string, int>, AnswerRecord> answers_;
  std::map<std::tuple<std::string, int, std::string, std::string>, PairRecord> pairs_;
  std::vector<std::string> warnings_;
};

}  // namespace hgw::eval

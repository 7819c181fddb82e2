#include "gateway/eval/Results.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace hgw::eval {
namespace json = boost::json;
namespace {

std::string str(const json::object& o, std::string_view key) {
  auto v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

double num(const json::object& o, std::string_view key) {
  auto v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

std::uint64_t count(const json::object& o, std::string_view key) {
  auto v = o.if_contains(key);
  if (!v) return 0;
  if (auto u = v->if_uint64()) return *u;
  if (auto i = v->if_int64()) return *i > 0 ? static_cast<std::uint64_t>(*i) : 0;
  return 0;
}

std::optional<int> integer(const json::object& o, std::string_view key) {
  auto v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (auto i = v->if_int64()) return static_cast<int>(*i);
  if (auto u = v->if_uint64()) return static_cast<int>(*u);
  return std::nullopt;
}

template <class E, std::size_t N>
std::optional<E> enum_of(const std::string& s, const E (&values)[N]) {
  for (E e : values)
    if (s == to_string(e)) return e;
  return std::nullopt;
}

constexpr AnswerStatus kAnswerStatuses[] = {AnswerStatus::ok, AnswerStatus::skipped, AnswerStatus::failed};
constexpr JudgeStatus kJudgeStatuses[] = {JudgeStatus::scored, JudgeStatus::unscored, JudgeStatus::skipped,
                                          JudgeStatus::none};
constexpr PairStatus kPairStatuses[] = {PairStatus::compared, PairStatus::unscored, PairStatus::skipped};

}  // namespace

const char* to_string(AnswerStatus s) {
  switch (s) {
    case AnswerStatus::ok: return "ok";
    case AnswerStatus::skipped: return "skipped";
    case AnswerStatus::failed: return "failed";
  }
  return "failed";
}

const char* to_string(JudgeStatus s) {
  switch (s) {
    case JudgeStatus::scored: return "scored";
    case JudgeStatus::unscored: return "unscored";
    case JudgeStatus::skipped: return "skipped";
    case JudgeStatus::none: return "none";
  }
  return "none";
}

const char* to_string(PairStatus s) {
  switch (s) {
    case PairStatus::compared: return "compared";
    case PairStatus::unscored: return "unscored";
    case PairStatus::skipped: return "skipped";
  }
  return "unscored";
}

json::object to_json(const AnswerRecord& r) {
  json::object judge{{"status", to_string(r.judge)},
                     {"score", r.score ? json::value(*r.score) : json::value(nullptr)},
                     {"reason", r.judge_reason},
                     {"attempts", r.judge_attempts},
                     {"cost_usd", r.judge_cost_usd}};
  return {{"kind", "answer"},        {"case", r.case_id},       {"fingerprint", r.fingerprint},
          {"candidate", r.candidate}, {"rep", r.rep},            {"status", to_string(r.status)},
          {"reason", r.reason},       {"http_status", r.http_status}, {"backend", r.backend},
          {"route", r.route},         {"decision", r.decision},  {"latency_ms", r.latency_ms},
          {"tokens_in", r.tokens_in}, {"tokens_out", r.tokens_out}, {"cost_usd", r.cost_usd},
          {"answer", r.answer},       {"judge", std::move(judge)}};
}

json::object to_json(const PairRecord& r) {
  return {{"kind", "pair"},     {"case", r.case_id},        {"fingerprint", r.fingerprint},
          {"rep", r.rep},       {"a", r.a},                 {"b", r.b},
          {"status", to_string(r.status)}, {"outcome", r.outcome}, {"a_first", r.a_first},
          {"b_first", r.b_first}, {"reason", r.reason},     {"attempts", r.judge_attempts},
          {"cost_usd", r.judge_cost_usd}};
}

std::optional<AnswerRecord> answer_from_json(const json::object& o) {
  AnswerRecord r;
  r.case_id = str(o, "case");
  r.fingerprint = str(o, "fingerprint");
  r.candidate = str(o, "candidate");
  auto rep = integer(o, "rep");
  auto status = enum_of(str(o, "status"), kAnswerStatuses);
  const auto* judge = o.if_contains("judge");
  if (r.case_id.empty() || r.candidate.empty() || !rep || *rep < 0 || !status || !judge || !judge->is_object())
    return std::nullopt;
  r.rep = *rep;
  r.status = *status;
  r.reason = str(o, "reason");
  r.http_status = static_cast<unsigned>(count(o, "http_status"));
  r.backend = str(o, "backend");
  r.route = str(o, "route");
  r.decision = str(o, "decision");
  r.latency_ms = num(o, "latency_ms");
  r.tokens_in = count(o, "tokens_in");
  r.tokens_out = count(o, "tokens_out");
  r.cost_usd = num(o, "cost_usd");
  r.answer = str(o, "answer");
  const auto& j = judge->get_object();
  auto js = enum_of(str(j, "status"), kJudgeStatuses);
  if (!js) return std::nullopt;
  r.judge = *js;
  r.score = integer(j, "score");
  if (r.judge == JudgeStatus::scored && (!r.score || *r.score < 1 || *r.score > 10)) return std::nullopt;
  if (r.judge != JudgeStatus::scored) r.score.reset();
  r.judge_reason = str(j, "reason");
  r.judge_attempts = integer(j, "attempts").value_or(0);
  r.judge_cost_usd = num(j, "cost_usd");
  return r;
}

std::optional<PairRecord> pair_from_json(const json::object& o) {
  PairRecord r;
  r.case_id = str(o, "case");
  r.fingerprint = str(o, "fingerprint");
  r.a = str(o, "a");
  r.b = str(o, "b");
  auto rep = integer(o, "rep");
  auto status = enum_of(str(o, "status"), kPairStatuses);
  if (r.case_id.empty() || r.a.empty() || r.b.empty() || !(r.a < r.b) || !rep || *rep < 0 || !status)
    return std::nullopt;
  r.rep = *rep;
  r.status = *status;
  r.outcome = str(o, "outcome");
  if (r.status == PairStatus::compared && r.outcome != "a" && r.outcome != "b" && r.outcome != "tie")
    return std::nullopt;
  r.a_first = str(o, "a_first");
  r.b_first = str(o, "b_first");
  r.reason = str(o, "reason");
  r.judge_attempts = integer(o, "attempts").value_or(0);
  r.judge_cost_usd = num(o, "cost_usd");
  return r;
}

ResultsStore::~ResultsStore() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ResultsStore::open(const std::string& path, const RunHeader& header) {
  path_ = path;
  bool have_header = false;
  bool ends_mid_line = false;
  {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    int n = 0;
    while (in && std::getline(in, line)) {
      ++n;
      ends_mid_line = in.eof();  // the last line had no newline: a write was cut short
      if (line.empty()) continue;
      boost::system::error_code ec;
      auto v = json::parse(line, ec);
      const auto* o = !ec ? v.if_object() : nullptr;
      const std::string kind = o ? str(*o, "kind") : "";
      if (kind == "run") {
        const std::string judge = str(*o, "judge"), rubric = str(*o, "rubric_sha256");
        if (judge != header.judge)
          return path + " holds results judged by '" + judge + "', not '" + header.judge +
                 "': use the same --judge to resume, or another --out";
        if (rubric != header.rubric_sha256)
          return path + " holds results scored with another rubric: use the same --rubric to resume, or another --out";
        have_header = true;
        continue;
      }
      if (kind == "answer") {
        if (auto r = answer_from_json(*o)) {
          answers_[{r->case_id, r->candidate, r->rep}] = std::move(*r);
          continue;
        }
      } else if (kind == "pair") {
        if (auto r = pair_from_json(*o)) {
          pairs_[{r->case_id, r->rep, r->a, r->b}] = std::move(*r);
          continue;
        }
      }
      warnings_.push_back(path + ":" + std::to_string(n) + ": not a result record, ignored (its unit runs again)");
    }
  }
  if (!answers_.empty() || !pairs_.empty()) {
    if (!have_header) return path + " has results but no header line: not written by hybridgw eval; use another --out";
  }
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return "cannot open " + path + " for appending: " + std::strerror(errno);
  if (ends_mid_line) {
    const char nl = '\n';  // so that the next record starts a line of its own
    if (::write(fd_, &nl, 1) != 1) return "cannot write " + path + ": " + std::strerror(errno);
  }
  if (!have_header)
    return append(json::object{{"kind", "run"}, {"judge", header.judge}, {"rubric_sha256", header.rubric_sha256}});
  return {};
}

const AnswerRecord* ResultsStore::answer(const std::string& case_id, const std::string& candidate, int rep,
                                         const std::string& fingerprint) const {
  auto it = answers_.find({case_id, candidate, rep});
  return it != answers_.end() && it->second.fingerprint == fingerprint ? &it->second : nullptr;
}

const PairRecord* ResultsStore::pair(const std::string& case_id, int rep, const std::string& a, const std::string& b,
                                     const std::string& fingerprint) const {
  auto it = pairs_.find({case_id, rep, a, b});
  return it != pairs_.end() && it->second.fingerprint == fingerprint ? &it->second : nullptr;
}

std::string ResultsStore::append(const json::object& o) {
  // One write per line (O_APPEND): a line is never interleaved with another.
  const std::string line = json::serialize(o) + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const auto n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return "cannot write " + path_ + ": " + std::strerror(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::string ResultsStore::add(const AnswerRecord& r) {
  auto error = append(to_json(r));
  answers_[{r.case_id, r.candidate, r.rep}] = r;
  return error;
}

std::string ResultsStore::add(const PairRecord& r) {
  auto error = append(to_json(r));
  pairs_[{r.case_id, r.rep, r.a, r.b}] = r;
  return error;
}

std::vector<AnswerRecord> ResultsStore::answers() const {
  std::vector<AnswerRecord> out;
  for (const auto& [_, r] : answers_) out.push_back(r);
  return out;
}

std::vector<PairRecord> ResultsStore::pairs() const {
  std::vector<PairRecord> out;
  for (const auto& [_, r] : pairs_) out.push_back(r);
  return out;
}

}  // namespace hgw::eval

// What eval asks the judge and how it reads the reply. Pure: builds chat
// requests (rubric as the system message, the case, its reference answer when
// there is one, the answer(s); JSON-constrained with response_format
// json_schema) and parses replies into verdicts or a reason they are not the
// expected JSON. The I/O (and the retry) is JudgeClient's.
#pragma once

#include "gateway/eval/CaseReader.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace hgw::eval {

// The default rubric (config/eval/rubric.md, compiled in).
std::string_view default_rubric();

struct ScoreVerdict {
  int score = 0;  // 1..10
  std::string reason;
};

// A pairwise verdict in the judge's terms: the answer shown first, second, or neither.
enum class Position { first, second, tie };

struct PairVerdict {
  Position winner = Position::tie;
  std::string reason;
};

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // why the reply is not the expected JSON (when !value)
};

boost::json::object score_request(const EvalCase& c, std::string_view answer, std::string_view rubric,
                                  const std::string& judge_model);
boost::json::object pair_request(const EvalCase& c, std::string_view first, std::string_view second,
                                 std::string_view rubric, const std::string& judge_model);

// The same request once more, with the bad reply and a note saying what was
// wrong with it: the one retry a malformed verdict gets.
boost::json::object retry_request(boost::json::object request, std::string_view bad_reply, std::string_view error);

// Replies are a JSON object, possibly inside a ```json fence; nothing else.
Parsed<ScoreVerdict> parse_score(std::string_view reply);
Parsed<PairVerdict> parse_pair(std::string_view reply);

// The conversation as the judge reads it: "[role]\ntext" blocks.
std::string render_conversation(const boost::json::array& messages);

}  // namespace hgw::eval

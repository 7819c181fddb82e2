// What a client's stream carried, read back in each client dialect: the text,
// the preamble and end events counted, so that tests can say "one preamble,
// the whole answer, one end".
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace hgw::test {

struct ChatStreamRead {  // chat.completion.chunk events
  std::string text;
  int roles = 0, dones = 0, errors = 0;
  boost::json::object usage;  // the last usage seen
  std::set<std::string> ids;  // chunk ids
};
ChatStreamRead read_chat_stream(const std::string& body);

struct MessagesStreamRead {  // Anthropic events
  std::string text;
  int starts = 0, stops = 0;
};
MessagesStreamRead read_messages_stream(const std::string& body);

struct ResponsesStreamRead {  // Responses events
  std::string text;                 // the output_text deltas
  int created = 0;
  bool numbered = true;             // sequence_number 0, 1, 2, … without a gap
  std::string last_event;
  boost::json::object last_response;  // the response of the last event that has one
};
ResponsesStreamRead read_responses_stream(const std::string& body);

// A compliance section: these detectors, restricted for cn_resident_id, and
// restricted data kept on local backends.
std::string restricted_stays_local_yaml(const std::string& detectors = "[cn_resident_id]");

}  // namespace hgw::test

// The transformations the model's answer goes through on its way back: the
// output filter (configured terms and detectors: mask or stop), then the
// restoration of redaction placeholders to the client's own values.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/protocol/TextFilter.hpp"

#include <boost/json.hpp>

#include <memory>

namespace hgw::pipeline {

// nullptr when the answer passes unchanged (the common case: no work at all).
std::unique_ptr<protocol::TextFilter> make_answer_filter(const Call& call);

// Applies the filter to a whole (non-streamed) answer: choices[].message.content
// or choices[].text. Returns false when the filter stops the answer.
bool filter_whole_answer(boost::json::object& answer, protocol::TextFilter& filter);

}  // namespace hgw::pipeline

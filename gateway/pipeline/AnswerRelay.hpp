// A whole (non-streamed) answer: read it, translate it from the backend's
// dialect and for the client's, run the output filter and placeholder
// restoration, read its usage and cost, send it. An answer that needs none
// of that (OpenAI on both sides, no filter) is passed on as it is, its usage
// read without building a document.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/upstream/Exchange.hpp"

namespace hgw::pipeline {

awaitable<void> relay_answer(Call& call, int backend, upstream::Exchange& exchange, AttemptResult& result);

}  // namespace hgw::pipeline

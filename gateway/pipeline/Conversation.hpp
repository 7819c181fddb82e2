// Responses API conversations (POST /v1/responses): the gateway owns them, so
// that any backend can serve any turn — chat-only local servers have no state
// of their own, and a turn may fail over to another backend than the last.
//
// A turn with store (OpenAI's default) is kept in the state store for
// state.responses_ttl_s: the response, this turn's input items, the whole
// conversation so far, and the data class of the conversation — the highest
// of all its turns. A turn with previous_response_id continues that
// conversation: the backend receives every earlier item, and the turn's data
// class is at least the conversation's, so a chain that once carried
// restricted data stays on the backends restricted data may reach, however
// harmless the new turn looks. Stored conversations are the tenant's own:
// another tenant's id is not found.
#pragma once

#include "gateway/pipeline/Call.hpp"
#include "gateway/pipeline/RequestIntake.hpp"
#include "gateway/pipeline/Services.hpp"

#include <optional>
#include <string_view>

namespace hgw::pipeline {

// The turn's response id, what the client asked to keep, and with
// previous_response_id the stored conversation (404 when it is not the
// tenant's or has expired; 503 when the store cannot answer). Between
// parse_request and decode_request.
awaitable<std::optional<IntakeError>> begin_turn(Services& services, Call& call);

// A complete answer of a turn with store, before its last bytes go to the
// client: keeps it (off the io thread) and waits until it is kept (at most
// the store's timeout), so that a client's next turn always finds it.
awaitable<void> keep_turn(const Services& services, const Call& call);

// GET /v1/responses/{id}, GET /v1/responses/{id}/input_items, DELETE /v1/responses/{id}.
bool is_stored_response_path(std::string_view path);
awaitable<void> serve_stored_response(Services& services, Call& call);

}  // namespace hgw::pipeline

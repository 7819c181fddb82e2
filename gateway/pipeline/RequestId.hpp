// x-request-id: echoed when the client sent a sane one, generated otherwise.
#pragma once

#include <string>
#include <string_view>

namespace hgw::pipeline {

// A client id is kept if it is 1..128 printable ASCII characters without
// spaces (it goes into logs and headers); otherwise a random 128-bit hex id.
std::string request_id_of(std::string_view client_value);

}  // namespace hgw::pipeline

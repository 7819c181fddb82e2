#include "policies/RequestFeatures.hpp"

namespace hgw::policy {

const char* to_string(Endpoint e) {
  switch (e) {
    case Endpoint::chat: return "chat";
    case Endpoint::completions: return "completions";
    case Endpoint::embeddings: return "embeddings";
    case Endpoint::messages: return "messages";
    case Endpoint::responses: return "responses";
  }
  return "chat";
}

}  // namespace hgw::policy

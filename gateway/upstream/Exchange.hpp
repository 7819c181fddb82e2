// One attempt of one request against one backend: take or open a connection,
// write the request, read the response head, then hand out body bytes as they
// arrive. Every step is bounded by its own timeout and by the request deadline.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/upstream/BackendPool.hpp"
#include "gateway/upstream/ResponseParser.hpp"

#include <optional>
#include <string>

namespace hgw::upstream {

// How an attempt failed at the transport level (HTTP-level failures are
// classified from the status and body by the failover policy).
enum class TransportFailure {
  none,
  connect_error,
  tls_error,
  timeout_connect,
  timeout_first_token,
  timeout_idle,
  timeout_total,
  reset,      // connection closed or reset by the upstream
  malformed,  // not valid HTTP
  cancelled,  // aborted by us (client went away)
};
const char* to_string(TransportFailure);

class Exchange {
 public:
  Exchange(std::shared_ptr<BackendPool> pool, Clock::time_point deadline)
      : pool_holder_(std::move(pool)), pool_(*pool_holder_), deadline_(deadline) {}
  ~Exchange();

  // Connect (or reuse), write the request's bytes, read the head within
  // timeouts.first_token_ms.
  awaitable<TransportFailure> send(const std::string& request);

  unsigned status() const { return parser_->status(); }
  // The response fields the gateway acts on.
  std::string_view content_type() const { return parser_->content_type(); }
  std::string_view retry_after() const { return parser_->retry_after(); }
  std::string_view retry_after_ms() const { return parser_->retry_after_ms(); }

  // Appends the next body bytes to out (at least one byte unless done()).
  // `first_token` selects the first-token timeout instead of the idle timeout.
  awaitable<TransportFailure> read_some(std::string& out, bool first_token);
  // Reads the rest of the body (up to max_bytes) into out.
  awaitable<TransportFailure> read_all(std::string& out, std::size_t max_bytes);
  bool done() const { return parser_ && parser_->is_done(); }

  // Closes the connection now; any pending operation completes with an error.
  void abort();

 private:
  awaitable<TransportFailure> open_fresh();
  awaitable<TransportFailure> write_and_read_head(const std::string& wire, bool* nothing_received);
  Clock::duration bounded(std::uint32_t timeout_ms, bool* by_deadline) const;
  TransportFailure classify(const error_code& ec, TransportFailure on_timeout,
                            bool deadline_bound) const;

  std::shared_ptr<BackendPool> pool_holder_;
  BackendPool& pool_;
  Clock::time_point deadline_;
  std::unique_ptr<UpstreamConnection> conn_;
  std::optional<ResponseParser> parser_;
  bool aborted_ = false;
};

}  // namespace hgw::upstream

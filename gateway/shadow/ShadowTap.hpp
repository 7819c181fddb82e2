// Where shadow traffic meets a live request: the client's channel, passed
// through untouched, plus the two random draws of shadow sampling — is this
// request mirrored (shadow.sample), and is the pair judged (judge.sample)? —
// made before the attempt, so that the answer of a request to be judged is
// kept as the client receives it (its bytes, bounded) for the judge to read
// afterwards. Nothing here waits or delays: every call forwards at once.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/server/ClientChannel.hpp"

#include <string>

namespace hgw::shadow {

class ShadowTap final : public server::ClientChannel {
 public:
  // Answers longer than this are not kept (that request is not judged).
  static constexpr std::size_t kMaxKeptBytes = 1024 * 1024;

  explicit ShadowTap(server::ClientChannel& client) : client_(client) {}

  // The draws for a request of `route` (uniform in [0, 1), per request): a
  // sample of 0 never mirrors, 1 always does.
  void draw(const config::RouteConfig& route);
  bool mirrored() const { return mirrored_; }
  bool judged() const { return judged_; }

  // The answer as the client received it (body, or the stream's bytes), when
  // judged() and it fitted in kMaxKeptBytes.
  bool kept() const { return judged_ && !overflow_ && (answered_ || streamed_); }
  bool streamed() const { return streamed_; }
  const std::string& bytes() const { return bytes_; }

  awaitable<bool> send(server::Response response) override;
  awaitable<bool> start_stream(server::Response head) override;
  awaitable<bool> send_chunk(std::string_view data) override;
  awaitable<bool> finish_stream() override { return client_.finish_stream(); }
  bool answered() const override { return client_.answered(); }
  bool streaming() const override { return client_.streaming(); }
  std::shared_ptr<CloseWatch> watch_close(std::function<void()> on_close) override {
    return client_.watch_close(std::move(on_close));
  }

 private:
  void keep(std::string_view data);

  server::ClientChannel& client_;
  bool mirrored_ = false, judged_ = false;
  bool answered_ = false, streamed_ = false, overflow_ = false;
  std::string bytes_;
};

}  // namespace hgw::shadow

// A transport failure of an exchange, as the attempt outcome the failover
// policy and the metrics know.
#pragma once

#include "gateway/upstream/Exchange.hpp"
#include "policies/failover/Outcome.hpp"

namespace hgw::pipeline {

inline failover::Outcome outcome_of(upstream::TransportFailure f) {
  using upstream::TransportFailure;
  using failover::Outcome;
  switch (f) {
    case TransportFailure::none: return Outcome::success;
    case TransportFailure::connect_error: return Outcome::connect_error;
    case TransportFailure::tls_error: return Outcome::tls_error;
    case TransportFailure::timeout_connect: return Outcome::timeout_connect;
    case TransportFailure::timeout_first_token: return Outcome::timeout_first_token;
    case TransportFailure::timeout_idle: return Outcome::timeout_idle;
    case TransportFailure::timeout_total: return Outcome::timeout_total;
    case TransportFailure::reset: return Outcome::reset;
    case TransportFailure::malformed: return Outcome::malformed;
    case TransportFailure::cancelled: return Outcome::cancelled;
  }
  return Outcome::reset;
}

}  // namespace hgw::pipeline

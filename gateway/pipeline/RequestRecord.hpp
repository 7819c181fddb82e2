// The lines a request leaves in the logs, built from its Call: the access log
// record (every request) and the compliance audit record (every request that
// reached the compliance stage). Names, counts and numbers only — never a
// prompt, a completion, a detected value or a key.
#pragma once

#include "gateway/observability/AccessLog.hpp"
#include "gateway/observability/AuditLog.hpp"
#include "gateway/pipeline/Call.hpp"

namespace hgw::pipeline {

// Views into the call: valid while it lives.
obs::AccessRecord access_record(const Call& call, unsigned status, double latency_s);
obs::AuditRecord audit_record(const Call& call, std::string time, unsigned status);

}  // namespace hgw::pipeline

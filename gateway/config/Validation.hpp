// Checks that span sections, run once everything is parsed (includes merged):
// names that must exist (targets, tenants' routes, detectors, classes), names
// that must be unique, and warnings about risky but legal settings.
#pragma once

#include "gateway/config/Config.hpp"
#include "gateway/config/Diagnostics.hpp"

namespace hgw::config {

void validate_references(const Config&, Diagnostics&);

}  // namespace hgw::config

// summary.json: the whole Summary as JSON (undefined numbers are null).
#pragma once

#include "gateway/eval/Summary.hpp"

#include <boost/json.hpp>

namespace hgw::eval {

boost::json::object summary_json(const Summary&);

}  // namespace hgw::eval

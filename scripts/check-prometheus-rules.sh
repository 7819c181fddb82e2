#!/usr/bin/env bash
# The Prometheus rules shipped in deploy/prometheus/ load (promtool check
# rules) and their alerts fire as hybridgw-rules.test.yaml expects (promtool
# test rules). promtool comes from scripts/fetch-prometheus.sh (the test
# command runs it) or PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
promtool=${PROMTOOL:-$(pwd)/.cache/prometheus/usr/bin/promtool}
[ -x "$promtool" ] || promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then
  echo "promtool not found: run scripts/fetch-prometheus.sh (scripts/test.sh does)" >&2
  exit 1
fi
cd deploy/prometheus
"$promtool" check rules hybridgw-rules.yaml
"$promtool" test rules hybridgw-rules.test.yaml

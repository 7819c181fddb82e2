#!/usr/bin/env bash
# Opens a `hybridgw eval` report in headless Chromium and checks that
#   1. its charts rendered: both SVG charts have a layout box, the score/cost
#      chart has a point per scored candidate, the distribution chart its bars;
#   2. the page attempted no network request at all (in Chromium's net log, no
#      request started by the page other than for its own file://).
# Also writes a screenshot. Installs the Debian package chromium when missing.
#
# usage: scripts/check-eval-report.sh REPORT.html [SCREENSHOT.png]
set -euo pipefail

report=${1:-}
if [ -z "$report" ] || [ ! -f "$report" ]; then
  echo "usage: $0 REPORT.html [SCREENSHOT.png]   (REPORT.html: e.g. eval-out/report.html)" >&2
  exit 2
fi
report=$(realpath "$report")
shot=${2:-${report%.html}.png}

if ! command -v chromium >/dev/null 2>&1; then
  echo "check-eval-report: installing chromium (Debian package)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --disable-default-apps --mute-audio)

# A page of ours frames the report and measures what the browser laid out
# (the report itself has no script). --allow-file-access-from-files lets it
# read the framed file:// document; the result lands in its own DOM.
cat >"$work/measure.html" <<HTML
<!DOCTYPE html><html><body><iframe id="r" src="file://$report" width="1200" height="3000"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById('r').addEventListener('load', function () {
  var out = [];
  try {
    var d = this.contentDocument;
    ['score-cost', 'score-distribution'].forEach(function (id) {
      var svg = d.getElementById(id);
      var box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
      out.push('chart ' + id + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
    });
    var drawn = function (sel) {
      return Array.prototype.filter.call(d.querySelectorAll(sel), function (e) {
        var b = e.getBoundingClientRect();
        return b.width > 0 && b.height > 0;
      }).length;
    };
    out.push('points ' + drawn('#score-cost circle.point'));
    out.push('bars ' + drawn('#score-distribution rect.bar'));
    out.push('bar_slots ' + d.querySelectorAll('#score-distribution rect.bar').length);
    out.push('candidates ' + d.querySelectorAll('table')[0].querySelectorAll('tbody tr').length);
  } catch (e) {
    out.push('error ' + e);
  }
  document.getElementById('result').textContent = out.join('\n');
});
</script></body></html>
HTML

chromium "${flags[@]}" --user-data-dir="$work/profile-measure" --allow-file-access-from-files \
  --virtual-time-budget=5000 --dump-dom "file://$work/measure.html" >"$work/dom.html" 2>"$work/measure.log" || {
  echo "check-eval-report: chromium failed:" >&2
  tail -20 "$work/measure.log" >&2
  exit 1
}

# The report alone, with a net log of every request and host lookup the browser tried.
chromium "${flags[@]}" --user-data-dir="$work/profile-net" --window-size=1200,2200 \
  --log-net-log="$work/net.json" --net-log-capture-mode=Everything \
  --screenshot="$shot" "file://$report" >"$work/shot.log" 2>&1 || {
  echo "check-eval-report: chromium failed:" >&2
  tail -20 "$work/shot.log" >&2
  exit 1
}

result=$(sed -n '/<pre id="result">/,/<\/pre>/p' "$work/dom.html" | sed 's/<[^>]*>//g')
value() { echo "$result" | awk -v k="$1" '$1 == k { print $2 }'; }
failures=()
echo "$result" | grep -q '^error ' && failures+=("measuring failed: $(echo "$result" | grep '^error ')")
for id in score-cost score-distribution; do
  size=$(echo "$result" | awk -v id="$id" '$1 == "chart" && $2 == id { print $3 }')
  case "$size" in
    ""|0x*|*x0) failures+=("chart $id did not render (box: ${size:-none})") ;;
  esac
done
points=$(value points)
bars=$(value bars)
slots=$(value bar_slots)
[ "${points:-0}" -ge 1 ] || failures+=("the score/cost chart has no point drawn")
[ "${slots:-0}" -ge 10 ] || failures+=("the distribution chart has ${slots:-0} bar slots (want 10 per candidate)")
[ "${bars:-0}" -ge 1 ] || failures+=("the distribution chart has no bar drawn")

# Requests the page started: the net log (one event a line) gives each URL
# request its initiator; Chromium's own background fetches (updates, time,
# accounts) have none ("not an origin"), a page's have its origin ("null" for
# file://). Only the report's own file may appear.
url_of() { grep -oE '"url":"[^"]*"' | sed -E 's/^"url":"//; s/"$//' | sort -u; }
page_urls=$(grep '"initiator":' "$work/net.json" | grep -v '"initiator":"not an origin"' | url_of || true)
background=$(grep '"initiator":"not an origin"' "$work/net.json" | url_of | grep -c . || true)
external=$(echo "$page_urls" | grep -vE '^(file:|data:|about:|$)' || true)
[ -z "$external" ] || failures+=("the page attempted network requests: $(echo "$external" | tr '\n' ' ')")

echo "check-eval-report: $report"
echo "  charts:  score-cost $(echo "$result" | awk '$2 == "score-cost" { print $3 }'), score-distribution $(echo "$result" | awk '$2 == "score-distribution" { print $3 }')"
echo "  drawn:   $points point(s), $bars of $slots bar(s); candidates in the table: $(value candidates)"
echo "  network: $( [ -z "$external" ] && echo "no request from the page" || echo "the page requested: $(echo "$external" | tr '\n' ' ')") ($background background request(s) of Chromium itself ignored)"
echo "  screenshot: $shot"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'check-eval-report: FAILED: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "check-eval-report: ok"

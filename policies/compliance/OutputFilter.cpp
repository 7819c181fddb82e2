#include "policies/compliance/OutputFilter.hpp"

#include <re2/re2.h>

#include <algorithm>

#include "policies/compliance/Redactor.hpp"
#include "policies/compliance/TextNormalizer.hpp"

namespace hgw::compliance {

std::shared_ptr<const OutputFilterSpec> OutputFilterSpec::build(
    std::shared_ptr<const DetectorSet> detectors, const std::vector<std::string>& terms_in,
    const std::string& action, std::string* error) {
  auto spec = std::make_shared<OutputFilterSpec>();
  if (detectors && !detectors->empty()) spec->detectors = std::move(detectors);
  spec->stop = action == "stop";
  std::vector<std::string> terms;
  for (const auto& t : terms_in)
    if (!t.empty()) terms.push_back(t);
  // Longest first: with leftmost-first alternation the longest term wins.
  std::sort(terms.begin(), terms.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  if (!terms.empty()) {
    std::string pattern = "(?i)(?:";
    for (std::size_t i = 0; i < terms.size(); ++i) {
      pattern += (i ? "|" : "") + RE2::QuoteMeta(terms[i]);
      spec->max_term_bytes = std::max(spec->max_term_bytes, terms[i].size());
    }
    pattern += ")";
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    auto re = std::make_shared<RE2>(pattern, o);
    if (re->ok()) spec->terms = std::move(re);
    else if (error) *error = "output filter terms: " + re->error();
  }
  if (error && action != "mask" && action != "stop")
    *error += std::string(error->empty() ? "" : "\n") + "output filter action '" + action + "' is not mask or stop";
  return spec;
}

std::shared_ptr<const OutputFilterSpec> OutputFilterSpec::build(const config::ComplianceConfig& cfg,
                                                                std::string* error) {
  const auto& of = cfg.output_filter;
  std::vector<std::string> builtin;
  std::vector<config::CustomDetectorConfig> custom;
  for (const auto& n : of.detectors) {
    bool is_custom = false;
    for (const auto& c : cfg.custom_detectors)
      if (c.name == n) {
        custom.push_back(c);
        is_custom = true;
      }
    if (!is_custom) builtin.push_back(n);
  }
  std::string e1, e2;
  std::shared_ptr<const DetectorSet> det;
  if (!builtin.empty() || !custom.empty()) det = DetectorSet::build(builtin, custom, &e1, cfg.context);
  auto spec = build(det, of.terms, config::to_string(of.action), &e2);
  if (error) *error = e1 + (e1.empty() || e2.empty() ? "" : "\n") + e2;
  return spec;
}

OutputFilter::OutputFilter(std::shared_ptr<const DetectorSet> detectors, std::vector<std::string> terms,
                           std::string action)
    : spec_(OutputFilterSpec::build(std::move(detectors), terms, action)) {}

OutputFilter::OutputFilter(std::shared_ptr<const OutputFilterSpec> spec) : spec_(std::move(spec)) {
  if (!spec_) spec_ = std::make_shared<OutputFilterSpec>();
}

OutputFilter::Result OutputFilter::feed(std::string_view chunk) {
  if (stopped_) return {{}, true, stopped_by_};
  buf_.append(chunk);
  return process(false);
}

OutputFilter::Result OutputFilter::flush() {
  if (stopped_) return {{}, true, stopped_by_};
  return process(true);
}

OutputFilter::Result OutputFilter::process(bool final) {
  Result r;
  struct Hit {
    std::size_t begin, end;
    std::string type;  // "" = term
  };
  std::vector<Hit> hits;
  const std::string_view text = buf_;
  if (spec_->detectors) {
    std::vector<Finding> f;
    spec_->detectors->scan_one(text, 0, f);
    for (auto& x : f)
      if (x.end > ctx_) hits.push_back({std::max(x.begin, ctx_), x.end, std::move(x.type)});
  }
  if (spec_->terms) {
    std::size_t pos = ctx_;
    re2::StringPiece m;
    while (pos < text.size() && spec_->terms->Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
      std::size_t b = static_cast<std::size_t>(m.data() - text.data());
      std::size_t e = b + m.size();
      if (e == b) break;
      hits.push_back({b, e, ""});
      pos = e;
    }
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });

  std::size_t hold = 0;
  if (!final) {
    if (spec_->detectors) hold = kDetectorHoldBack;
    if (spec_->terms) hold = std::max(hold, spec_->max_term_bytes);
  }
  // The held-back tail is measured in the detectors' normalised view: a number
  // written in full-width digits or with invisible characters takes several
  // times its length in bytes.
  std::size_t cut = text.size() > ctx_ + hold ? text.size() - hold : ctx_;
  if (hold > 0 && spec_->detectors) {
    NormalizedText view;
    view.assign(text);
    if (!view.identity()) {
      const std::size_t n = view.text().size();
      cut = std::max(ctx_, n > hold ? view.original_begin(n - hold) : ctx_);
    }
  }
  // Never cut through a character or a match; backing off one can land in
  // the other (a stray continuation byte right after a match), so until both hold.
  for (bool moved = true; moved;) {
    moved = false;
    while (cut > ctx_ && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;
      moved = true;
    }
    for (const auto& h : hits)
      if (h.begin < cut && h.end > cut) {
        cut = h.begin;
        moved = true;
      }
  }

  std::size_t pos = ctx_;
  for (const auto& h : hits) {
    if (h.end > cut || h.begin < pos) continue;
    ++matches_;
    r.text.append(text.substr(pos, h.begin - pos));
    if (spec_->stop) {
      stopped_ = true;
      stopped_by_ = h.type.empty() ? "term" : h.type;
      r.stop = true;
      r.stopped_by = stopped_by_;
      buf_.clear();
      ctx_ = 0;
      return r;
    }
    r.text += h.type.empty() ? std::string("[REDACTED]") : "[REDACTED:" + placeholder_prefix(h.type) + "]";
    pos = h.end;
  }
  r.text.append(text.substr(pos, cut - pos));
  // Keep a little already-emitted text as left context for the next scan.
  std::size_t keep_from = cut > kContext ? cut - kContext : 0;
  while (keep_from > 0 && keep_from < cut && (static_cast<unsigned char>(text[keep_from]) & 0xC0) == 0x80) --keep_from;
  buf_.erase(0, keep_from);
  ctx_ = cut - keep_from;
  if (final) {
    buf_.clear();
    ctx_ = 0;
  }
  return r;
}

}  // namespace hgw::compliance

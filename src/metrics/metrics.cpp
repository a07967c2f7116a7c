#include "metrics/metrics.hpp"

#include <cstdio>

namespace passgate::metrics {
namespace {

template <std::size_t N>
std::size_t index_of(const std::array<std::string_view, N>& names, std::string_view v) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == v) return i;
  return N - 1;
}

void counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t v) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  out += name;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}

}  // namespace

void gateway_metrics::count_request(std::string_view outcome, std::string_view label, std::uint64_t bytes) {
  requests[index_of(outcomes, outcome)][index_of(labels, label)].fetch_add(1, std::memory_order_relaxed);
  response_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void gateway_metrics::count_refusal(std::string_view reason) {
  limit_refusals[index_of(refusal_reasons, reason)].fetch_add(1, std::memory_order_relaxed);
}

std::string to_prometheus(const gateway_metrics& m, const std::vector<reading>& readings) {
  std::string out;
  out.reserve(4096);
  out += "# HELP passgate_requests_total Proxied requests by outcome and credential kind.\n";
  out += "# TYPE passgate_requests_total counter\n";
  for (std::size_t o = 0; o < outcomes.size(); ++o)
    for (std::size_t l = 0; l < labels.size(); ++l) {
      out += "passgate_requests_total{outcome=\"";
      out += outcomes[o];
      out += "\",credential=\"";
      out += labels[l];
      out += "\"} ";
      out += std::to_string(m.requests[o][l].load(std::memory_order_relaxed));
      out += '\n';
    }
  counter(out, "passgate_local_requests_total", "Requests answered by the gateway itself (health, admin, unknown routes).",
          m.requests_unrouted.load());
  counter(out, "passgate_response_bytes_total", "Bytes sent to clients for proxied requests.", m.response_bytes.load());
  counter(out, "passgate_upstream_connects_total", "New upstream connections opened.", m.upstream_connects.load());
  counter(out, "passgate_upstream_connect_failures_total", "Upstream connections that could not be opened.",
          m.upstream_connect_failures.load());
  counter(out, "passgate_upstream_reuses_total", "Requests sent on a pooled upstream connection.", m.upstream_reuses.load());
  counter(out, "passgate_unknown_model_rows_total", "Spend rows whose model has no price (cost left null).",
          m.unknown_model_rows.load());
  out += "# HELP passgate_limit_refusals_total Requests refused by their key's budget or rate limits, by reason.\n";
  out += "# TYPE passgate_limit_refusals_total counter\n";
  for (std::size_t i = 0; i < refusal_reasons.size(); ++i) {
    out += "passgate_limit_refusals_total{reason=\"";
    out += refusal_reasons[i];
    out += "\"} ";
    out += std::to_string(m.limit_refusals[i].load(std::memory_order_relaxed));
    out += '\n';
  }
  counter(out, "passgate_unrecorded_refusals_total",
          "Requests refused before a key was known whose spend row was not written (rate-limited).",
          m.unrecorded_refusals.load());
  for (const auto& g : readings) {
    out += "# HELP " + g.name + " " + g.help + "\n# TYPE " + g.name + " " + g.type + "\n" + g.name + " ";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", g.read());
    out += buf;
    out += '\n';
  }
  return out;
}

}  // namespace passgate::metrics

#pragma once
// The gateway's counters, declared once, and the one serializer that writes them
// as Prometheus text. Counters are relaxed atomics bumped on the I/O threads;
// gauges that live elsewhere (queues, connections) are read through callbacks.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace passgate::metrics {

inline constexpr std::array<std::string_view, 6> outcomes{"ok",       "upstream_error", "client_closed",
                                                          "shutdown", "refused",        "gateway_error"};
inline constexpr std::array<std::string_view, 5> refusal_reasons{"budget", "rpm", "tpm", "parallel", "unavailable"};
inline constexpr std::array<std::string_view, 5> labels{"oauth", "byok", "bearer", "server", "none"};

struct gateway_metrics {
  // passgate_requests_total{outcome, credential}
  std::array<std::array<std::atomic<std::uint64_t>, labels.size()>, outcomes.size()> requests{};
  std::atomic<std::uint64_t> requests_unrouted{0};  // health, admin, 404
  std::atomic<std::uint64_t> response_bytes{0};
  std::atomic<std::uint64_t> upstream_connects{0};
  std::atomic<std::uint64_t> upstream_connect_failures{0};
  std::atomic<std::uint64_t> upstream_reuses{0};
  std::atomic<std::uint64_t> unknown_model_rows{0};
  // passgate_limit_refusals_total{reason}: requests a key's limits refused.
  std::array<std::atomic<std::uint64_t>, refusal_reasons.size()> limit_refusals{};
  // Requests refused before a key was known (bad framing, no or a bad key) whose
  // row was not written: such rows are rate-limited so that an unauthenticated
  // flood cannot grow the database.
  std::atomic<std::uint64_t> unrecorded_refusals{0};

  // Counts one finished proxied request; unknown names land in the last slot.
  void count_request(std::string_view outcome, std::string_view label, std::uint64_t bytes);
  void count_refusal(std::string_view reason);
};

// A value kept elsewhere, read when /metrics is asked for.
struct reading {
  std::string name;
  std::string help;
  std::string type;  // "gauge" or "counter"
  std::function<double()> read;
};

// Prometheus text format 0.0.4.
std::string to_prometheus(const gateway_metrics& m, const std::vector<reading>& readings);

}  // namespace passgate::metrics

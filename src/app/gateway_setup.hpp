#pragma once
// Everything the gateway needs at run time, built from the config and owned in
// one place so that shutdown can stop it in order.
#include <memory>
#include <vector>

#include "proxy/gateway.hpp"

namespace passgate::app {

class gateway_runtime {
 public:
  explicit gateway_runtime(std::shared_ptr<const config::config> cfg);
  ~gateway_runtime();
  // After the server stopped: drain background writers.
  void shutdown();
  // GET /metrics: the gateway's counters plus the store's and the listener's gauges.
  std::string metrics_text() const;

  proxy::gateway gw;

 private:
  void seed_budgets(const std::vector<std::shared_ptr<const auth::key_record>>& keys);
  struct parts;
  std::unique_ptr<parts> parts_;
};

}  // namespace passgate::app

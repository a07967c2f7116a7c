#include "proxy/gateway.hpp"

#include "upstream/tls.hpp"

namespace passgate::proxy {

std::vector<route_runtime> make_routes(const config::config& cfg) {
  std::vector<route_runtime> out;
  out.reserve(cfg.routes.size());
  for (const auto& [name, rc] : cfg.routes) {
    route_runtime rt;
    rt.index = out.size();
    rt.cfg = &rc;
    rt.prefix = "/" + name;
    rt.host_header = rc.upstream.host_header();
    if (rc.upstream.tls) rt.tls = upstream::make_client_tls(rc.ca_file);
    rt.endpoint = {rc.upstream.host, rc.upstream.port, rt.tls.get()};
    rt.policy.route_name = rc.name;
    rt.policy.mode = rc.client_credentials;
    rt.policy.server_key = rc.server_key.reveal();
    rt.policy.oauth_host_allowed = rc.oauth_host_allowed;
    rt.policy.require_key = cfg.auth.require_key;
    out.push_back(std::move(rt));
  }
  return out;
}

}  // namespace passgate::proxy

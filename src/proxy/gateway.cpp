#include "proxy/gateway.hpp"

#include "common/headers.hpp"
#include "upstream/tls.hpp"
#include "usage/anthropic_usage.hpp"
#include "usage/bedrock_usage.hpp"
#include "usage/gemini_usage.hpp"
#include "usage/openai_usage.hpp"

namespace passgate::proxy {

namespace {

// What the route's provider rule and config make of it.
void describe_provider(route_runtime& rt, const config::route_config& rc, bool require_key) {
  const auto& rule = policy::rule_of(rc.provider);
  auto& p = rt.policy;
  p.route_name = rc.name;
  p.mode = rc.client_credentials;
  p.oauth_host_allowed = rc.oauth_host_allowed;
  p.require_key = require_key;
  rt.server_credential =
      policy::apply_provider(p, rc.provider, rc.server_key.reveal(), rc.credential_header, rc.credential_bearer);
  p.server_key = rt.server_credential;
  rt.cost_header = rc.cost_header;  // empty but on generic routes
  if (rule.signs_requests)
    rt.aws = policy::aws_route_signing{{rc.aws.access_key_id.reveal(), rc.aws.secret_access_key.reveal(),
                                        rc.aws.session_token.reveal()},
                                       rc.aws.region};
  rt.provider = to_string(rc.provider);
  rt.query_key_param = rule.query_key_param;
  rt.errors = rule.errors;
  switch (rc.provider) {
    case policy::provider_kind::anthropic: rt.usage = &usage::anthropic_dialect(); break;
    case policy::provider_kind::bedrock: rt.usage = &usage::bedrock_dialect(); break;
    case policy::provider_kind::openai: rt.usage = &usage::openai_dialect(); break;
    case policy::provider_kind::gemini: rt.usage = &usage::gemini_dialect(); break;
    case policy::provider_kind::generic: rt.usage = nullptr; break;
  }
}

}  // namespace

std::vector<route_runtime> make_routes(const config::config& cfg) {
  std::vector<route_runtime> out;
  out.reserve(cfg.routes.size());
  // The credential headers generic routes name: another route's credential on
  // every other route.
  std::vector<std::string> generic_headers;
  for (const auto& [name, rc] : cfg.routes)
    if (rc.provider == policy::provider_kind::generic && !hdr::is_credential(rc.credential_header))
      generic_headers.push_back(rc.credential_header);
  for (const auto& [name, rc] : cfg.routes) {
    route_runtime rt;
    rt.index = out.size();
    rt.cfg = &rc;
    rt.prefix = "/" + name;
    rt.host_header = rc.upstream.host_header();
    if (rc.upstream.tls) rt.tls = upstream::make_client_tls(rc.ca_file);
    rt.endpoint = {rc.upstream.host, rc.upstream.port, rt.tls.get()};
    out.push_back(std::move(rt));
    // The policy's views point into this element's strings: set once it is in
    // place (the vector was reserved: it never moves).
    auto& added = out.back();
    describe_provider(added, rc, cfg.auth.require_key);
    for (const auto& h : generic_headers)
      if (!hdr::iequals(h, added.policy.client_headers[0]) && !hdr::iequals(h, added.policy.client_headers[1]))
        added.other_credential_headers.push_back(h);
    added.policy.other_credential_headers = added.other_credential_headers;
  }
  return out;
}

}  // namespace passgate::proxy

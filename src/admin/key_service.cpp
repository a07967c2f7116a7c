#include "admin/key_service.hpp"

#include "limits/budget_period.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <spdlog/spdlog.h>

#include "auth/key_cache.hpp"
#include "auth/key_format.hpp"
#include "store/store.hpp"

namespace passgate::admin {
namespace {

problem field_problem(std::string_view field, std::string_view what) {
  return bad_request("field '" + std::string(field) + "' " + std::string(what));
}

std::optional<problem> check_limit(const patch<std::int64_t>& in, std::string_view field,
                                   std::optional<std::int64_t>& out) {
  if (!in) return std::nullopt;
  if (*in && **in < 0) return field_problem(field, "must not be negative");
  out = *in;
  return std::nullopt;
}

std::optional<problem> check_duration(const std::optional<std::string>& d, std::string_view field,
                                      std::int64_t& seconds) {
  auto s = auth::parse_duration_s(*d);
  if (!s) return field_problem(field, "must be a duration such as 30s, 15m, 12h or 30d");
  seconds = *s;
  return std::nullopt;
}

// A list of credential kinds: known names, at least one; null means all.
std::optional<problem> check_labels(const patch<std::vector<std::string>>& in, std::string_view field,
                                    policy::label_set& out) {
  if (!in) return std::nullopt;
  if (!*in) {
    out = policy::label_set::all();
    return std::nullopt;
  }
  policy::label_set labels;
  for (const auto& name : **in) {
    auto l = policy::label_from_string(name);
    if (!l)
      return field_problem(field, "names an unknown credential '" + name + "' (known: " +
                                      policy::label_set::all().describe() + ")");
    labels.add(*l);
  }
  if (labels.empty())
    return field_problem(field, "must name at least one of " + policy::label_set::all().describe() + " (or be null for all)");
  out = labels;
  return std::nullopt;
}

constexpr auto cache_wait_limit = std::chrono::seconds(5);

bool same_settings(const auth::key_record& a, const auth::key_record& b) {
  return a.key_id == b.key_id && a.key_alias == b.key_alias && a.expires_at == b.expires_at &&
         a.revoked == b.revoked && a.allowed_routes == b.allowed_routes &&
         a.allowed_credentials == b.allowed_credentials && a.max_budget == b.max_budget &&
         a.budget_duration == b.budget_duration && a.rpm_limit == b.rpm_limit && a.tpm_limit == b.tpm_limit &&
         a.max_parallel_requests == b.max_parallel_requests && a.metadata_json == b.metadata_json &&
         a.budget_credentials == b.budget_credentials;
}

std::string route_names(const config::config& cfg) {
  std::string out;
  for (const auto& [name, r] : cfg.routes) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

}  // namespace

key_service::key_service(store::store& st, const config::config& cfg, auth::key_cache* cache,
                         std::function<std::int64_t()> now_unix)
    : store_(st), cfg_(cfg), cache_(cache), now_unix_(std::move(now_unix)) {}

std::int64_t key_service::now() const {
  if (now_unix_) return now_unix_();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void key_service::publish(const std::vector<auth::key_record>& changed) {
  if (!cache_ || changed.empty()) return;
  cache_->invalidate();
  // The cache reloads on its own thread; a reload that began before the store
  // changed may publish stale records first, so wait for the records themselves.
  auto t = now();
  auto shown = [&](const auth::key_record& r) {
    auto cached = cache_->find_by_hash(r.key_hash);
    if (r.revoked) return cached == nullptr;
    if (!r.usable_at(t)) return true;  // expired: the cache hides it either way
    return cached && same_settings(*cached, r);
  };
  auto deadline = std::chrono::steady_clock::now() + cache_wait_limit;
  while (!std::all_of(changed.begin(), changed.end(), shown)) {
    if (std::chrono::steady_clock::now() > deadline) {
      spdlog::warn("admin: the key cache did not show a key change within {} ms; it will at its next poll",
                   std::chrono::duration_cast<std::chrono::milliseconds>(cache_wait_limit).count());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::optional<problem> key_service::apply(const key_fields& f, auth::key_record& rec, std::int64_t now) const {
  if (f.key_alias) {
    rec.key_alias = f.key_alias->value_or("");
    if (rec.key_alias.size() > max_alias_length)
      return field_problem("key_alias", "is longer than " + std::to_string(max_alias_length) + " bytes");
  }
  if (f.duration) {
    if (!*f.duration) {
      rec.expires_at.reset();
    } else {
      std::int64_t secs = 0;
      if (auto p = check_duration(*f.duration, "duration", secs)) return p;
      if (secs > std::numeric_limits<std::int64_t>::max() - now) return field_problem("duration", "is too long");
      rec.expires_at = now + secs;
    }
  }
  if (f.max_budget) {
    if (*f.max_budget && (!std::isfinite(**f.max_budget) || **f.max_budget < 0))
      return field_problem("max_budget", "must be a number not below 0");
    rec.max_budget = *f.max_budget;
  }
  if (f.budget_duration) {
    rec.budget_duration.clear();
    if (*f.budget_duration) {
      if (!limits::parse_budget_period(**f.budget_duration))
        return field_problem("budget_duration",
                             "must be a period such as 1d, 1w, 1mo, 30d, 12h, 30m or 30s (resets on UTC calendar "
                             "boundaries); null for a lifetime budget");
      rec.budget_duration = **f.budget_duration;
    }
  }
  if (auto p = check_limit(f.rpm_limit, "rpm_limit", rec.rpm_limit)) return p;
  if (auto p = check_limit(f.tpm_limit, "tpm_limit", rec.tpm_limit)) return p;
  if (auto p = check_limit(f.max_parallel_requests, "max_parallel_requests", rec.max_parallel_requests)) return p;
  if (f.metadata_json) rec.metadata_json = f.metadata_json->value_or("{}");
  if (f.allowed_routes) {
    rec.allowed_routes.clear();
    for (const auto& name : f.allowed_routes->value_or(std::vector<std::string>{})) {
      if (!cfg_.routes.contains(name))
        return field_problem("allowed_routes",
                             "names an unknown route '" + name + "' (routes: " + route_names(cfg_) + ")");
      if (std::find(rec.allowed_routes.begin(), rec.allowed_routes.end(), name) == rec.allowed_routes.end())
        rec.allowed_routes.push_back(name);
    }
  }
  if (auto p = check_labels(f.allowed_credentials, "allowed_credentials", rec.allowed_credentials)) return p;
  if (auto p = check_labels(f.budget_credentials, "budget_credentials", rec.budget_credentials)) return p;
  return std::nullopt;
}

result<created_key> key_service::create(const key_fields& f) {
  created_key out;
  auto& rec = out.record;
  rec.created_at = now();
  if (auto p = apply(f, rec, rec.created_at)) return *p;
  out.key = auth::generate_key();
  rec.key_id = auth::generate_key_id();
  rec.key_hash = auth::hash_key(out.key);
  rec.key_prefix = auth::display_prefix(out.key);
  store_.insert_key(rec);
  publish({rec});
  return out;
}

result<auth::key_record> key_service::info_by_id(const std::string& key_id) {
  auto rec = store_.find_key_by_id(key_id);
  if (!rec) return not_found("no key with id '" + key_id + "'");
  return std::move(*rec);
}

result<auth::key_record> key_service::info_by_key(std::string_view key) {
  if (key.empty()) return bad_request("the key is empty");
  auto rec = store_.find_key_by_hash(auth::hash_key(key));
  if (!rec) return not_found("no such key");
  return std::move(*rec);
}

key_page key_service::list(paging p) {
  key_page out;
  out.page = p;
  out.keys = store_.list_keys(p.probe());
  out.has_more = p.trim(out.keys);
  return out;
}

result<auth::key_record> key_service::update(const std::string& key_id, const key_fields& f) {
  auto rec = store_.find_key_by_id(key_id);
  if (!rec) return not_found("no key with id '" + key_id + "'");
  if (auto p = apply(f, *rec, now())) return *p;
  if (!store_.update_key(*rec)) return not_found("no key with id '" + key_id + "'");  // deleted meanwhile
  publish({*rec});
  return std::move(*rec);
}

revoke_outcome key_service::revoke(const std::vector<std::string>& keys, const std::vector<std::string>& key_ids) {
  revoke_outcome out;
  std::vector<auth::key_record> changed;
  auto revoke_one = [&](std::optional<auth::key_record> rec, std::string shown) {
    if (!rec || !store_.revoke_key_by_id(rec->key_id)) return out.not_found.push_back(std::move(shown));
    if (std::find(out.revoked.begin(), out.revoked.end(), rec->key_id) != out.revoked.end()) return;
    out.revoked.push_back(rec->key_id);
    rec->revoked = true;
    changed.push_back(std::move(*rec));
  };
  for (const auto& key : keys)
    revoke_one(key.empty() ? std::nullopt : store_.find_key_by_hash(auth::hash_key(key)), auth::display_prefix(key));
  for (const auto& id : key_ids) revoke_one(store_.find_key_by_id(id), id);
  publish(changed);
  return out;
}

std::vector<budget_status> key_service::budgets(const std::vector<auth::key_record>& recs) {
  std::vector<budget_status> out;
  out.reserve(recs.size());
  for (const auto& r : recs) out.push_back(budget(r));
  return out;
}

budget_status key_service::budget(const auth::key_record& rec) {
  auto window = limits::window_at(rec.budget_duration, now() * 1000);
  budget_status out;
  out.spend_usd = store_.key_spend_usd(rec.key_id, window.start_ms, rec.budget_credentials);
  if (window.reset_ms) out.reset_at = *window.reset_ms / 1000;
  return out;
}

}  // namespace passgate::admin

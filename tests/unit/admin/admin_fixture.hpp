#pragma once
// An admin API over an in-memory store, a key cache holding the master key (as
// gateway_setup builds it from the config), a config with routes "anthropic" and
// "openai", and a clock the test sets.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "admin/admin_api.hpp"
#include "auth/key_cache.hpp"
#include "auth/key_format.hpp"
#include "store/store.hpp"
#include "support/eventually.hpp"

namespace passgate::admin::test {

namespace json = boost::json;
using namespace std::chrono_literals;
using passgate::test::eventually;

inline void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }


inline const std::string master = "sk-master-unit-0123456789";
inline constexpr std::int64_t t0 = 1'714'521'600;  // 2024-05-01T00:00:00Z

inline auth::key_record master_record() {
  auth::key_record r;
  r.key_id = "master";
  r.key_alias = "master";
  r.is_master = true;
  r.key_hash = auth::hash_key(master);
  r.key_prefix = auth::display_prefix(master);
  return r;
}

inline config::config_ptr test_config() {
  auto c = std::make_shared<config::config>();
  c->routes["anthropic"].name = "anthropic";
  c->routes["openai"].name = "openai";
  return c;
}

struct reply {
  int status = 0;
  std::string body;
  json::value j;
  // The error message of an error body ("" if none).
  std::string message() const {
    if (!j.is_object() || !j.as_object().contains("error")) return "";
    return std::string(j.at("error").at("message").as_string());
  }
  std::string error_type() const {
    if (!j.is_object() || !j.as_object().contains("error")) return "";
    return std::string(j.at("error").at("type").as_string());
  }
};

class admin_fixture : public ::testing::Test {
 protected:
  void SetUp() override { cache.start(); }
  void TearDown() override { cache.stop(); }

  // A request with the caller's key in x-passgate-key ("" sends none).
  reply call(std::string_view method, std::string_view target, std::string body = "",
             const std::string& key = master) {
    proxy::local_request req;
    req.method = method;
    req.target = target;
    req.passgate_key = key;
    req.body = std::move(body);
    return finish(api.handle(req));
  }
  reply call_with_authorization(std::string_view method, std::string_view target, const std::string& authorization) {
    proxy::local_request req;
    req.method = method;
    req.target = target;
    req.authorization = authorization;
    return finish(api.handle(req));
  }
  static reply finish(const proxy::local_response& res) {
    reply r{res.status, res.body, {}};
    EXPECT_EQ(res.content_type, "application/json");
    boost::system::error_code ec;
    r.j = json::parse(res.body, ec);
    EXPECT_FALSE(ec) << "not JSON: " << res.body;
    return r;
  }

  // Generates a key through the API; returns {full key, key id}.
  std::pair<std::string, std::string> generate(const std::string& body = "{}") {
    auto r = call("POST", "/key/generate", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return {std::string(r.j.at("key").as_string()), std::string(r.j.at("key_id").as_string())};
  }
  // Waits until the cache has caught up with the store for this key.
  bool cache_knows(const std::string& key) {
    return eventually([&] { return cache.find(key) != nullptr; });
  }

  std::atomic<std::int64_t> now{t0};  // read by the cache's thread too
  std::unique_ptr<store::store> st = store::open_sqlite(":memory:");
  config::config_ptr cfg = test_config();
  auth::key_cache cache{st.get(), {master_record()},
                        auth::key_cache_options{std::chrono::milliseconds(50), [this] { return now.load(); }}};
  admin_api api{*st, cache, cfg, [this] { return now.load(); }};
};

}  // namespace passgate::admin::test

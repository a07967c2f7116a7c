// The web console served at /ui/ by the real binary: the static files' headers
// (no key needed, strict CSP, ETag revalidation), and the console itself in
// Debian's chromium driven by playwright-core (tests/ui/console_test.mjs): sign
// in, keys, requests shaped like Claude Code's, logs, overview totals, limits,
// revocation, a non-admin key. The node script prints each check as
// "checks: …" and exits non-zero on any failure.
#include <filesystem>

#include "support/e2e.hpp"

namespace passgate::test {
namespace {

const std::string master = "sk-master-console-e2e-0123456789";
const std::string other_key = "other-team-gateway-key-0123456789";
const std::string org_key = "sk-ant-api03-ORG-SERVER-KEY-console";

const std::string csp =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'";

class console_e2e : public ::testing::Test {
 protected:
  void SetUp() override {
    up.on_request([](const recorded_request&) {
      mock_response m;
      m.headers = {{"content-type", "application/json"}, {"request-id", "req_mock_console"}};
      m.body =
          R"({"id":"msg_c","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",)"
          R"("content":[{"type":"text","text":"Hi from the mock"}],"stop_reason":"end_turn","stop_sequence":null,)"
          R"("usage":{"input_tokens":12,"output_tokens":5,"cache_creation_input_tokens":3,"cache_read_input_tokens":7}})";
      return m;
    });
    gw = std::make_unique<gateway_process>(gateway_options{
        route_config(up, "    server_key: \"" + org_key + "\"\n",
                     "master_key: \"" + master + "\"\nauth: { require_key: true }\n"
                     "keys:\n  - { alias: other-team, key: \"" + other_key + "\" }\n")});
  }

  mock_upstream up;
  std::unique_ptr<gateway_process> gw;
};

TEST_F(console_e2e, static_files_need_no_key_and_carry_strict_headers) {
  auto port = gw->port();
  say("GET /ui/ without any key: the console's page, with a strict CSP, nosniff, no-referrer and no-cache");
  auto page = fetch(port, "GET", "/ui/");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.get("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.get("content-security-policy"), csp);
  EXPECT_EQ(page.get("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.get("referrer-policy"), "no-referrer");
  EXPECT_EQ(page.get("cache-control"), "no-cache");
  ASSERT_TRUE(page.get("etag").has_value());
  EXPECT_NE(page.body.find("<script type=\"module\" src=\"/ui/app.js\">"), std::string::npos);
  EXPECT_EQ(page.body.find("https://"), std::string::npos) << "nothing is loaded from elsewhere";

  say("/ui is the same page; /ui/index.html too");
  EXPECT_EQ(fetch(port, "GET", "/ui").body, page.body);
  EXPECT_EQ(fetch(port, "GET", "/ui/index.html").body, page.body);

  say("the bundle (app + chart.js) and the stylesheet, with their content types");
  auto js = fetch(port, "GET", "/ui/app.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.get("content-type"), "text/javascript; charset=utf-8");
  EXPECT_GT(js.body.size(), 50000u) << "chart.js is bundled in";
  EXPECT_EQ(js.body.find("from\"chart.js\""), std::string::npos) << "one file: chart.js is not imported at run time";
  auto css = fetch(port, "GET", "/ui/app.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.get("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(fetch(port, "GET", "/ui/favicon.svg").get("content-type"), "image/svg+xml");

  say("If-None-Match with the ETag: 304 without a body; another ETag: 200");
  auto again = fetch(port, "GET", "/ui/app.js", {{"if-none-match", *js.get("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.get("etag"), js.get("etag"));
  EXPECT_EQ(fetch(port, "GET", "/ui/app.js", {{"if-none-match", "\"other\""}}).status, 200);

  say("HEAD: the headers and no body; other methods 405; unknown files 404, with the same headers");
  client c(port);
  c.send(make_request("HEAD", "/ui/app.css", {}));
  auto head = c.read_response(30, true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.get("content-length"), std::to_string(css.body.size()));
  EXPECT_TRUE(head.body.empty());
  auto post = fetch(port, "POST", "/ui/", {{"content-type", "application/x-www-form-urlencoded"}}, "key=x");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.get("allow"), "GET, HEAD");
  auto missing = fetch(port, "GET", "/ui/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.get("content-security-policy"), csp);
  EXPECT_EQ(fetch(port, "GET", "/uix").status, 404);
  EXPECT_EQ(fetch(port, "GET", "/ui/../key/list").status, 404);

  say("the admin API still needs a key: /key/list without one is 401");
  EXPECT_EQ(fetch(port, "GET", "/key/list").status, 401);
}

TEST_F(console_e2e, console_in_chromium) {
  const std::string dir = std::string(PASSGATE_SOURCE_DIR) + "/tests/ui";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/playwright-core"))
      << "run `npm ci` in tests/ui (scripts/test.sh does it)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/node")) << "Node.js is needed (apt-get install nodejs)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "chromium is needed (scripts/install-deps.sh --tests)";
  const std::string shots = PASSGATE_UI_SCREENSHOTS;
  std::filesystem::create_directories(shots);
  temp_dir home;
  auto r = run_program("/usr/bin/node", {dir + "/console_test.mjs"},
                       {{"PASSGATE_URL", "http://127.0.0.1:" + std::to_string(gw->port())},
                        {"PASSGATE_MASTER_KEY", master},
                        {"PASSGATE_OTHER_KEY", other_key},
                        {"SCREENSHOT_DIR", shots},
                        {"CHROMIUM", "/usr/bin/chromium"},
                        {"HOME", home.path}});
  std::cout << r.output << std::endl;
  EXPECT_EQ(r.status, 0) << "the console test failed (see its FAILED lines above); the gateway's log:\n" << gw->log();
  EXPECT_NE(r.output.find("checks: "), std::string::npos);
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos);

  say("the requests the script sent reached the upstream with the organisation's key, never a gateway key");
  auto reqs = up.requests();
  ASSERT_FALSE(reqs.empty());
  for (const auto& q : reqs) {
    EXPECT_EQ(q.target, "/v1/messages");
    EXPECT_EQ(q.all("x-api-key"), std::vector<std::string>{org_key});
    EXPECT_FALSE(q.has("x-passgate-key"));
    EXPECT_EQ(q.get("user-agent"), "claude-cli/2.1.3 (external, cli)");
  }
  say("no key appears in the gateway's log");
  EXPECT_EQ(gw->log().find(master), std::string::npos);
  EXPECT_EQ(gw->log().find(other_key), std::string::npos);
}

}  // namespace
}  // namespace passgate::test

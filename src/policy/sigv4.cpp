#include "policy/sigv4.hpp"

#include "common/percent.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

namespace passgate::policy::sigv4 {
namespace {

using namespace std::string_view_literals;

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char hex_upper[] = "0123456789ABCDEF";

// Fetched once: the implicit fetch behind EVP_sha256() looks the algorithm up
// in the provider tables on every call. Deliberately never freed.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!md) throw std::runtime_error("sigv4: SHA-256 is not available from OpenSSL");
  return md;
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  std::string out(2 * n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[p[i] >> 4];
    out[2 * i + 1] = hex_digits[p[i] & 0xf];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(sha256_md(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len))
    throw std::runtime_error("sigv4: HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(mac), len);
}

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// RFC 3986 encoding as SigV4 defines it: only unreserved bytes stay literal.
void uri_encode(std::string_view s, bool keep_slash, std::string& out) {
  for (unsigned char c : s) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex_upper[c >> 4];
      out += hex_upper[c & 0xf];
    }
  }
}

// A malformed escape ("%zz", a trailing "%") is kept as literal text, so it is
// signed as "%25zz" rather than rejected: AWS would refuse the request, which is
// the honest outcome. '+' stays a literal plus (re-encoded "%2B"): SigV4 has no
// form-encoding, so a client meaning a space must send "%20".
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  pct::decode_append(s, out);
  return out;
}

constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Trimmed, inner runs of blanks collapsed to one space.
void append_header_value(std::string_view v, std::string& out) {
  while (!v.empty() && is_blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_blank(v.back())) v.remove_suffix(1);
  bool in_blank = false;
  for (char c : v) {
    if (is_blank(c)) {
      in_blank = true;
      continue;
    }
    if (in_blank) out += ' ';
    in_blank = false;
    out += c;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  return out;
}

}  // namespace

// ---- SHA-256 ----

sha256::sha256() : ctx_(nullptr) {
  const EVP_MD* md = sha256_md();  // before allocating, so a throw leaks nothing
  ctx_ = EVP_MD_CTX_new();
  if (!ctx_ || EVP_DigestInit_ex2(ctx_, md, nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("sigv4: SHA-256 init failed");
  }
}

sha256::~sha256() { EVP_MD_CTX_free(ctx_); }

sha256::sha256(sha256&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), digest_(std::move(other.digest_)) {}

sha256& sha256::operator=(sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    digest_ = std::move(other.digest_);
  }
  return *this;
}

void sha256::update(std::string_view data) {
  if (!ctx_ || !digest_.empty()) return;
  if (EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) throw std::runtime_error("sigv4: SHA-256 update failed");
}

std::string sha256::hex_digest() {
  if (!digest_.empty() || !ctx_) return digest_;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) throw std::runtime_error("sigv4: SHA-256 final failed");
  digest_ = to_hex(md, len);
  return digest_;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, sha256_md(), nullptr) != 1)
    throw std::runtime_error("sigv4: SHA-256 failed");
  return to_hex(md, len);
}

// ---- Dates ----

std::string amz_date(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto day = floor<days>(secs);
  year_month_day ymd{day};
  hh_mm_ss hms{secs - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// ---- Canonical request ----

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  std::string out;
  out.reserve(path.size() + path.size() / 4);
  uri_encode(path, /*keep_slash=*/true, out);
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? ""sv : query.substr(amp + 1);
    if (param.empty()) continue;  // "a=1&&b=2": nothing to sign
    auto eq = param.find('=');
    auto name = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? ""sv : param.substr(eq + 1);
    std::string n, v;
    uri_encode(percent_decode(name), /*keep_slash=*/false, n);
    uri_encode(percent_decode(value), /*keep_slash=*/false, v);
    params.emplace_back(std::move(n), std::move(v));
  }
  // Byte order of the encoded forms (all ASCII), name first, then value.
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [n, v] : params) {
    if (!out.empty()) out += '&';
    out += n;
    out += '=';
    out += v;
  }
  return out;
}

namespace {

// The canonical headers block ("name:value\n" each) and the signed-headers list.
void canonical_headers(std::span<const header> headers, std::string& block, std::string& signed_names) {
  std::vector<std::pair<std::string, std::string_view>> sorted;
  sorted.reserve(headers.size());
  for (const auto& h : headers) sorted.emplace_back(lower(h.name), h.value);
  // Stable, so repeated names keep their values in the order given.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    bool repeat = i > 0 && sorted[i].first == sorted[i - 1].first;
    if (repeat) {
      block.back() = ',';  // replaces the previous line's '\n'
    } else {
      if (!signed_names.empty()) signed_names += ';';
      signed_names += sorted[i].first;
      block += sorted[i].first;
      block += ':';
    }
    append_header_value(sorted[i].second, block);
    block += '\n';
  }
}

// The canonical request, and the signed-headers list the Authorization value repeats.
std::string build_canonical_request(std::string_view method, std::string_view target,
                                    std::span<const header> headers, std::string_view payload_sha256_hex,
                                    std::string& signed_names) {
  auto q = target.find('?');
  auto path = target.substr(0, q);
  auto query = q == std::string_view::npos ? ""sv : target.substr(q + 1);

  std::string block;
  signed_names.clear();
  canonical_headers(headers, block, signed_names);

  std::string out;
  out.reserve(method.size() + target.size() * 2 + block.size() + signed_names.size() + 80);
  out += method;
  out += '\n';
  out += canonical_uri(path);
  out += '\n';
  out += canonical_query(query);
  out += '\n';
  out += block;
  out += '\n';
  out += signed_names;
  out += '\n';
  out += payload_sha256_hex;
  return out;
}

}  // namespace

std::string canonical_request(std::string_view method, std::string_view target, std::span<const header> headers,
                              std::string_view payload_sha256_hex) {
  std::string signed_names;
  return build_canonical_request(method, target, headers, payload_sha256_hex, signed_names);
}

std::string string_to_sign(std::string_view amz_date, std::string_view region, std::string_view service,
                           std::string_view canonical_request) {
  std::string out = "AWS4-HMAC-SHA256\n";
  out += amz_date;
  out += '\n';
  out += amz_date.substr(0, 8);
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request\n";
  out += sha256_hex(canonical_request);
  return out;
}

std::string signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd, std::string_view region,
                        std::string_view service) {
  std::string k = "AWS4";
  k += secret_access_key;
  k = hmac_sha256(k, date_yyyymmdd);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string authorization(std::string_view method, std::string_view target, std::span<const header> headers,
                          std::string_view payload_sha256_hex, const credentials& creds, std::string_view region,
                          std::string_view service, std::string_view amz_date) {
  std::string signed_names;
  auto creq = build_canonical_request(method, target, headers, payload_sha256_hex, signed_names);
  auto sts = string_to_sign(amz_date, region, service, creq);
  auto date = amz_date.substr(0, 8);
  auto mac = hmac_sha256(signing_key(creds.secret_access_key, date, region, service), sts);

  std::string out = "AWS4-HMAC-SHA256 Credential=";
  out += creds.access_key_id;
  out += '/';
  out += date;
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request, SignedHeaders=";
  out += signed_names;
  out += ", Signature=";
  out += to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  return out;
}

}  // namespace passgate::policy::sigv4

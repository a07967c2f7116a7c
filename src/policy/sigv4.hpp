#pragma once
// AWS Signature Version 4 (header-based, "AWS4-HMAC-SHA256") for services other
// than S3, so the gateway can sign requests it forwards to AWS (Bedrock). Pure:
// no clock, no I/O; the caller supplies the time, the headers and the body hash.
//
// The functions add no headers themselves. The caller passes every header it
// wants signed (host, x-amz-date, x-amz-content-sha256, and
// x-amz-security-token when it has a session token) and sends the same ones.
#include <chrono>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace passgate::policy::sigv4 {

struct credentials {
  std::string_view access_key_id, secret_access_key;
  // May be empty. Not used by the signing functions: with a token, the caller
  // sends and signs "x-amz-security-token: <token>" like any other header.
  std::string_view session_token;
};

struct header {
  std::string_view name, value;
};

// SHA-256 of an empty payload, for bodyless requests.
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Incremental SHA-256 (OpenSSL EVP), for hashing a request body as it is read.
// Throws std::runtime_error only if OpenSSL itself fails (out of memory).
class sha256 {
 public:
  sha256();
  ~sha256();
  sha256(sha256&& other) noexcept;
  sha256& operator=(sha256&& other) noexcept;
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  void update(std::string_view data);
  // Lower-case hex. Meant to be called once; later calls return the same value
  // and update() after it is ignored.
  std::string hex_digest();

 private:
  evp_md_ctx_st* ctx_;
  std::string digest_;
};

std::string sha256_hex(std::string_view data);

// "20150830T123600Z" for a time point (UTC), sub-second part dropped.
std::string amz_date(std::chrono::system_clock::time_point t);

// Parts of the canonical request, exposed for tests and diagnostics.
// The wire path URI-encoded once more; "" becomes "/".
std::string canonical_uri(std::string_view path);
// The wire query (without '?') decoded, strictly re-encoded and sorted.
std::string canonical_query(std::string_view query);

// The canonical request (SigV4 task 1) for a non-S3 service. `target` is the
// request target exactly as sent on the wire: path, optionally "?query".
//  - Canonical URI: the wire path URI-encoded once more (every byte except
//    unreserved A-Z a-z 0-9 - _ . ~ and '/' becomes %XX upper-case, so "%3A"
//    becomes "%253A", as AWS expects for services other than S3); an empty path
//    is "/". No "." / ".." / "//" normalisation, which AWS applies to non-S3
//    paths: such a path is signed as sent and AWS answers 403. The gateway
//    already refuses dot segments (policy/path_mapping) and Bedrock's paths
//    have no empty segments.
//  - Canonical query: parameters split on '&', each name and value
//    percent-decoded then strictly re-encoded (space -> %20), sorted by encoded
//    name then value; a parameter without '=' has an empty value.
//  - `headers` are all signed: names lower-cased, values trimmed with inner runs
//    of blanks collapsed to one space, sorted by name, repeated names joined
//    with ',' in the order given.
std::string canonical_request(std::string_view method, std::string_view target,
                              std::span<const header> headers, std::string_view payload_sha256_hex);

std::string string_to_sign(std::string_view amz_date, std::string_view region, std::string_view service,
                           std::string_view canonical_request);

// kSigning = HMAC chain "AWS4"+secret -> date (yyyymmdd) -> region -> service
// -> "aws4_request"; returned raw (32 bytes). It only changes daily, so a
// caller may cache it per (secret, date, region, service).
std::string signing_key(std::string_view secret_access_key, std::string_view date_yyyymmdd,
                        std::string_view region, std::string_view service);

// The whole Authorization header value: "AWS4-HMAC-SHA256
// Credential=AKID/20150830/us-east-1/service/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<hex>". `amz_date` must be the value
// sent in x-amz-date; its first 8 characters are the credential date.
std::string authorization(std::string_view method, std::string_view target, std::span<const header> headers,
                          std::string_view payload_sha256_hex, const credentials& creds, std::string_view region,
                          std::string_view service, std::string_view amz_date);

}  // namespace passgate::policy::sigv4

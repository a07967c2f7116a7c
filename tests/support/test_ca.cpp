#include "support/test_ca.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace passgate::test {
namespace {

struct pkey_free { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_free { void operator()(X509* p) const { X509_free(p); } };
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

pkey_ptr new_key() {
  pkey_ptr k(EVP_EC_gen("P-256"));
  check(k != nullptr, "EC key generation");
  return k;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

x509_ptr make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, bool ca, long serial) {
  x509_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 30);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert.get();
  if (ca) {
    add_ext(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), iss, NID_basic_constraints, "CA:FALSE");
    add_ext(cert.get(), iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_ext(cert.get(), iss, NID_ext_key_usage, "serverAuth");
  }
  check(X509_sign(cert.get(), issuer_key, EVP_sha256()) > 0, "signing");
  return cert;
}

void write_cert(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f && PEM_write_X509(f, cert), "writing certificate");
  std::fclose(f);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr), "writing key");
  std::fclose(f);
}

}  // namespace

test_pki make_test_pki(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto ca_key = new_key();
  auto ca = make_cert(ca_key.get(), "passgate test CA", nullptr, ca_key.get(), true, 1);
  auto other_key = new_key();
  auto other = make_cert(other_key.get(), "unrelated test CA", nullptr, other_key.get(), true, 2);
  auto server_key = new_key();
  auto server = make_cert(server_key.get(), "localhost", ca.get(), ca_key.get(), false, 3);
  test_pki p{dir + "/ca.pem", dir + "/server.pem", dir + "/server.key", dir + "/other-ca.pem"};
  write_cert(p.ca_cert_file, ca.get());
  write_cert(p.other_ca_cert_file, other.get());
  write_cert(p.server_cert_file, server.get());
  write_key(p.server_key_file, server_key.get());
  return p;
}

}  // namespace passgate::test

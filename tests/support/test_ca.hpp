#pragma once
// A throwaway certificate authority and a server certificate for localhost /
// 127.0.0.1, generated at test time (no files to expire in the repository).
#include <string>

namespace passgate::test {

struct test_pki {
  std::string ca_cert_file;      // PEM, for the gateway's ca_file
  std::string server_cert_file;  // PEM, signed by the CA
  std::string server_key_file;   // PEM
  std::string other_ca_cert_file;  // a CA that did NOT sign the server cert
};

// Writes the files into `dir` (created if needed). Throws on failure.
test_pki make_test_pki(const std::string& dir);

}  // namespace passgate::test

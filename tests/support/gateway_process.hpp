#pragma once
// Starts the real passgate binary on port 0 with a config written to a fresh
// temporary folder, and stops it with SIGTERM. Its stderr (the log) goes to a
// file the test can read, e.g. to check that no secret was logged.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace passgate::test {

// A fresh folder under the system temp dir, removed by the destructor.
struct temp_dir {
  temp_dir();
  ~temp_dir();
  std::string path;
};

struct gateway_options {
  std::string config_yaml;  // "@DIR@" is replaced by the gateway's temp folder
  std::map<std::string, std::string> env;  // added to a minimal environment
  std::vector<std::string> extra_args;
};

class gateway_process {
 public:
  explicit gateway_process(gateway_options opts);
  ~gateway_process();  // SIGKILL if still running
  gateway_process(const gateway_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_.path; }
  // SIGTERM, then waits (bounded); returns the exit status, or -1 on a signal/time-out.
  int stop(int seconds = 30);
  void send_signal(int sig);
  bool running();
  std::string log() const;
  // Waits (bounded) until the log contains `words`; the access log line of a
  // request is written just after its answer, so tests wait for it causally.
  bool wait_for_log(const std::string& words, int seconds = 20) const;

 private:
  temp_dir dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Runs the passgate binary with arguments; returns {exit status, stdout+stderr}.
struct run_result {
  int status;
  std::string output;
};
run_result run_passgate(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
// The same for any program (e.g. node), with PATH and the given variables only.
run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});

}  // namespace passgate::test

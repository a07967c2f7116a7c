#include "support/gateway_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace passgate::test {

namespace fs = std::filesystem;

temp_dir::temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "passgate-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

namespace {

std::string read_file(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
}

// Forks and execs a program with a minimal environment; stdout/stderr to `log`.
pid_t spawn_program(const std::string& path, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env, const std::string& log) {
  std::vector<std::string> env_strings{"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const std::string& log) {
  return spawn_program(PASSGATE_BINARY, args, env, log);
}

int wait_exit(pid_t pid, int seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() > until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

gateway_process::gateway_process(gateway_options opts) {
  auto yaml = opts.config_yaml;
  if (yaml.find("store:") == std::string::npos) yaml += "\nstore: { sqlite: \"@DIR@/passgate.db\" }\n";
  replace_all(yaml, "@DIR@", dir_.path);
  auto config = dir_.path + "/passgate.yaml";
  std::ofstream(config) << yaml;
  auto ready = dir_.path + "/ready";
  std::vector<std::string> args{"serve", "--config", config, "--listen", "127.0.0.1:0", "--ready-file", ready};
  for (auto& a : opts.extra_args) args.push_back(a);
  pid_ = spawn(args, opts.env, dir_.path + "/passgate.log");
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!fs::exists(ready)) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("passgate exited at start-up:\n" + log());
    }
    if (std::chrono::steady_clock::now() > until) throw std::runtime_error("passgate did not start:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  port_ = static_cast<std::uint16_t>(std::stoi(read_file(ready)));
}

gateway_process::~gateway_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void gateway_process::send_signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

bool gateway_process::running() {
  if (pid_ <= 0) return false;
  int status;
  return ::waitpid(pid_, &status, WNOHANG) == 0;
}

int gateway_process::stop(int seconds) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = wait_exit(pid_, seconds);
  if (code == -1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return code;
}

std::string gateway_process::log() const { return read_file(dir_.path + "/passgate.log"); }

bool gateway_process::wait_for_log(const std::string& words, int seconds) const {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (log().find(words) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  temp_dir d;
  auto log = d.path + "/out.log";
  pid_t pid = spawn_program(path, args, env, log);
  int code = wait_exit(pid, 120);
  if (code == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  return {code, read_file(log)};
}

run_result run_passgate(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  return run_program(PASSGATE_BINARY, args, env);
}

}  // namespace passgate::test

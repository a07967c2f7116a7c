#pragma once
// A throwaway redis-server for tests: a child process on a free loopback port,
// no persistence (so a stop and start is a server that lost everything, like a
// restarted cache). stop() and start() again reuse the port, for outage tests.
// Header only: the limits tests link nothing of the gateway's test support.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/free_port.hpp"

namespace passgate::test {

class redis_instance {
 public:
  // extra: more redis-server arguments, e.g. {"--requirepass", "pw"}.
  explicit redis_instance(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    binary_ = find_binary();
    port_ = free_port();
    start();
  }
  ~redis_instance() { stop(); }
  redis_instance(const redis_instance&) = delete;
  redis_instance& operator=(const redis_instance&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  void start() {
    if (pid_ > 0) return;
    std::vector<std::string> args = {binary_, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--daemonize", "no"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("redis_instance: fork failed");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    // Up when it answers PING (a server with requirepass answers -NOAUTH: up too).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (true) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis_instance: redis-server exited at start (port " + std::to_string(port_) + ")");
      }
      auto reply = command("PING");
      if (reply.rfind("+PONG", 0) == 0 || reply.rfind("-NOAUTH", 0) == 0) return;
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("redis_instance: redis-server did not answer PING within 20 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // A server that hangs (SIGSTOP): connections stay open, nothing answers.
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  // SIGTERM, then SIGKILL if it lingers; waits for the process either way.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::kill(pid_, SIGCONT);  // a paused server handles SIGTERM only once it runs
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  // One inline command (e.g. "SCRIPT FLUSH") on a fresh connection; the first
  // line of the reply, or "" if the server cannot be reached.
  std::string command(const std::string& line) const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return "";
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      std::string req = line + "\r\n";
      if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size())) {
        char c;
        while (::recv(fd, &c, 1, 0) == 1 && c != '\r') out += c;
      }
    }
    ::close(fd);
    return out;
  }

 private:
  static std::string find_binary() {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/bin:/usr/sbin:/usr/local/bin";
    std::size_t from = 0;
    while (from <= path.size()) {
      auto to = path.find(':', from);
      if (to == std::string::npos) to = path.size();
      auto candidate = std::filesystem::path(path.substr(from, to - from)) / "redis-server";
      if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      from = to + 1;
    }
    throw std::runtime_error("redis-server not found: run scripts/install-deps.sh --tests");
  }

  std::string binary_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace passgate::test

#pragma once
// A throwaway PostgreSQL 15 server for tests: initdb into a temporary directory,
// the postmaster run as a child process on a free port of 127.0.0.1 (trust auth,
// user "passgate", fsync off), stopped and started again at will (data kept),
// everything removed when the object goes.
//
// PostgreSQL refuses to run as root: when the tests do, initdb and postgres run
// as the `postgres` system user (setpriv) in a directory given to that user.
//
// Start one per test binary (shared_postgres()) and give each test a database
// of its own (create_database): CREATE DATABASE is quick, initdb is not.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/free_port.hpp"

namespace passgate::test {

class postgres_instance {
 public:
  static constexpr const char* bin_dir = "/usr/lib/postgresql/15/bin";

  postgres_instance() {
    if (!std::filesystem::exists(std::string(bin_dir) + "/initdb") ||
        !std::filesystem::exists(std::string(bin_dir) + "/postgres"))
      throw std::runtime_error(std::string("PostgreSQL 15 is not installed (no ") + bin_dir +
                               "/initdb): run scripts/install-deps.sh --tests");
    std::string tmpl = (std::filesystem::temp_directory_path() / "passgate-pg-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    dir_ = tmpl;
    if (::geteuid() == 0) {
      passwd* pw = ::getpwnam("postgres");
      if (!pw)
        throw std::runtime_error("running as root and there is no 'postgres' user to run PostgreSQL as: "
                                 "run scripts/install-deps.sh --tests");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error("chown of " + dir_ + " to postgres failed");
    }
    port_ = free_port();
    run_checked({std::string(bin_dir) + "/initdb", "-D", data_dir(), "-U", "passgate", "-A", "trust",
                 "--no-sync", "-E", "UTF8", "--locale=C"},
                "initdb");
    start();
  }

  ~postgres_instance() {
    try {
      stop();
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  postgres_instance(const postgres_instance&) = delete;
  postgres_instance& operator=(const postgres_instance&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& db = "postgres") const {
    return "postgresql://passgate@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  // Starts the postmaster (again, on the same port and data) and waits until it
  // accepts connections.
  void start() {
    if (pid_ > 0) return;
    std::string log = dir_ + "/postgres.log";
    auto argv = as_postgres_user({std::string(bin_dir) + "/postgres", "-D", data_dir(), "-p",
                                  std::to_string(port_), "-k", dir_, "-c", "listen_addresses=127.0.0.1",
                                  "-c", "fsync=off", "-c", "full_page_writes=off"});
    pid_ = spawn(argv, log);
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(port_) +
                           " dbname=postgres user=passgate connect_timeout=2";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(conninfo.c_str()) != PQPING_OK) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("postgres exited at start: " + tail(log));
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("postgres did not accept connections within 60 s: " + tail(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Fast shutdown (SIGINT: clients are disconnected, data is kept); waits for it.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGINT);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);  // only our own postmaster, by its pid
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // A new, empty database; returns its URL.
  std::string create_database(const std::string& name) {
    exec_admin("CREATE DATABASE \"" + name + "\"");
    return url(name);
  }

  // Runs one statement on the "postgres" database; throws with the server's message.
  void exec_admin(const std::string& sql) {
    PGconn* c = PQconnectdb((url() + "?connect_timeout=5").c_str());
    std::string err;
    if (PQstatus(c) != CONNECTION_OK) {
      err = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, sql.c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        err = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    if (!err.empty()) throw std::runtime_error("postgres test server: " + sql + ": " + err);
  }

 private:
  std::string data_dir() const { return dir_ + "/data"; }

  // The command as run: through setpriv to the postgres user when we are root.
  static std::vector<std::string> as_postgres_user(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> out{"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres",
                                 "--init-groups", "--"};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  // A child with stdout and stderr to `log`; exec replaces it (setpriv execs
  // postgres in turn), so the pid is the postmaster's.
  static pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return pid;
  }

  void run_checked(const std::vector<std::string>& argv, const char* what) {
    std::string log = dir_ + "/" + what + ".log";
    pid_t pid = spawn(as_postgres_user(argv), log);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error(std::string(what) + " failed: " + tail(log));
  }

  static std::string tail(const std::string& file) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// One server for the whole test binary, started at first use, stopped at exit.
inline postgres_instance& shared_postgres() {
  static postgres_instance instance;
  return instance;
}

// A fresh database name per call: "t<pid>_<n>".
inline std::string unique_db_name(const std::string& prefix = "t") {
  static std::atomic<int> n{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

}  // namespace passgate::test

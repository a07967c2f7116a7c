#pragma once
// A unique SQLite file under the temp directory, removed with its WAL and
// shared-memory files when the test ends.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace passgate::test {

class temp_db_file {
 public:
  temp_db_file() {
    path_ = (std::filesystem::temp_directory_path() / "passgate-test-XXXXXX.db").string();
    int fd = mkstemps(path_.data(), 3);
    if (fd < 0) throw std::runtime_error("mkstemps failed for " + path_);
    ::close(fd);  // SQLite takes an empty file as a new database
  }
  ~temp_db_file() {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(path_ + suffix, ec);
  }
  temp_db_file(const temp_db_file&) = delete;
  temp_db_file& operator=(const temp_db_file&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace passgate::test

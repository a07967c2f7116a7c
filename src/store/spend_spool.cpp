#include "store/spend_spool.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace passgate::store {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// A spill is "spend-<sequence>-<rows>.jsonl"; rows the store refused go to
// "rejected-<sequence>-<rows>.jsonl". The row count is in the name, so that a
// start finds what is waiting without reading the files.
constexpr std::string_view spill_prefix = "spend-";
constexpr std::string_view rejected_prefix = "rejected-";
constexpr std::string_view file_suffix = ".jsonl";

std::string errno_text() { return std::strerror(errno); }

template <class T>
void put_opt(json::object& o, const char* name, const std::optional<T>& v) {
  if (v) o[name] = *v;
}

std::string to_line(const usage::spend_record& r) {
  json::object o;
  o["request_id"] = r.request_id;
  o["started_at_ms"] = r.started_at_ms;
  o["duration_ms"] = r.duration_ms;
  put_opt(o, "ttfb_ms", r.ttfb_ms);
  o["key_id"] = r.key_id;
  o["key_alias"] = r.key_alias;
  o["route"] = r.route;
  o["provider"] = r.provider;
  o["path"] = r.path;
  o["method"] = r.method;
  o["status"] = r.status;
  o["model"] = r.model;
  o["credential"] = r.credential;
  put_opt(o, "input_tokens", r.input_tokens);
  put_opt(o, "output_tokens", r.output_tokens);
  put_opt(o, "cache_creation_input_tokens", r.cache_creation_input_tokens);
  put_opt(o, "cache_read_input_tokens", r.cache_read_input_tokens);
  put_opt(o, "cost_usd", r.cost_usd);
  o["outcome"] = r.outcome;
  o["end_user"] = r.end_user;
  o["session_id"] = r.session_id;
  o["agent_id"] = r.agent_id;
  o["client"] = r.client;
  auto line = json::serialize(o);
  line.push_back('\n');
  return line;
}

// Throws on a line that is not a row this file wrote.
usage::spend_record from_line(std::string_view line) {
  // A row may carry bytes that are not UTF-8 (a path, a model name); the
  // serializer wrote them as they are, so read them back the same way.
  json::parse_options opts;
  opts.allow_invalid_utf8 = true;
  const json::value v = json::parse(line, {}, opts);  // named: `o` refers into it
  const json::object& o = v.as_object();
  auto text = [&](const char* k) { return std::string(o.at(k).as_string()); };
  auto int64 = [&](const char* k) { return o.at(k).to_number<std::int64_t>(); };
  auto opt_int64 = [&](const char* k) -> std::optional<std::int64_t> {
    if (auto* v = o.if_contains(k)) return v->to_number<std::int64_t>();
    return std::nullopt;
  };
  usage::spend_record r;
  r.request_id = text("request_id");
  r.started_at_ms = int64("started_at_ms");
  r.duration_ms = int64("duration_ms");
  r.ttfb_ms = opt_int64("ttfb_ms");
  r.key_id = text("key_id");
  r.key_alias = text("key_alias");
  r.route = text("route");
  r.path = text("path");
  r.method = text("method");
  r.status = int(int64("status"));
  r.model = text("model");
  r.credential = text("credential");
  r.input_tokens = opt_int64("input_tokens");
  r.output_tokens = opt_int64("output_tokens");
  r.cache_creation_input_tokens = opt_int64("cache_creation_input_tokens");
  r.cache_read_input_tokens = opt_int64("cache_read_input_tokens");
  if (auto* v = o.if_contains("cost_usd")) r.cost_usd = v->to_number<double>();
  r.outcome = text("outcome");
  auto opt_text = [&](const char* k) {
    auto* v = o.if_contains(k);
    return v ? std::string(v->as_string()) : std::string();
  };
  r.end_user = opt_text("end_user");
  r.session_id = opt_text("session_id");
  r.agent_id = opt_text("agent_id");
  r.client = opt_text("client");
  r.provider = opt_text("provider");
  if (r.provider.empty()) r.provider = "anthropic";  // spooled before routes had providers
  return r;
}

struct spool_name {
  bool spill = false;  // a spill (replayed), not rejected rows (kept for a person)
  std::uint64_t sequence = 0;
  std::uint64_t rows = 0;
};

// The parts of a spool file's name ("….bad" too: set aside, its number still
// taken); nullopt for anything else in the directory.
std::optional<spool_name> parse_name(std::string name) {
  if (name.ends_with(".bad")) name.resize(name.size() - 4);
  spool_name n;
  std::string_view rest = name;
  if (rest.starts_with(spill_prefix)) {
    n.spill = true;
    rest.remove_prefix(spill_prefix.size());
  } else if (rest.starts_with(rejected_prefix)) {
    rest.remove_prefix(rejected_prefix.size());
  } else {
    return std::nullopt;
  }
  if (!rest.ends_with(file_suffix)) return std::nullopt;
  rest.remove_suffix(file_suffix.size());
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view digits, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size();
  };
  if (!number(rest.substr(0, dash), n.sequence) || !number(rest.substr(dash + 1), n.rows)) return std::nullopt;
  return n;
}

std::string make_name(std::string_view prefix, std::uint64_t sequence, std::size_t rows) {
  char name[80];
  std::snprintf(name, sizeof name, "%.*s%012llu-%zu.jsonl", int(prefix.size()), prefix.data(),
                static_cast<unsigned long long>(sequence), rows);
  return name;
}

// Writes all of `data` to a new file at `path` and syncs it; false on failure.
bool write_synced(const fs::path& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += std::size_t(n);
  }
  const bool ok = ::fdatasync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

spend_spool::spend_spool(fs::path dir, std::uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("spend spool " + dir_.string() + ": cannot create the directory: " + ec.message());
  auto lock_path = dir_ / "lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error("spend spool " + dir_.string() + ": cannot open its lock file: " + errno_text());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw std::runtime_error("spend spool " + dir_.string() +
                             ": in use by another passgate process (each instance needs its own store.spool_dir)");
  }
  std::vector<std::pair<std::uint64_t, file_info>> found;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (!e.is_regular_file()) continue;
    if (e.path().extension() == ".tmp") {  // a spill cut short by a crash: never renamed, never counted
      fs::remove(e.path(), ec);
      continue;
    }
    auto name = parse_name(e.path().filename().string());
    if (!name) continue;
    next_seq_ = std::max(next_seq_, name->sequence + 1);  // never reuse a number, set aside or not
    if (name->spill && e.path().extension() == file_suffix)
      found.emplace_back(name->sequence, file_info{e.path(), e.file_size(ec), name->rows});
  }
  if (ec) throw std::runtime_error("spend spool " + dir_.string() + ": cannot list it: " + ec.message());
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [seq, f] : found) {
    rows_ += f.rows;
    bytes_ += f.bytes;
    files_.push_back(std::move(f));
  }
  if (!files_.empty())
    spdlog::info("spend spool {}: {} row(s) in {} file(s) from an earlier run; they are written first", dir_.string(),
                 rows(), files_.size());
}

spend_spool::~spend_spool() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

bool spend_spool::append(std::span<const usage::spend_record> rows) {
  if (rows.empty()) return true;
  std::string data;
  for (const auto& r : rows) data += to_line(r);
  if (bytes() + data.size() > max_bytes_) {
    spdlog::error("spend spool {}: {} row(s) do not fit (it holds {} of its {} bytes, store.spool_max_bytes)",
                  dir_.string(), rows.size(), bytes(), max_bytes_);
    return false;
  }
  const fs::path final_path = dir_ / make_name(spill_prefix, next_seq_, rows.size());
  fs::path tmp = final_path;
  tmp += ".tmp";
  std::error_code ec;
  if (!write_synced(tmp, data) || (fs::rename(tmp, final_path, ec), ec)) {
    spdlog::error("spend spool {}: cannot write {} row(s): {}", dir_.string(), rows.size(),
                  ec ? ec.message() : errno_text());
    fs::remove(tmp, ec);
    return false;
  }
  sync_dir(dir_);
  ++next_seq_;
  files_.push_back({final_path, data.size(), rows.size()});
  rows_ += rows.size();
  bytes_ += data.size();
  return true;
}

bool spend_spool::append_rejected(std::span<const usage::spend_record> rows) {
  std::string data;
  for (const auto& r : rows) data += to_line(r);
  const fs::path path = dir_ / make_name(rejected_prefix, next_seq_++, rows.size());
  if (!write_synced(path, data)) return false;
  sync_dir(dir_);
  return true;
}

bool spend_spool::load_oldest() {
  const auto& f = files_.front();
  loaded_.clear();
  loaded_pos_ = 0;
  std::ifstream in(f.path, std::ios::binary);
  std::string line;
  std::size_t line_no = 0;
  try {
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty()) loaded_.push_back(from_line(line));
    }
    if (in.bad()) throw std::runtime_error("read error");
  } catch (const std::exception& e) {
    // Not ours, or damaged on disk: kept aside for a person, never half-replayed.
    // Every line of it is lost: the rest is counted, as far as it can be read.
    std::uint64_t lines = line_no;
    if (!in.bad())
      while (std::getline(in, line)) ++lines;
    auto bad = f.path;
    bad += ".bad";
    std::error_code ec;
    fs::rename(f.path, bad, ec);
    spdlog::error("spend spool: {} line {} cannot be read ({}); set aside as {} with its {} line(s)", f.path.string(),
                  line_no, e.what(), bad.string(), lines);
    rows_ -= f.rows;
    bytes_ -= f.bytes;
    set_aside_ += lines;
    files_.pop_front();
    loaded_.clear();
    return false;
  }
  // The count in the name is what was counted at start; the rows read are what counts now.
  rows_ -= f.rows;
  rows_ += loaded_.size();
  files_.front().rows = loaded_.size();
  have_loaded_ = true;
  return true;
}

std::size_t spend_spool::peek(std::vector<usage::spend_record>& out, std::size_t max) {
  while (!files_.empty() && !have_loaded_) {
    if (!load_oldest()) continue;
    if (loaded_.empty()) consume(0);  // an empty file: just remove it
  }
  if (!have_loaded_) return 0;
  const std::size_t n = std::min(max, loaded_.size() - loaded_pos_);
  for (std::size_t i = 0; i < n; ++i) out.push_back(loaded_[loaded_pos_ + i]);
  return n;
}

void spend_spool::consume(std::size_t n) {
  if (!have_loaded_) return;
  loaded_pos_ += n;
  rows_ -= n;
  if (loaded_pos_ < loaded_.size()) return;
  std::error_code ec;
  fs::remove(files_.front().path, ec);
  if (ec) spdlog::warn("spend spool: cannot delete {} (its rows are written): {}", files_.front().path.string(), ec.message());
  bytes_ -= files_.front().bytes;
  files_.pop_front();
  loaded_.clear();
  loaded_pos_ = 0;
  have_loaded_ = false;
}

}  // namespace passgate::store

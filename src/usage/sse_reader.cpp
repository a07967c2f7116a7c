#include "usage/sse_reader.hpp"

#include <cstring>

#include "usage/byte_search.hpp"

namespace passgate::usage {
namespace {

// A field name longer than this is none of event, data, id, retry.
constexpr std::size_t max_field_name = 8;

}  // namespace

void sse_reader::feed(std::string_view bytes) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  if (p != end && after_cr_) {
    after_cr_ = false;
    if (*p == '\n') ++p;
  }
  while (p != end) {
    if (at_event_start()) {
      if (const char* after = skip_unwanted_event(p, end)) {
        p = after;
        continue;
      }
    }
    const char* eol = find_first_of<'\n', '\r'>(p, end);
    if (eol != end && skippable_data_line(p, eol)) {
      has_data_ = true;  // a whole data line of an unwanted event: nothing to keep
    } else {
      take(std::string_view(p, static_cast<std::size_t>(eol - p)));
      if (eol == end) return;
      end_line();
    }
    p = eol + 1;
    if (*eol == '\r') {
      if (p == end) {
        after_cr_ = true;
        return;
      }
      if (*p == '\n') ++p;
    }
  }
}

// Most of a stream is content deltas nobody here wants. When one lies whole in
// the piece, in the plain shape the API sends ("event: NAME", "data:" or comment
// lines, a blank line, LF line ends), it is passed over in one go; anything else
// takes the line-by-line path, which gives the same outcome.
bool sse_reader::at_event_start() const {
  return state_ == line_state::start && field_.empty() && !name_known_ && !has_data_ && event_name_.empty();
}

const char* sse_reader::skip_unwanted_event(const char* p, const char* end) {
  const auto left = static_cast<std::size_t>(end - p);
  const char* lf = nullptr;
  if (skipped_line_size_ != 0 && left > skipped_line_size_ &&
      same_bytes(p, skipped_line_, skipped_line_size_, left >= 32)) {
    lf = p + skipped_line_size_ - 1;  // the same unwanted name as last time
  } else {
    constexpr std::string_view tag = "event: ";
    if (left < tag.size() || std::memcmp(p, tag.data(), tag.size()) != 0) return nullptr;
    lf = find_first_of<'\n', '\r'>(p, end);
    if (lf == end || *lf == '\r') return nullptr;  // a CR ends lines differently: the careful path
    const std::string_view name(p + tag.size(), static_cast<std::size_t>(lf - p) - tag.size());
    if (name.empty() || name.size() > max_event_name || listener_.wants_event(name)) return nullptr;
    skipped_line_size_ = static_cast<std::size_t>(lf + 1 - p);
    std::memcpy(skipped_line_, p, skipped_line_size_);
  }
  for (const char* line = lf + 1;;) {
    if (line == end) return nullptr;       // the event goes on in the next piece
    if (*line == '\n') return line + 1;    // the blank line that ends it
    const char* eol = find_first_of<'\n', '\r'>(line, end);
    if (eol == end || *eol == '\r') return nullptr;
    const bool data_line = eol - line >= 5 && std::memcmp(line, "data:", 5) == 0;
    if (!data_line && *line != ':') return nullptr;  // another field: the careful path
    line = eol + 1;
  }
}

// Data lines of an unwanted event not passed over whole above are
// passed over whole, without the field-by-field path (same outcome, less work).
// Not when data is being kept: an event that began with data lines and was named
// afterwards ("data: a", "event: ping", "data: b", "event: message_delta")
// still joins every data line, as the line-by-line path does.
bool sse_reader::skippable_data_line(const char* p, const char* eol) const {
  return state_ == line_state::start && field_.empty() && name_known_ && !wanted_ && !keep_data_ &&
         eol - p >= 5 && std::memcmp(p, "data:", 5) == 0;
}

void sse_reader::finish() {
  if (state_ != line_state::start) end_line();
  dispatch();
  after_cr_ = false;
}

void sse_reader::reset() {
  skipped_line_size_ = 0;
  state_ = line_state::start;
  field_kind_ = field_kind::ignored;
  after_cr_ = false;
  field_.clear();
  unknown_field_ = false;
  forget_event();
}

void sse_reader::take(std::string_view piece) {
  if (state_ == line_state::start || state_ == line_state::field) {
    // Look for the ':' no further than a known field name can reach.
    const auto window = max_field_name + 1 - field_.size();
    const auto colon = piece.substr(0, window).find(':');
    if (colon == std::string_view::npos) {
      if (field_.size() + piece.size() > max_field_name) {
        field_.clear();
        begin_value({});  // no known field is this long
        unknown_field_ = true;
        state_ = line_state::value;
        return;
      }
      field_.append(piece);
      if (!field_.empty()) state_ = line_state::field;
      return;
    }
    field_.append(piece.substr(0, colon));
    begin_value(field_);
    field_.clear();
    piece.remove_prefix(colon + 1);
    state_ = line_state::space;
  }
  if (state_ == line_state::space) {
    if (piece.empty()) return;
    if (piece.front() == ' ') piece.remove_prefix(1);
    state_ = line_state::value;
  }
  take_value(piece);
}

void sse_reader::end_line() {
  switch (state_) {
    case line_state::start:
      dispatch();  // a blank line ends the event
      break;
    case line_state::field:  // "data" alone: the field with an empty value
      begin_value(field_);
      field_.clear();
      end_value();
      break;
    case line_state::space:
    case line_state::value:
      end_value();
      break;
  }
  state_ = line_state::start;
}

void sse_reader::begin_value(std::string_view name) {
  if (name == "data") {
    field_kind_ = field_kind::data;
    if (!has_data_) {
      has_data_ = true;
      keep_data_ = name_known_ ? wanted_ : listener_.wants_event({});
    } else {
      append_data("\n");  // data lines are joined with LF
    }
  } else if (name == "event") {
    field_kind_ = field_kind::event;
    event_name_.clear();
    name_too_long_ = false;
  } else {
    field_kind_ = field_kind::ignored;
    // "" is a comment line; id and retry matter to reconnecting clients only.
    if (!name.empty() && name != "id" && name != "retry") unknown_field_ = true;
  }
}

void sse_reader::take_value(std::string_view piece) {
  if (field_kind_ == field_kind::data) {
    append_data(piece);
  } else if (field_kind_ == field_kind::event && !name_too_long_) {
    if (event_name_.size() + piece.size() > max_event_name) {
      name_too_long_ = true;
      event_name_.clear();
    } else {
      event_name_.append(piece);
    }
  }
}

void sse_reader::end_value() {
  if (field_kind_ == field_kind::event) {
    name_known_ = true;
    wanted_ = !name_too_long_ && listener_.wants_event(event_name_);
  }
  field_kind_ = field_kind::ignored;
}

void sse_reader::append_data(std::string_view piece) {
  if (keep_data_) data_.append(piece);
}

void sse_reader::dispatch() {
  if (has_data_ && keep_data_ && !name_too_long_ && listener_.wants_event(event_name_)) {
    listener_.on_event(event_name_, data_.view(), data_.truncated());
  }
  forget_event();
}

void sse_reader::forget_event() {
  event_name_.clear();
  name_known_ = name_too_long_ = wanted_ = false;
  has_data_ = keep_data_ = false;
  data_.clear();
}

}  // namespace passgate::usage

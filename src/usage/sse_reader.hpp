#pragma once
// Incremental reader of a text/event-stream body (WHATWG SSE framing: LF, CRLF or
// CR line ends, `field: value` lines, `:` comments, a blank line ends an event),
// fed pieces split at any byte. Events the listener does not want pass without
// being buffered; a wanted event's data is kept up to max_event_bytes.
#include <cstddef>
#include <string>
#include <string_view>

#include "usage/capped_text.hpp"

namespace passgate::usage {

class sse_listener {
 public:
  // Whether to keep the data of an event named `name`. "" means no `event:`
  // line came before the data: the listener can only tell from the data itself.
  // Must depend on the name alone: the reader remembers an unwanted name.
  virtual bool wants_event(std::string_view name) const = 0;
  // A complete wanted event. `truncated`: its data passed max_event_bytes and
  // only the beginning is given.
  virtual void on_event(std::string_view name, std::string_view data, bool truncated) = 0;

 protected:
  ~sse_listener() = default;
};

class sse_reader {
 public:
  static constexpr std::size_t max_event_bytes = 64 * 1024;
  static constexpr std::size_t max_event_name = 64;  // longer names are not wanted

  explicit sse_reader(sse_listener& listener) : listener_(listener) {}

  void feed(std::string_view bytes);
  // End of the body: an event whose closing blank line never came is still
  // dispatched (the listener sees whether its data parses).
  void finish();
  // Ready for a new body; buffers keep a bounded capacity for it.
  void reset();

  // A line named a field other than event, data, id or retry: this is not SSE.
  bool saw_unknown_field() const noexcept { return unknown_field_; }
  // Bytes of the stream held now; never more than max_event_bytes plus the
  // event name and a partial field name.
  std::size_t buffered_bytes() const noexcept {
    return data_.size() + event_name_.size() + field_.size();
  }

 private:
  enum class line_state { start, field, space, value };  // space: one ' ' may follow ':'
  enum class field_kind { event, data, ignored };

  bool at_event_start() const;
  const char* skip_unwanted_event(const char* p, const char* end);
  bool skippable_data_line(const char* p, const char* eol) const;
  void take(std::string_view piece);  // bytes of the current line, no line end
  void end_line();
  void begin_value(std::string_view field_name);
  void take_value(std::string_view piece);
  void end_value();
  void append_data(std::string_view piece);
  void dispatch();
  void forget_event();

  sse_listener& listener_;
  line_state state_ = line_state::start;
  field_kind field_kind_ = field_kind::ignored;
  bool after_cr_ = false;  // the last piece ended with CR: a leading LF belongs to it
  std::string field_;      // a field name split across pieces

  // The event being read.
  std::string event_name_;
  bool name_known_ = false;  // an event: line was read
  bool name_too_long_ = false;
  bool wanted_ = false;      // listener's answer for event_name_
  bool has_data_ = false;
  bool keep_data_ = false;
  capped_text<max_event_bytes, 1024> data_;  // 1024: a message_start in one allocation

  bool unknown_field_ = false;

  // The "event: NAME\n" line of the last event passed over whole: a stream's
  // unwanted events mostly share one name, so the next is recognised by a
  // compare of known length instead of a search for its line end.
  static constexpr std::size_t max_name_line = 7 + max_event_name + 1;
  char skipped_line_[max_name_line < 32 ? 32 : max_name_line]{};  // 32: same_bytes() reads a whole block
  std::size_t skipped_line_size_ = 0;
};

}  // namespace passgate::usage

#include "usage/sse_reader.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace passgate::usage {
namespace {

struct recorded_event {
  std::string name, data;
  bool truncated;
  bool operator==(const recorded_event&) const = default;
};

// Wants the names in `wanted`; "" (no event: line) is wanted unless told otherwise.
struct recorder final : sse_listener {
  std::set<std::string, std::less<>> wanted{"", "keep"};
  std::vector<recorded_event> events;
  bool wants_event(std::string_view name) const override { return wanted.contains(name); }
  void on_event(std::string_view name, std::string_view data, bool truncated) override {
    events.push_back({std::string(name), std::string(data), truncated});
  }
};

std::vector<recorded_event> read_all(std::string_view body, std::size_t piece = 0) {
  recorder r;
  sse_reader reader(r);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) reader.feed(body.substr(i, piece));
  reader.finish();
  return r.events;
}

TEST(SseReader, DispatchesWantedEventsOnly) {
  std::cout << "checks: wanted events are dispatched with their data, others are skipped\n";
  const auto events = read_all("event: keep\ndata: {\"a\":1}\n\nevent: skip\ndata: big\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (recorded_event{"keep", "{\"a\":1}", false}));
}

TEST(SseReader, JoinsDataLinesAndIgnoresCommentsIdRetry) {
  std::cout << "checks: data lines joined by LF; comments, id and retry ignored; one space after ':' dropped\n";
  recorder r;
  sse_reader reader(r);
  reader.feed(": keep-alive\nid: 7\nretry: 100\nevent:keep\ndata:one\ndata:  two\ndata\n\n");
  reader.finish();
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], (recorded_event{"keep", "one\n two\n", false}));
  EXPECT_FALSE(reader.saw_unknown_field());
}

TEST(SseReader, UnknownFieldIsFlagged) {
  std::cout << "checks: a line naming no SSE field (e.g. HTML) marks the body as not SSE\n";
  recorder r;
  sse_reader reader(r);
  reader.feed("<html><body>502 Bad Gateway</body></html>\n");
  EXPECT_TRUE(reader.saw_unknown_field());
}

TEST(SseReader, UnwantedEventsPassedOverWholeGiveTheSameOutcome) {
  std::cout << "checks: an unwanted event read in one piece (passed over whole) or byte by byte gives the same "
               "events and flags, also with comments, CR line ends or a stray field inside it\n";
  const std::vector<std::string> bodies = {
      "event: skip\ndata: {\"x\":1}\n\nevent: keep\ndata: 1\n\n",
      "event: skip\n: comment\ndata: a\ndata: b\n\nevent: keep\ndata: 2\n\n",
      "event: skip\r\ndata: a\r\n\r\nevent: keep\ndata: 3\n\n",
      "event: skip\ndata: a\rbogus: b\n\nevent: keep\ndata: 4\n\n",
      "event: skip\nbogus: 1\n\nevent: keep\ndata: 5\n\n",
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE(body);
    recorder whole_r, split_r;
    sse_reader whole(whole_r), split(split_r);
    whole.feed(body);
    whole.finish();
    for (char c : body) split.feed(std::string_view(&c, 1));
    split.finish();
    EXPECT_EQ(whole_r.events, split_r.events);
    ASSERT_EQ(whole_r.events.size(), 1u);
    EXPECT_EQ(whole_r.events[0].name, "keep");
    EXPECT_EQ(whole.saw_unknown_field(), split.saw_unknown_field());
  }
}

TEST(SseReader, AnEventNamedAfterItsFirstDataLineKeepsEveryDataLine) {
  std::cout << "checks: data, then an unwanted name, more data, then a wanted name (found by the usage fuzzer): "
               "every data line joined, whole or byte by byte\n";
  const std::string body = "data:a\nevent:skip\ndata:b\nevent:keep\n\n";
  const std::vector<recorded_event> expected{{"keep", "a\nb", false}};
  EXPECT_EQ(read_all(body), expected);
  for (std::size_t piece = 1; piece <= body.size(); ++piece) EXPECT_EQ(read_all(body, piece), expected) << piece;
}

TEST(SseReader, AllLineEndsAndCrSplitFromLf) {
  std::cout << "checks: LF, CRLF and CR line ends, and a CRLF split between two pieces\n";
  const std::vector<recorded_event> expected{{"keep", "x", false}, {"keep", "y", false},
                                             {"keep", "z", false}};
  EXPECT_EQ(read_all("event: keep\ndata: x\n\nevent: keep\r\ndata: y\r\n\r\nevent: keep\rdata: z\r\r"),
            expected);
  recorder r;
  sse_reader reader(r);
  reader.feed("event: keep\r");
  reader.feed("\ndata: x\r");
  reader.feed("\n\r");
  reader.feed("\n");
  ASSERT_EQ(r.events.size(), 1u);  // the CR+LF pairs were not read as blank lines
  EXPECT_EQ(r.events[0], (recorded_event{"keep", "x", false}));
}

TEST(SseReader, SameEventsAtEveryPieceSize) {
  std::cout << "checks: identical events for every piece size from 1 byte to the whole body\n";
  const std::string body =
      ": comment\r\nevent: keep\r\ndata: {\"type\":\"k\",\r\ndata: \"v\":2}\r\n\r\n"
      "event: skip\ndata: {\"ignored\":true}\n\ndata: {\"unnamed\":1}\n\n";
  const auto whole = read_all(body);
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole[0].data, "{\"type\":\"k\",\n\"v\":2}");
  EXPECT_EQ(whole[1], (recorded_event{"", "{\"unnamed\":1}", false}));
  for (std::size_t piece = 1; piece <= body.size(); ++piece) {
    EXPECT_EQ(read_all(body, piece), whole) << "piece size " << piece;
  }
}

TEST(SseReader, SkippedEventIsNotBuffered) {
  std::cout << "checks: 1 MiB of data in an unwanted event passes with nothing buffered\n";
  recorder r;
  sse_reader reader(r);
  reader.feed("event: skip\ndata: ");
  const std::string piece(4096, 'x');
  for (int i = 0; i < 256; ++i) {
    reader.feed(piece);
    ASSERT_LE(reader.buffered_bytes(), sse_reader::max_event_name);
  }
  reader.feed("\n\nevent: keep\ndata: after\n\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data, "after");
}

TEST(SseReader, WantedEventIsCappedAndFlagged) {
  std::cout << "checks: a wanted event over max_event_bytes keeps only its beginning, flagged truncated\n";
  recorder r;
  sse_reader reader(r);
  reader.feed("event: keep\ndata: ");
  const std::string piece(4096, 'y');
  for (int i = 0; i < 32; ++i) reader.feed(piece);
  EXPECT_EQ(reader.buffered_bytes(), sse_reader::max_event_bytes + 4);  // + the name "keep"
  reader.feed("\n\n");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.events[0].truncated);
  EXPECT_EQ(r.events[0].data.size(), sse_reader::max_event_bytes);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(SseReader, FinishDispatchesAnEventWithoutBlankLine) {
  std::cout << "checks: the last event is still read when the body ends without its blank line\n";
  EXPECT_EQ(read_all("event: keep\ndata: last"), (std::vector<recorded_event>{{"keep", "last", false}}));
  EXPECT_TRUE(read_all("event: keep\n\n").empty());  // no data: nothing to dispatch
}

TEST(SseReader, LongOrLateEventNames) {
  std::cout << "checks: an over-long event name is not wanted; a late event: line still decides\n";
  EXPECT_TRUE(read_all("event: " + std::string(100, 'k') + "\ndata: x\n\n").empty());
  // The data was kept while unnamed, then the name said "skip".
  EXPECT_TRUE(read_all("data: x\nevent: skip\n\n").empty());
  EXPECT_EQ(read_all("data: x\nevent: keep\n\n"), (std::vector<recorded_event>{{"keep", "x", false}}));
}

}  // namespace
}  // namespace passgate::usage

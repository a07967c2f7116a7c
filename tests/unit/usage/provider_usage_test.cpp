// The OpenAI and Gemini dialects, fed the way the tap feeds them: each wanted
// top-level member of a JSON answer through apply_answer_member, each wanted
// SSE event through apply_stream_event. Bodies follow the providers' documented
// shapes (OpenAI chat.completion / chat.completion.chunk with
// stream_options.include_usage / Responses API objects and streaming events;
// Gemini GenerateContentResponse with usageMetadata and Google API errors).
#include "usage/gemini_usage.hpp"
#include "usage/openai_usage.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace passgate::usage {
namespace {

void say(const std::string& what) { std::cout << "  checks: " << what << std::endl; }

// Feeds the wanted top-level members of a whole JSON answer, in order.
usage_result read_answer(const usage_dialect& d, std::string_view body) {
  usage_result out;
  const auto doc = boost::json::parse(body);
  for (const auto& m : doc.as_object()) {
    const std::string_view key(m.key().data(), m.key().size());
    if (!d.wants_member(key)) continue;
    EXPECT_TRUE(d.apply_answer_member(key, boost::json::serialize(m.value()), out)) << key;
  }
  return out;
}

struct sse_event {
  std::string name;
  std::string data;
};

// Splits an LF-framed event stream (blank line between events, `event:` and
// `data:` fields; several data lines join with LF).
std::vector<sse_event> split_sse(std::string_view body) {
  std::vector<sse_event> events;
  sse_event current;
  bool has_data = false;
  while (!body.empty()) {
    const auto eol = body.find('\n');
    const std::string_view line = body.substr(0, eol);
    body.remove_prefix(eol == std::string_view::npos ? body.size() : eol + 1);
    if (line.empty()) {
      if (has_data) events.push_back(current);
      current = {};
      has_data = false;
    } else if (line.rfind("event: ", 0) == 0) {
      current.name = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      if (has_data) current.data += '\n';
      current.data += line.substr(6);
      has_data = true;
    }
  }
  if (has_data) events.push_back(current);
  return events;
}

// Feeds every wanted event; all must be understood. Returns how many were wanted.
std::size_t feed_stream(const usage_dialect& d, std::string_view body, usage_result& out) {
  std::size_t wanted = 0;
  for (const auto& e : split_sse(body)) {
    if (!d.wants_event(e.name)) continue;
    ++wanted;
    EXPECT_TRUE(d.apply_stream_event(e.name, e.data, out)) << e.name << ": " << e.data;
  }
  return wanted;
}

const usage_dialect& openai = openai_dialect();
const usage_dialect& gemini = gemini_dialect();

// ---------------------------------------------------------------- OpenAI: Chat Completions

TEST(OpenAIUsage, ChatCompletionAnswer) {
  say("chat.completion answer: prompt 2006 with 1920 cached -> input 86, cache_read 1920; output = "
      "completion_tokens 300 (its 192 reasoning tokens not added again); model");
  const auto r = read_answer(openai, R"({
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "o3-mini-2025-01-31",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "The image shows a wooden boardwalk extending through a lush green marshland. The \"usage\": {\"prompt_tokens\": 1} here is only text.",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
    "completion_tokens_details": {
      "reasoning_tokens": 192,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
})");
  EXPECT_EQ(r.model, "o3-mini-2025-01-31");
  EXPECT_EQ(r.input_tokens, 86);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 300);
  EXPECT_FALSE(r.cache_creation_input_tokens);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_TRUE(r.error_type.empty());
  EXPECT_FALSE(r.unparseable);
}

TEST(OpenAIUsage, ChatCompletionAnswerWithoutDetails) {
  say("usage without prompt_tokens_details (older models, compatible servers): input = prompt_tokens, "
      "cache_read absent");
  const auto r = read_answer(openai, R"({"id":"chatcmpl-123","object":"chat.completion","created":1677652288,)"
                                     R"("model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant",)"
                                     R"("content":"Hello there"},"finish_reason":"stop"}],)"
                                     R"("usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}})");
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_EQ(r.input_tokens, 9);
  EXPECT_EQ(r.output_tokens, 12);
  EXPECT_FALSE(r.cache_read_input_tokens);
  EXPECT_TRUE(r.saw_usage);
}

TEST(OpenAIUsage, ChatStreamWithIncludeUsage) {
  say("chat.completion.chunk stream with stream_options.include_usage: usage:null on every content chunk, "
      "the last chunk (choices []) carries the totals, then data: [DONE]");
  const std::string_view body =
      R"(data: {"id":"chatcmpl-BPxM","object":"chat.completion.chunk","created":1745504316,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b38e740b47","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BPxM","object":"chat.completion.chunk","created":1745504316,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b38e740b47","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BPxM","object":"chat.completion.chunk","created":1745504316,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b38e740b47","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BPxM","object":"chat.completion.chunk","created":1745504316,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b38e740b47","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-BPxM","object":"chat.completion.chunk","created":1745504316,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b38e740b47","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":10,"total_tokens":2016,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

)";
  usage_result r;
  EXPECT_EQ(feed_stream(openai, body, r), 6u);
  EXPECT_EQ(r.model, "gpt-4.1-2025-04-14");
  EXPECT_EQ(r.input_tokens, 86);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 10);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_TRUE(r.error_type.empty());
}

TEST(OpenAIUsage, ChatStreamWithoutUsage) {
  say("a stream without include_usage: the model is known, no count is made up, [DONE] is not an error");
  const std::string_view body =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0705bf87c0","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0705bf87c0","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0705bf87c0","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}

data: [DONE]
)";
  usage_result r;
  feed_stream(openai, body, r);
  EXPECT_EQ(r.model, "gpt-4o-mini-2024-07-18");
  EXPECT_FALSE(r.saw_usage);
  EXPECT_FALSE(r.input_tokens);
  EXPECT_FALSE(r.output_tokens);
  usage_result done;
  EXPECT_TRUE(openai.apply_stream_event("", "[DONE]", done));
  EXPECT_TRUE(openai.apply_stream_event("", " [DONE] ", done));
  EXPECT_EQ(done, usage_result{});
}

TEST(OpenAIUsage, ChatContentChunkSkippedWithoutParse) {
  say("once the model is known, a chunk with no \"usage\": { (nor \"error\": {) is passed over unparsed: "
      "a broken content chunk is then accepted (unread) and the model from the first chunk stays");
  // Not JSON (cut short), and no usage object: proves it is not parsed.
  const std::string_view broken = R"({"id":"chatcmpl-1","object":"chat.completion.chunk","model":"gpt-x",)"
                                  R"("choices":[{"index":0,"delta":{"content":"tok)";
  usage_result fresh;
  EXPECT_FALSE(openai.apply_stream_event("", broken, fresh)) << "model unknown: the chunk is parsed";

  usage_result r;
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06",)"
          R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null})",
      r));
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06");
  EXPECT_TRUE(openai.apply_stream_event("", broken, r)) << "model known: skipped";
  // usage:null and content quoting a usage object (escaped quotes) are no usage object.
  EXPECT_TRUE(openai.apply_stream_event(
      "", R"({"model":"other-model","choices":[{"delta":{"content":"say \"usage\": {\"a\":1}"}}],"usage":null)", r));
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06") << "skipped chunks do not change the model";
  EXPECT_FALSE(r.saw_usage);
  EXPECT_FALSE(r.unparseable);
  // "usage" with white space before ':' and '{' is still found.
  EXPECT_TRUE(openai.apply_stream_event(
      "", "{\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\" :\n {\"prompt_tokens\":5,\"completion_tokens\":2}}", r));
  EXPECT_EQ(r.input_tokens, 5);
  EXPECT_EQ(r.output_tokens, 2);
  // Found but broken: that one is parsed and reported.
  EXPECT_FALSE(openai.apply_stream_event("", R"({"choices":[],"usage":{"prompt_tokens":5)", r));
}

TEST(OpenAIUsage, ChatStreamUsageOverridesEarlier) {
  say("usage in several chunks (continuous usage stats of compatible servers): the last counts present win");
  usage_result r;
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"model":"llama-3.1-8b","choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":40,"completion_tokens":1,"total_tokens":41}})", r));
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"model":"llama-3.1-8b","choices":[{"delta":{"content":"b"}}],"usage":{"prompt_tokens":40,"completion_tokens":2,"total_tokens":42}})", r));
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"model":"llama-3.1-8b","choices":[],"usage":{"completion_tokens":17}})", r));
  EXPECT_EQ(r.input_tokens, 40);
  EXPECT_EQ(r.output_tokens, 17);
}

TEST(OpenAIUsage, ChatStreamErrorChunk) {
  say("an {\"error\":{…}} chunk mid-stream sets error_type even though the model is known");
  const std::string_view body =
      R"(data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-2","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Par"},"finish_reason":null}]}

data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}

)";
  usage_result r;
  feed_stream(openai, body, r);
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(r.error_type, "server_error");
  EXPECT_FALSE(r.saw_usage);
}

TEST(OpenAIUsage, ErrorBodies) {
  say("error bodies: error.type; error.code when type is null or empty (string or number); 'error' when "
      "neither names it; \"error\": null is no error");
  auto r = read_answer(openai, R"({
  "error": {
    "message": "Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.",
    "type": "invalid_request_error",
    "param": null,
    "code": "invalid_api_key"
  }
})");
  EXPECT_EQ(r.error_type, "invalid_request_error");
  EXPECT_FALSE(r.saw_usage);
  EXPECT_EQ(read_answer(openai, R"({"error":{"message":"Rate limit reached","type":null,"param":null,"code":"rate_limit_exceeded"}})")
                .error_type,
            "rate_limit_exceeded");
  EXPECT_EQ(read_answer(openai, R"({"error":{"message":"x","type":"","code":429}})").error_type, "429");
  EXPECT_EQ(read_answer(openai, R"({"error":{"message":"x","type":null,"code":null}})").error_type, "error");
  EXPECT_EQ(read_answer(openai, R"({"error":null,"model":"gpt-4o"})").error_type, "");
}

// ---------------------------------------------------------------- OpenAI: Responses API

TEST(OpenAIUsage, ResponsesAnswer) {
  say("Responses API answer (object response): input_tokens 2006 with input_tokens_details.cached_tokens 1920 "
      "-> input 86; output_tokens 1035 includes its reasoning; \"error\": null ignored");
  const auto r = read_answer(openai, R"({
  "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
  "object": "response",
  "created_at": 1741476777,
  "status": "completed",
  "background": false,
  "error": null,
  "incomplete_details": null,
  "instructions": null,
  "max_output_tokens": null,
  "model": "o4-mini-2025-04-16",
  "output": [
    {"type": "reasoning", "id": "rs_67ccd3a9", "summary": []},
    {
      "type": "message",
      "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
      "status": "completed",
      "role": "assistant",
      "content": [{"type": "output_text", "text": "The image depicts a scenic landscape.", "annotations": []}]
    }
  ],
  "parallel_tool_calls": true,
  "previous_response_id": null,
  "reasoning": {"effort": "medium", "summary": null},
  "store": true,
  "temperature": 1.0,
  "text": {"format": {"type": "text"}},
  "tool_choice": "auto",
  "tools": [],
  "top_p": 1.0,
  "truncation": "disabled",
  "usage": {
    "input_tokens": 2006,
    "input_tokens_details": {"cached_tokens": 1920},
    "output_tokens": 1035,
    "output_tokens_details": {"reasoning_tokens": 832},
    "total_tokens": 3041
  },
  "user": null,
  "metadata": {}
})");
  EXPECT_EQ(r.model, "o4-mini-2025-04-16");
  EXPECT_EQ(r.input_tokens, 86);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 1035);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_TRUE(r.error_type.empty());
}

TEST(OpenAIUsage, ResponsesFailedAnswer) {
  say("a failed Responses answer: error {code, message} -> error_type = code");
  const auto r = read_answer(openai, R"({"id":"resp_1","object":"response","created_at":1,"status":"failed",)"
                                     R"("error":{"code":"server_error","message":"The model failed to generate a response."},)"
                                     R"("model":"gpt-4.1-2025-04-14","output":[],"usage":null})");
  EXPECT_EQ(r.model, "gpt-4.1-2025-04-14");
  EXPECT_EQ(r.error_type, "server_error");
  EXPECT_FALSE(r.saw_usage);
}

TEST(OpenAIUsage, ResponsesStream) {
  say("Responses API stream: model from response.created, usage from response.completed; delta and item "
      "events are not wanted");
  const std::string_view body =
      R"(event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_6867f1ca","object":"response","created_at":1751642570,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":2048,"max_tool_calls":null,"model":"gpt-4o-2024-08-06","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"auto","store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

event: response.in_progress
data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_6867f1ca","object":"response","created_at":1751642570,"status":"in_progress","error":null,"model":"gpt-4o-2024-08-06","output":[],"usage":null}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}}

event: response.content_part.added
data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}

event: response.output_text.done
data: {"type":"response.output_text.done","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hi"}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi"}],"role":"assistant"}}

event: response.completed
data: {"type":"response.completed","sequence_number":7,"response":{"id":"resp_6867f1ca","object":"response","created_at":1751642570,"status":"completed","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":2048,"model":"gpt-4o-2024-08-06","output":[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi"}],"role":"assistant"}],"parallel_tool_calls":true,"usage":{"input_tokens":2006,"input_tokens_details":{"cached_tokens":1920},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":2008},"user":null,"metadata":{}}}

)";
  usage_result r;
  EXPECT_EQ(feed_stream(openai, body, r), 3u) << "created, in_progress, completed";
  EXPECT_EQ(r.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(r.input_tokens, 86);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_TRUE(r.error_type.empty());
  EXPECT_FALSE(openai.wants_event("response.output_text.delta"));
  EXPECT_FALSE(openai.wants_event("response.output_item.done"));
}

TEST(OpenAIUsage, ResponsesStreamIncompleteAndFailed) {
  say("response.incomplete carries usage and no error; response.failed sets error_type from response.error.code");
  usage_result r;
  ASSERT_TRUE(openai.apply_stream_event(
      "response.incomplete",
      R"({"type":"response.incomplete","sequence_number":40,"response":{"id":"resp_1","object":"response","status":"incomplete",)"
      R"("error":null,"incomplete_details":{"reason":"max_output_tokens"},"model":"gpt-5-2025-08-07","output":[],)"
      R"("usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":0},"output_tokens":256,)"
      R"("output_tokens_details":{"reasoning_tokens":256},"total_tokens":376}}})",
      r));
  EXPECT_EQ(r.model, "gpt-5-2025-08-07");
  EXPECT_EQ(r.input_tokens, 120);
  EXPECT_EQ(r.cache_read_input_tokens, 0);
  EXPECT_EQ(r.output_tokens, 256);
  EXPECT_TRUE(r.error_type.empty());

  usage_result f;
  ASSERT_TRUE(openai.apply_stream_event(
      "response.failed",
      R"({"type":"response.failed","sequence_number":3,"response":{"id":"resp_2","object":"response","status":"failed",)"
      R"("error":{"code":"rate_limit_exceeded","message":"Request too large for gpt-4o on tokens per min (TPM)."},)"
      R"("model":"gpt-4o-2024-08-06","output":[],"usage":null}})",
      f));
  EXPECT_EQ(f.model, "gpt-4o-2024-08-06");
  EXPECT_EQ(f.error_type, "rate_limit_exceeded");
  EXPECT_FALSE(f.saw_usage);
}

TEST(OpenAIUsage, ResponsesErrorEvent) {
  say("event: error -> error_type = code (documented flat shape); a nested error object; a null code -> 'error'");
  usage_result r;
  ASSERT_TRUE(openai.apply_stream_event(
      "error", R"({"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1})", r));
  EXPECT_EQ(r.error_type, "ERR_SOMETHING");
  usage_result nested;
  ASSERT_TRUE(openai.apply_stream_event(
      "error", R"({"type":"error","sequence_number":2,"error":{"type":"invalid_request_error","code":"unknown-error","message":"Foobar","param":null}})",
      nested));
  EXPECT_EQ(nested.error_type, "invalid_request_error");
  usage_result bare;
  ASSERT_TRUE(openai.apply_stream_event("error", R"({"type":"error","code":null,"message":"x","param":null})", bare));
  EXPECT_EQ(bare.error_type, "error");
  usage_result broken;
  EXPECT_FALSE(openai.apply_stream_event("error", "overloaded", broken));
}

TEST(OpenAIUsage, ResponsesEventsWithoutEventLines) {
  say("Responses events sent with data lines only are told by their \"type\" (response.completed read, deltas "
      "skipped once the model is known)");
  usage_result r;
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"gpt-4.1-mini","usage":null}})", r));
  EXPECT_EQ(r.model, "gpt-4.1-mini");
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","delta":"Hi"})", r));
  ASSERT_TRUE(openai.apply_stream_event(
      "", R"({"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","model":"gpt-4.1-mini",)"
          R"("usage":{"input_tokens":12,"output_tokens":3,"total_tokens":15}}})",
      r));
  EXPECT_EQ(r.input_tokens, 12);
  EXPECT_EQ(r.output_tokens, 3);
}

// ---------------------------------------------------------------- OpenAI: common rules

TEST(OpenAIUsage, WrongTypesCountAsAbsent) {
  say("counts that are strings, negative, fractional, null or past int64 are absent; a non-string model, "
      "a non-object usage or error are ignored; none of these is a parse failure");
  usage_result r;
  EXPECT_TRUE(openai.apply_answer_member(
      "usage", R"({"prompt_tokens":"2006","completion_tokens":-1,"prompt_tokens_details":{"cached_tokens":1.5},)"
               R"("input_tokens":null,"output_tokens":9223372036854775808})",
      r));
  EXPECT_TRUE(openai.apply_answer_member("model", "42", r));
  EXPECT_TRUE(openai.apply_answer_member("usage", R"("lots")", r));
  EXPECT_TRUE(openai.apply_answer_member("error", R"("Unauthorized")", r));
  EXPECT_TRUE(openai.apply_answer_member("model", R"("")", r));
  EXPECT_EQ(r, usage_result{});
  // A count of the wrong type does not stop the others: cached absent -> nothing subtracted.
  usage_result p;
  EXPECT_TRUE(openai.apply_answer_member(
      "usage", R"({"prompt_tokens":50,"completion_tokens":"7","prompt_tokens_details":{"cached_tokens":"9"}})", p));
  EXPECT_EQ(p.input_tokens, 50);
  EXPECT_FALSE(p.output_tokens);
  EXPECT_FALSE(p.cache_read_input_tokens);
  EXPECT_TRUE(p.saw_usage);
  // The largest count is kept.
  usage_result big;
  EXPECT_TRUE(openai.apply_answer_member("usage", R"({"completion_tokens":9223372036854775807})", big));
  EXPECT_EQ(big.output_tokens, 9223372036854775807LL);
}

TEST(OpenAIUsage, NegativeDifferenceClampsToZero) {
  say("cached_tokens larger than prompt_tokens: input clamps to 0, cache_read keeps the cached count");
  usage_result r;
  ASSERT_TRUE(openai.apply_answer_member(
      "usage", R"({"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":20}})", r));
  EXPECT_EQ(r.input_tokens, 0);
  EXPECT_EQ(r.cache_read_input_tokens, 20);
}

TEST(OpenAIUsage, NotJsonFails) {
  say("a member or usage event that is not JSON returns false; trailing bytes are not JSON either");
  usage_result r;
  EXPECT_FALSE(openai.apply_answer_member("usage", R"({"prompt_tokens":)", r));
  EXPECT_FALSE(openai.apply_answer_member("model", R"("gpt-4o" x)", r));
  EXPECT_FALSE(openai.apply_stream_event("response.completed", R"({"response":{"usage":{"input_tokens":1})", r));
  EXPECT_FALSE(openai.apply_stream_event("", "not json", r));
  EXPECT_EQ(r, usage_result{});
}

TEST(OpenAIUsage, CapsOnCharacterBoundaries) {
  say("model capped at 256 bytes and error_type at 64, never inside a UTF-8 sequence; control characters "
      "make a name unusable");
  std::string long_model;
  for (int i = 0; i < 200; ++i) long_model += "\xC3\xA9";  // é: 400 bytes
  usage_result r;
  ASSERT_TRUE(openai.apply_answer_member("model", "\"x" + long_model + "\"", r));
  EXPECT_EQ(r.model.size(), 255u);  // "x" + 127 whole é
  EXPECT_EQ(r.model, "x" + long_model.substr(0, 254));
  ASSERT_TRUE(openai.apply_answer_member("error", R"({"type":")" + std::string(100, 'e') + R"("})", r));
  EXPECT_EQ(r.error_type, std::string(64, 'e'));
  usage_result c;
  ASSERT_TRUE(openai.apply_answer_member("model", R"("gpt\n4")", c));
  EXPECT_TRUE(c.model.empty());
}

TEST(OpenAIUsage, WantedEventsMembersAndCutEvents) {
  say("wants_event / wants_member / may_carry_usage for the OpenAI names");
  EXPECT_TRUE(openai.wants_event(""));
  for (const char* name : {"response.created", "response.in_progress", "response.completed", "response.incomplete",
                           "response.failed", "error"}) {
    EXPECT_TRUE(openai.wants_event(name)) << name;
  }
  EXPECT_FALSE(openai.wants_event("response.reasoning_summary_text.delta"));
  EXPECT_TRUE(openai.wants_member("model"));
  EXPECT_TRUE(openai.wants_member("usage"));
  EXPECT_TRUE(openai.wants_member("error"));
  EXPECT_FALSE(openai.wants_member("choices"));
  EXPECT_FALSE(openai.wants_member("output"));
  EXPECT_TRUE(openai.may_carry_usage("", R"({"id":"c","choices":[],"usage":{"prompt_tok)"));
  EXPECT_FALSE(openai.may_carry_usage("", R"({"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":"aaaa)"));
  EXPECT_TRUE(openai.may_carry_usage("response.completed", R"({"type":"response.completed")"));
  EXPECT_TRUE(openai.may_carry_usage("response.incomplete", ""));
  EXPECT_TRUE(openai.may_carry_usage("response.failed", ""));
  EXPECT_FALSE(openai.may_carry_usage("response.created", ""));
  EXPECT_FALSE(openai.may_carry_usage("error", ""));
  EXPECT_EQ(openai.name, "openai");
}

// ---------------------------------------------------------------- Gemini

TEST(GeminiUsage, GenerateContentAnswer) {
  say("generateContent answer: input = prompt 2006 - cached 1920 + toolUsePrompt 30 = 116, cache_read 1920, "
      "output = candidates 250 + thoughts 120 = 370, model = modelVersion");
  const auto r = read_answer(gemini, R"({
  "candidates": [
    {
      "content": {
        "parts": [{"text": "AI learns patterns from data to make predictions. It says \"usageMetadata\": {} here."}],
        "role": "model"
      },
      "finishReason": "STOP",
      "index": 0
    }
  ],
  "usageMetadata": {
    "promptTokenCount": 2006,
    "candidatesTokenCount": 250,
    "totalTokenCount": 2406,
    "cachedContentTokenCount": 1920,
    "toolUsePromptTokenCount": 30,
    "thoughtsTokenCount": 120,
    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2006}],
    "cacheTokensDetails": [{"modality": "TEXT", "tokenCount": 1920}],
    "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 250}]
  },
  "modelVersion": "gemini-2.5-flash",
  "responseId": "Wq5raJ6PBqGb7dcPp5LuuAw"
})");
  EXPECT_EQ(r.model, "gemini-2.5-flash");
  EXPECT_EQ(r.input_tokens, 116);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 370);
  EXPECT_TRUE(r.saw_usage);
  EXPECT_TRUE(r.error_type.empty());
}

TEST(GeminiUsage, AnswerWithoutCacheOrThoughts) {
  say("usageMetadata with prompt and candidates only: input = prompt, output = candidates, cache_read absent");
  const auto r = read_answer(gemini, R"({"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},)"
                                     R"("finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,)"
                                     R"("candidatesTokenCount":2,"totalTokenCount":10,"promptTokensDetails":)"
                                     R"([{"modality":"TEXT","tokenCount":8}]},"modelVersion":"gemini-2.0-flash-001"})");
  EXPECT_EQ(r.model, "gemini-2.0-flash-001");
  EXPECT_EQ(r.input_tokens, 8);
  EXPECT_EQ(r.output_tokens, 2);
  EXPECT_FALSE(r.cache_read_input_tokens);
}

TEST(GeminiUsage, StreamCumulativeUsage) {
  say("streamGenerateContent?alt=sse: every chunk carries cumulative usageMetadata; the last one counts");
  const std::string_view body =
      R"(data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 2006,"totalTokenCount": 2506,"cachedContentTokenCount": 1920,"thoughtsTokenCount": 500,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 2006}]},"modelVersion": "gemini-2.5-pro","responseId": "mq5raL2ZBqGb7dcPp5Lu"}

data: {"candidates": [{"content": {"parts": [{"text": " quick brown fox"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 2006,"candidatesTokenCount": 12,"totalTokenCount": 2518,"cachedContentTokenCount": 1920,"thoughtsTokenCount": 500},"modelVersion": "gemini-2.5-pro","responseId": "mq5raL2ZBqGb7dcPp5Lu"}

data: {"candidates": [{"content": {"parts": [{"text": " jumps."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 2006,"candidatesTokenCount": 31,"totalTokenCount": 2537,"cachedContentTokenCount": 1920,"thoughtsTokenCount": 500,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 2006}],"cacheTokensDetails": [{"modality": "TEXT","tokenCount": 1920}]},"modelVersion": "gemini-2.5-pro","responseId": "mq5raL2ZBqGb7dcPp5Lu"}

)";
  usage_result r;
  EXPECT_EQ(feed_stream(gemini, body, r), 3u);
  EXPECT_EQ(r.model, "gemini-2.5-pro");
  EXPECT_EQ(r.input_tokens, 86);
  EXPECT_EQ(r.cache_read_input_tokens, 1920);
  EXPECT_EQ(r.output_tokens, 531);
  EXPECT_TRUE(r.saw_usage);
}

TEST(GeminiUsage, ChunkWithoutUsageSkippedWithoutParse) {
  say("once the model is known, a chunk with no usageMetadata object (nor error) is passed over unparsed");
  const std::string_view broken = R"({"candidates": [{"content": {"parts": [{"text": "cut)";
  usage_result fresh;
  EXPECT_FALSE(gemini.apply_stream_event("", broken, fresh));
  usage_result r;
  ASSERT_TRUE(gemini.apply_stream_event(
      "", R"({"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"},"index":0}],)"
          R"("usageMetadata":{"promptTokenCount":7,"totalTokenCount":7},"modelVersion":"gemini-2.5-flash-lite"})",
      r));
  EXPECT_TRUE(gemini.apply_stream_event("", broken, r));
  EXPECT_EQ(r.model, "gemini-2.5-flash-lite");
  EXPECT_EQ(r.input_tokens, 7);
  EXPECT_FALSE(r.output_tokens);
}

TEST(GeminiUsage, ErrorBodies) {
  say("Google API errors: error.status; the numeric code when status is missing; a stream error chunk");
  const auto r = read_answer(gemini, R"({
  "error": {
    "code": 429,
    "message": "Resource has been exhausted (e.g. check quota).",
    "status": "RESOURCE_EXHAUSTED"
  }
})");
  EXPECT_EQ(r.error_type, "RESOURCE_EXHAUSTED");
  EXPECT_FALSE(r.saw_usage);
  const auto bad_key = read_answer(gemini, R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",)"
                                           R"("status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",)"
                                           R"("reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
  EXPECT_EQ(bad_key.error_type, "INVALID_ARGUMENT");
  EXPECT_EQ(read_answer(gemini, R"({"error":{"code":503,"message":"The model is overloaded."}})").error_type, "503");
  EXPECT_EQ(read_answer(gemini, R"({"error":{"message":"?"}})").error_type, "error");

  usage_result s;
  ASSERT_TRUE(gemini.apply_stream_event(
      "", R"({"candidates":[{"content":{"parts":[{"text":"Once"}],"role":"model"},"index":0}],)"
          R"("usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash"})",
      s));
  ASSERT_TRUE(gemini.apply_stream_event(
      "", R"({"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}})", s));
  EXPECT_EQ(s.error_type, "INTERNAL");
  EXPECT_EQ(s.input_tokens, 5);
}

TEST(GeminiUsage, WrongTypesCountAsAbsent) {
  say("usageMetadata counts of the wrong type are absent; a non-string modelVersion is ignored");
  usage_result r;
  EXPECT_TRUE(gemini.apply_answer_member(
      "usageMetadata", R"({"promptTokenCount":"2006","candidatesTokenCount":null,"cachedContentTokenCount":-4,)"
                       R"("thoughtsTokenCount":2.5,"toolUsePromptTokenCount":[1]})",
      r));
  EXPECT_TRUE(gemini.apply_answer_member("modelVersion", R"({"name":"gemini"})", r));
  EXPECT_TRUE(gemini.apply_answer_member("usageMetadata", "null", r));
  EXPECT_EQ(r, usage_result{});
  usage_result p;
  EXPECT_TRUE(gemini.apply_answer_member(
      "usageMetadata", R"({"promptTokenCount":100,"candidatesTokenCount":"20","thoughtsTokenCount":30})", p));
  EXPECT_EQ(p.input_tokens, 100);
  EXPECT_EQ(p.output_tokens, 30);
}

TEST(GeminiUsage, ClampAndNotJson) {
  say("cached above prompt clamps the difference to 0 before toolUsePrompt is added; broken texts return false");
  usage_result r;
  ASSERT_TRUE(gemini.apply_answer_member(
      "usageMetadata", R"({"promptTokenCount":10,"cachedContentTokenCount":25,"toolUsePromptTokenCount":4})", r));
  EXPECT_EQ(r.input_tokens, 4);
  EXPECT_EQ(r.cache_read_input_tokens, 25);
  usage_result b;
  EXPECT_FALSE(gemini.apply_answer_member("usageMetadata", R"({"promptTokenCount":)", b));
  EXPECT_FALSE(gemini.apply_stream_event("", "[DONE]", b));
  EXPECT_EQ(b, usage_result{});
}

TEST(GeminiUsage, WantedEventsMembersAndCutEvents) {
  say("wants_event only for unnamed events; members modelVersion/usageMetadata/error; a cut chunk may have "
      "lost its usageMetadata");
  EXPECT_TRUE(gemini.wants_event(""));
  EXPECT_FALSE(gemini.wants_event("message"));
  EXPECT_TRUE(gemini.wants_member("modelVersion"));
  EXPECT_TRUE(gemini.wants_member("usageMetadata"));
  EXPECT_TRUE(gemini.wants_member("error"));
  EXPECT_FALSE(gemini.wants_member("candidates"));
  EXPECT_FALSE(gemini.wants_member("model"));
  EXPECT_TRUE(gemini.may_carry_usage("", R"({"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBOR)"));
  EXPECT_EQ(gemini.name, "gemini");
}

}  // namespace
}  // namespace passgate::usage

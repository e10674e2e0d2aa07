// Running an adapter over a cut stream, recording and comparing what it yields.
#include "tcpcheck/testing/decoder_run.hpp"

#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <exception>

namespace tcpcheck::testing {

void message_sink::message(byte_view payload) {
  // After an error the stream is over: what a decoder says then is noise.
  if (failed()) return;
  run_.messages.emplace_back(payload.begin(), payload.end());
}

void message_sink::error(std::string_view what) {
  if (!failed()) run_.error = std::string(what);
}

void message_sink::error(std::error_code code) {
  error(std::string(code.category().name()) + ": " + code.message() + " (" +
        std::to_string(code.value()) + ")");
}

namespace {

// A throwing decoder reports its error that way; record it as one.
template <class Step>
void guarded(message_sink& sink, Step step) {
  try {
    step();
  } catch (const std::exception& e) {
    sink.error(std::string("threw: ") + e.what());
  } catch (...) {
    sink.error("threw an exception that is not a std::exception");
  }
}

} // namespace

decoder_run run_decoder(decoder_adapter& decoder, byte_view stream,
                        std::span<const std::size_t> cuts, bool finish) {
  decoder_run run;
  message_sink sink(run);
  decoder.reset();
  std::size_t pos = 0;
  std::size_t next_cut = 0;
  while (pos < stream.size() && !sink.failed()) {
    while (next_cut < cuts.size() && (cuts[next_cut] <= pos || cuts[next_cut] >= stream.size()))
      ++next_cut;
    const std::size_t end = next_cut < cuts.size() ? cuts[next_cut++] : stream.size();
    guarded(sink, [&] { decoder.feed(stream.subspan(pos, end - pos), sink); });
    pos = end;
  }
  if (finish && !sink.failed()) guarded(sink, [&] { decoder.finish(sink); });
  return run;
}

bool same_run(const decoder_run& a, const decoder_run& b, error_match errors) {
  if (a.messages != b.messages) return false;
  if (errors == error_match::occurrence) return a.error.has_value() == b.error.has_value();
  return a.error == b.error;
}

std::string to_string(const decoder_run& run) {
  constexpr std::size_t shown = 64;
  std::string out;
  for (std::size_t i = 0; i < run.messages.size(); ++i) {
    const byte_buffer& m = run.messages[i];
    const std::size_t n = std::min(shown, m.size());
    out += "message " + std::to_string(i + 1) + " (" + std::to_string(m.size()) + " bytes): \"" +
           escape(byte_view(m).first(n), "\"") + '"';
    if (n < m.size()) out += " ... and " + std::to_string(m.size() - n) + " more bytes";
    out += '\n';
  }
  if (run.error) out += "error: " + *run.error + '\n';
  if (out.empty()) out = "(no messages, no error)\n";
  return out;
}

} // namespace tcpcheck::testing

// Fuzz target: decoding a stream whole, cut at fuzzed points, and byte by
// byte must give the same frames, discards and error (split invariance).
#include "tcpcheck/decode_log.hpp"
#include "tcpcheck/escape.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fuzz_spec.hpp"

namespace {

[[noreturn]] void report(const tcpcheck::framing_spec& spec, const char* how,
                         tcpcheck::byte_view stream, const tcpcheck::decode_log& whole,
                         const tcpcheck::decode_log& cut) {
  std::fprintf(stderr,
               "split invariance broken for '%s' (%s)\nstream: %s\n-- whole:\n%s-- cut:\n%s",
               tcpcheck::to_string(spec).c_str(), how, tcpcheck::escape(stream).c_str(),
               tcpcheck::to_string(whole).c_str(), tcpcheck::to_string(cut).c_str());
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto spec = tcpcheck::fuzz::consume_spec(in);
  if (!spec) return 0;
  const bool finish = in.ConsumeBool();
  std::vector<std::size_t> cuts(in.ConsumeIntegralInRange<std::size_t>(0, 6));
  for (auto& cut : cuts)
    cut = in.ConsumeIntegral<std::uint16_t>();
  const auto stream = in.ConsumeRemainingBytes<std::uint8_t>();
  for (auto& cut : cuts)
    cut %= stream.size() + 1;
  std::sort(cuts.begin(), cuts.end());

  // The cut decodings are compared as they go; their logs are made only to
  // report a difference (copying every payload cost a seventh of the CPU).
  const auto whole = tcpcheck::decode_in_pieces(*spec, stream, {}, finish);
  if (!tcpcheck::decodes_as(whole, *spec, stream, cuts, finish))
    report(*spec, "fuzzed cuts", stream, whole,
           tcpcheck::decode_in_pieces(*spec, stream, cuts, finish));
  // Longer streams: the fuzzed cuts cover them, faster.
  if (stream.size() <= 128 && !tcpcheck::decodes_bytewise_as(whole, *spec, stream, finish))
    report(*spec, "bytewise", stream, whole, tcpcheck::decode_bytewise(*spec, stream, finish));
  // Frames tile the stream in order and never exceed it.
  std::uint64_t end = 0;
  for (const auto& f : whole.frames) {
    if (f.offset < end || f.offset + f.wire_size > stream.size())
      report(*spec, "frame bounds", stream, whole, whole);
    end = f.offset + f.wire_size;
  }
  return 0;
}

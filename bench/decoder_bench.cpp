// Decoder throughput benchmark: frame_decoder::consume beside two baselines
// over the same bytes, in the same run.
//
// Each case encodes a stream of whole frames once (about 4 MiB, with
// tcpcheck::encode_frame) and feeds it to a frame_decoder in 64 KiB chunks,
// as a socket reader would. Beside it:
//   memcpy  copies the same bytes in the same chunks into a 64 KiB buffer;
//   limit   the least any decoder of that framing must do: for length
//           prefixes, a bare loop that only follows the length fields (a
//           chain of dependent loads); for lines, glibc's memchr from one
//           newline to the next.
// Small frames cannot decode at memcpy's rate (each costs a dependent load
// or a search), so the targets of small frames are set against the limit:
//
//   len:u32le, 16 B payload  >= 0.7x the length walk (0.84x-0.88x measured)
//   line, 64-byte lines      >= 1.3x the memchr loop (the decoder searches
//                            whole chunks at once; 1.5x-1.95x measured)
//   len:u32le, 4 KiB payload >  1.0x memcpy (frames are views: nothing is copied)
//
// The ratio is information, so the program exits 0; with
// --tcpcheck_check_targets it exits 1 when a target is missed or a case failed.
#include "tcpcheck/bytes.hpp"
#include "tcpcheck/frame_decoder.hpp"
#include "tcpcheck/frame_encoder.hpp"
#include "tcpcheck/framing_spec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

constexpr std::size_t stream_size = std::size_t{4} << 20; // at least this many bytes per case
constexpr std::size_t chunk_size = std::size_t{64} << 10; // what one consume call gets
constexpr std::size_t distinct_payloads = 64;             // the stream cycles through these

constexpr std::string_view check_targets_flag = "--tcpcheck_check_targets";

/// decoder rate / a baseline's rate must reach `ratio` (exceed it when `strict`).
struct target {
  enum class baseline { memcpy, limit };
  double ratio = 0;
  bool strict = false;
  baseline against = baseline::memcpy;

  bool met(double measured) const { return strict ? measured > ratio : measured >= ratio; }
  std::string text() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s %.1fx %s", strict ? ">" : ">=", ratio,
                  against == baseline::memcpy ? "memcpy" : "limit");
    return buf;
  }
};

struct bench_case {
  std::string label;     ///< the table's "case" column
  std::string name;      ///< benchmark name suffix
  std::string spec_text; ///< the framing spec
  std::size_t payload_size = 0;
  std::optional<target> goal;

  tcpcheck::framing_spec spec;
  tcpcheck::byte_buffer stream;    ///< whole frames only: no decoder state carries over
  std::uint64_t payload_bytes = 0; ///< what one pass's on_frame sum must come to
  std::uint64_t frames = 0;

  std::string decoder_name() const { return "decode/" + name; }
  std::string memcpy_name() const { return "memcpy/" + name; }
  std::string limit_name() const { return "limit/" + name; }
};

bench_case make_case(std::string label, std::string name, std::string spec_text,
                     std::size_t payload_size, std::optional<target> goal) {
  bench_case c;
  c.label = std::move(label);
  c.name = std::move(name);
  c.spec_text = std::move(spec_text);
  c.payload_size = payload_size;
  c.goal = goal;
  return c;
}

std::vector<bench_case> case_list() {
  std::vector<bench_case> cases;
  cases.push_back(make_case("len:u32le 16 B", "len:u32le/16B", "len:u32le", 16,
                            target{0.7, false, target::baseline::limit}));
  cases.push_back(make_case("len:u32le 256 B", "len:u32le/256B", "len:u32le", 256, std::nullopt));
  cases.push_back(
      make_case("len:u32le 4 KiB", "len:u32le/4KiB", "len:u32le", 4096, target{1.0, true}));
  cases.push_back(
      make_case("line 64 B", "line/64B", "line", 64, target{1.3, false, target::baseline::limit}));
  // Lines longer than a read: each is gathered across 16 reads of 64 KiB,
  // and must not be rescanned from its start at each.
  cases.push_back(make_case("line 1 MiB", "line/1MiB", "line", 1u << 20, std::nullopt));
  return cases;
}

/// Parses the spec and encodes the case's stream. Returns an error text, empty on success.
std::string prepare(bench_case& c) {
  tcpcheck::spec_error spec_err;
  auto spec = tcpcheck::parse_framing_spec(c.spec_text, spec_err);
  if (!spec) return "spec '" + c.spec_text + "': " + tcpcheck::to_string(spec_err);
  c.spec = std::move(*spec);

  // Line payloads are lowercase letters (no LF, no trailing CR); length-prefixed
  // payloads are arbitrary bytes.
  std::mt19937 rng(0x7c9c4e3u);
  const bool text = c.spec.kind == tcpcheck::framing_kind::line;
  std::vector<tcpcheck::byte_buffer> payloads(distinct_payloads);
  for (auto& p : payloads) {
    p.resize(c.payload_size);
    for (auto& b : p)
      b = static_cast<std::uint8_t>(text ? 'a' + rng() % 26 : rng() % 256);
  }

  c.stream.reserve(stream_size + c.payload_size + 16);
  for (std::size_t i = 0; c.stream.size() < stream_size; ++i) {
    const auto& p = payloads[i % payloads.size()];
    if (auto ec = tcpcheck::encode_frame(c.spec, p, c.stream))
      return "encoding for '" + c.spec_text + "': " + tcpcheck::explain_refusal(c.spec, p, ec);
    c.payload_bytes += p.size();
    ++c.frames;
  }
  return {};
}

void decoder_throughput(benchmark::State& state, const bench_case& c) {
  const tcpcheck::byte_view stream(c.stream);
  tcpcheck::frame_decoder decoder(c.spec);
  std::uint64_t sum = 0;
  std::string failure;
  for (auto _ : state) {
    decoder.reset();
    sum = 0;
    std::error_code ec;
    for (std::size_t at = 0; at < stream.size() && !ec; at += chunk_size) {
      decoder.consume(
          stream.subspan(at, std::min(chunk_size, stream.size() - at)),
          [&sum](const tcpcheck::frame& f) { sum += f.payload.size(); }, ec);
    }
    if (ec) {
      failure = "decoder failed: " + decoder.error().reason;
      state.SkipWithError(failure.c_str());
      break;
    }
    benchmark::DoNotOptimize(sum);
  }
  if (!state.error_occurred() && (sum != c.payload_bytes || decoder.buffered() != 0)) {
    failure = "decoded " + std::to_string(sum) + " payload bytes, encoded " +
              std::to_string(c.payload_bytes);
    state.SkipWithError(failure.c_str());
  }
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(stream.size()));
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(c.frames)); // frames/s
}

void memcpy_throughput(benchmark::State& state, const bench_case& c) {
  const tcpcheck::byte_view stream(c.stream);
  std::vector<std::uint8_t> destination(chunk_size);
  std::uint8_t* dst = destination.data();
  for (auto _ : state) {
    for (std::size_t at = 0; at < stream.size(); at += chunk_size) {
      std::memcpy(dst, stream.data() + at, std::min(chunk_size, stream.size() - at));
      benchmark::DoNotOptimize(dst); // the copy must happen: the asm may read through dst
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(stream.size()));
}

/// The limit: what any decoder of the case's framing must at least do, over
/// the whole stream at once. Only u32le prefixes and lines are benched.
void limit_throughput(benchmark::State& state, const bench_case& c) {
  const std::uint8_t* const begin = c.stream.data();
  const std::uint8_t* const end = begin + c.stream.size();
  const bool lines = c.spec.kind == tcpcheck::framing_kind::line;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    sum = 0;
    if (lines) {
      for (const std::uint8_t* at = begin; at < end;) {
        const auto* newline = static_cast<const std::uint8_t*>(std::memchr(at, '\n', end - at));
        if (newline == nullptr) break;
        sum += static_cast<std::uint64_t>(newline - at);
        at = newline + 1;
      }
    } else {
      for (const std::uint8_t* at = begin; at + 4 <= end;) {
        std::uint32_t length = 0;
        std::memcpy(&length, at, 4); // little-endian, as the machines this runs on
        sum += length;
        at += 4 + length;
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  if (sum != c.payload_bytes) state.SkipWithError("the limit loop summed another payload size");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(c.stream.size()));
}

/// Forwards everything to the display reporter that --benchmark_format and
/// --benchmark_color ask for, and keeps each benchmark's byte rate.
class rate_collector final : public benchmark::BenchmarkReporter {
public:
  explicit rate_collector(benchmark::BenchmarkReporter* display) : display_(display) {}

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      entry& e = entries_[run.run_name.function_name];
      if (run.error_occurred) {
        e.failed = true;
        continue;
      }
      const auto rate = run.counters.find("bytes_per_second");
      if (rate == run.counters.end()) continue;
      if (run.run_type == Run::RT_Iteration)
        e.repetitions.push_back(rate->second.value);
      else if (run.aggregate_name == "median")
        e.median = rate->second.value;
    }
    display_->ReportRuns(runs);
  }

  void Finalize() override { display_->Finalize(); }

  bool empty() const { return entries_.empty(); }

  /// Bytes per second (the median over repetitions), or nullopt if not run or failed.
  std::optional<double> rate(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end() || it->second.failed) return std::nullopt;
    std::vector<double> r = it->second.repetitions;
    if (r.empty()) return it->second.median; // --benchmark_report_aggregates_only
    std::sort(r.begin(), r.end());
    const std::size_t mid = r.size() / 2;
    return r.size() % 2 ? r[mid] : (r[mid - 1] + r[mid]) / 2;
  }

  bool failed(const std::string& name) const {
    const auto it = entries_.find(name);
    return it != entries_.end() && it->second.failed;
  }

  /// Whether the display reporter writes a machine-readable format to stdout.
  bool display_is_console() const {
    return dynamic_cast<benchmark::ConsoleReporter*>(display_) != nullptr;
  }

private:
  struct entry {
    std::vector<double> repetitions;
    std::optional<double> median;
    bool failed = false;
  };

  benchmark::BenchmarkReporter* display_; // the library's; it owns it
  std::map<std::string, entry> entries_;
};

/// Prints the ratio table. Returns false if a target was missed or a case failed.
bool print_ratio_table(const std::vector<bench_case>& cases, const rate_collector& rates,
                       std::FILE* out) {
  bool all_met = true;
  std::fprintf(out, "\nDecoder vs memcpy and vs the limit (the least any decoder does), same run "
                    "(GB/s = 1e9 bytes/s, 64 KiB chunks):\n");
  std::fprintf(out, "%-17s %9s %9s %9s %10s %9s %18s  %s\n", "case", "decoder", "memcpy", "limit",
               "vs memcpy", "vs limit", "target", "result");
  for (const bench_case& c : cases) {
    const auto decoder = rates.rate(c.decoder_name());
    const auto copy = rates.rate(c.memcpy_name());
    const auto limit = rates.rate(c.limit_name());
    const std::string goal = c.goal ? c.goal->text() : "-";
    if (!decoder || !copy || !limit) {
      const bool failed = rates.failed(c.decoder_name()) || rates.failed(c.memcpy_name()) ||
                          rates.failed(c.limit_name());
      if (failed) all_met = false;
      std::fprintf(out, "%-17s %9s %9s %9s %10s %9s %18s  %s\n", c.label.c_str(), "-", "-", "-",
                   "-", "-", goal.c_str(), failed ? "ERROR" : "not run");
      continue;
    }
    const double vs_memcpy = *decoder / *copy;
    const double vs_limit = *decoder / *limit;
    const char* result = "-";
    if (c.goal) {
      const bool met =
          c.goal->met(c.goal->against == target::baseline::memcpy ? vs_memcpy : vs_limit);
      all_met = all_met && met;
      result = met ? "PASS" : "BELOW";
    }
    std::fprintf(out, "%-17s %9.2f %9.2f %9.2f %9.3fx %8.3fx %18s  %s\n", c.label.c_str(),
                 *decoder / 1e9, *copy / 1e9, *limit / 1e9, vs_memcpy, vs_limit, goal.c_str(),
                 result);
  }
  std::fflush(out);
  return all_met;
}

void print_help() {
  benchmark::PrintDefaultHelp();
  std::printf("          [%s]\n\n"
              "%s: exit 1 if a ratio misses its target or a case fails\n"
              "(by default the ratio table is information and the exit status is 0).\n",
              check_targets_flag.data(), check_targets_flag.data());
}

} // namespace

int main(int argc, char** argv) {
  bool check_targets = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == check_targets_flag)
      check_targets = true;
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  argv[argc] = nullptr;

  benchmark::Initialize(&argc, argv, print_help);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::vector<bench_case> cases = case_list();
  for (bench_case& c : cases) {
    if (const std::string err = prepare(c); !err.empty()) {
      std::fprintf(stderr, "tcpcheck_bench: %s\n", err.c_str());
      return 1;
    }
  }
  // Each decoder case runs right before its baselines, so all see the same machine state.
  for (const bench_case& c : cases) {
    // Lambdas holding a reference: passing `c` itself would copy its stream.
    benchmark::RegisterBenchmark(c.decoder_name().c_str(), [&c](benchmark::State& state) {
      decoder_throughput(state, c);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(c.memcpy_name().c_str(), [&c](benchmark::State& state) {
      memcpy_throughput(state, c);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(c.limit_name().c_str(), [&c](benchmark::State& state) {
      limit_throughput(state, c);
    })->Unit(benchmark::kMicrosecond);
  }

  rate_collector rates(benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&rates);
  benchmark::Shutdown();

  if (rates.empty()) return 0; // --benchmark_list_tests, or the filter matched nothing
  // Keep a JSON or CSV stdout parseable: the table goes to stderr then.
  const bool met = print_ratio_table(cases, rates, rates.display_is_console() ? stdout : stderr);
  return check_targets && !met ? 1 : 0;
}

// `tcpcheck import`: a packet capture's TCP conversations as a script.
#include "tcpcheck/harness/capture_import.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "input_file.hpp"
#include "option_checks.hpp"
#include "spec_argument.hpp"

namespace tcpcheck::cli {

namespace {

constexpr const char* this_command = "tcpcheck import";

struct import_options_cli {
  std::string capture;
  std::uint16_t port = 0; // 0: any
  std::string filter;
  std::string framing;
  std::string output = "-";
  std::string description;
  unsigned timeout_ms = 0; // 0: none written
};

std::string default_description(const import_options_cli& o) {
  std::string text = "imported from " + o.capture;
  if (o.port != 0) text += ", port " + std::to_string(o.port);
  return text;
}

harness::capture_import_options harness_options(const import_options_cli& o) {
  harness::capture_import_options out;
  out.path = o.capture;
  if (o.port != 0) out.port = o.port;
  out.filter = o.filter;
  out.recording.framing = o.framing;
  out.recording.description = o.description.empty() ? default_description(o) : o.description;
  if (o.timeout_ms != 0) out.recording.timeout = duration(o.timeout_ms);
  return out;
}

int exit_code_for(harness::capture_import_error::kind why) {
  using kind = harness::capture_import_error::kind;
  // A filter or port that selects nothing is the arguments' fault, as a bad filter is.
  return why == kind::unreadable ? exit_io_error : exit_usage;
}

bool write_recording(const std::string& output, const std::string& text) {
  if (output == "-") {
    std::cout << text << std::flush;
    return static_cast<bool>(std::cout);
  }
  return write_output_file(output, "script", this_command, [&](std::ostream& out) { out << text; });
}

// What was imported, on stderr: stdout may be the script itself.
void print_summary(const import_options_cli& o, const harness::capture_import_result& r) {
  std::cerr << this_command << ": " << r.streams << (r.streams == 1 ? " stream" : " streams")
            << " from " << r.packets << " packets, " << r.recorded.steps.size() << " steps"
            << (o.output == "-" ? "" : " written to " + o.output) << '\n';
  for (const auto& note : r.notes)
    std::cerr << "  note: " << note << '\n';
}

int run_import(const import_options_cli& o) {
  if (!parse_spec_argument(o.framing, std::cerr)) return exit_usage;
  harness::capture_import_result imported;
  try {
    imported = harness::import_capture(harness_options(o));
  } catch (const harness::capture_import_error& e) {
    std::cerr << this_command << ": " << e.what() << '\n';
    return exit_code_for(e.why());
  }
  if (!write_recording(o.output, recording_text(imported.recorded, imported.notes)))
    return exit_io_error;
  print_summary(o, imported);
  return exit_ok;
}

} // namespace

command add_import(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "import", "Turn the TCP conversations of a packet capture (pcap or pcapng) into a script "
                "that replays them: the client's frames as sends, the server's as expects");
  auto o = std::make_shared<import_options_cli>();
  sub->add_option("CAPTURE", o->capture, "The capture file (tcpdump -w; '-': stdin)")->required();
  sub->add_option("--framing,-f", o->framing, "Framing spec the streams are cut with, e.g. line")
      ->required()
      ->check(non_empty_spec);
  sub->add_option("--port", o->port,
                  "Only streams with this port on either side; it is the server's, for a "
                  "stream whose SYN the capture lacks")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--filter", o->filter, "A BPF filter (pcap-filter(7)), e.g. 'host 10.0.0.2'");
  sub->add_option("--output,-o", o->output, "Where the script goes ('-' or nothing: stdout)");
  sub->add_option("--description", o->description,
                  "The script's first comment line (default: where it was imported from)");
  sub->add_option("--timeout", o->timeout_ms,
                  "Write 'timeout MS' into the script: how long its expect steps wait")
      ->check(CLI::Range(1u, 86400000u));
  sub->footer("Exit codes: 0 imported, 2 bad usage, spec or filter, or no TCP stream matched, 3 "
              "the capture cannot be read (or the script written). docs/import.md has the "
              "details.");
  return [o] { return run_import(*o); };
}

} // namespace tcpcheck::cli

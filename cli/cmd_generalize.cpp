// `tcpcheck generalize FIRST SECOND`: two recordings of one conversation made
// one script that replays against any run of the server (values that change
// matched by patterns, values the client echoes captured).
#include "tcpcheck/recording/conversation_recorder.hpp"
#include "tcpcheck/recording/generalize.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "input_file.hpp"
#include "script_argument.hpp"

namespace tcpcheck::cli {

namespace {

struct generalize_options {
  std::string first_path;
  std::string second_path;
  std::string output = "-";
};

constexpr std::string_view command_name = "tcpcheck generalize";

int generalize_recordings(const generalize_options& o) {
  const auto first = load_script(o.first_path, command_name);
  if (!first) return exit_usage;
  const auto second = load_script(o.second_path, command_name);
  if (!second) return exit_usage;
  std::string why;
  const auto result = generalize(*first, *second, why);
  if (!result) {
    std::cerr << command_name << ": " << o.first_path << " and " << o.second_path << ": " << why
              << '\n';
    return exit_usage;
  }
  // The notes name lines of the first recording: say so once, above them.
  std::vector<std::string> notes = result->notes;
  if (!notes.empty())
    notes.insert(notes.begin(), "generalized from " + o.first_path + " and " + o.second_path +
                                    "; the lines named below are " + o.first_path + "'s");
  const std::string text = recording_text(result->general, notes);
  if (o.output == "-") {
    std::cout << text << std::flush;
    return std::cout ? exit_ok : exit_io_error;
  }
  if (!write_output_file(o.output, "generalized script", command_name,
                         [&](std::ostream& out) { out << text; }))
    return exit_io_error;
  std::cout << "wrote " << o.output << " (" << notes.size()
            << (notes.size() == 1 ? " note" : " notes") << " in it)\n";
  return exit_ok;
}

} // namespace

command add_generalize(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "generalize",
      "Make two recordings of one conversation (tcpcheck proxy --record, tcpcheck import) one "
      "script that replays against any run of the server: values that differ between them (ids, "
      "timestamps, tokens) become regular expressions, and values the client sends back become "
      "captures and ${variables}");
  auto o = std::make_shared<generalize_options>();
  sub->add_option("FIRST", o->first_path,
                  "The first recording (.tcs), the one kept where "
                  "the two cannot be reconciled")
      ->required();
  sub->add_option("SECOND", o->second_path, "The second recording of the same conversation")
      ->required();
  sub->add_option("--output,-o", o->output,
                  "Where to write the generalized script, with '# note:' lines saying what "
                  "was generalized and what was kept ('-': standard output)")
      ->capture_default_str();
  sub->footer("Exit codes: 0 written, 2 a recording does not parse or the two are not of one "
              "conversation (the first step that differs is named), 3 the output could not be "
              "written.");
  return [o] { return generalize_recordings(*o); };
}

} // namespace tcpcheck::cli

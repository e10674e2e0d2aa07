// tcpcheck's entry point: builds the subcommands, parses, maps failures to exit codes.
#include "tcpcheck/version.hpp"

#include <exception>
#include <iostream>
#include <malloc.h>
#include <map>
#include <string_view>

#include "commands.hpp"
#include "completion.hpp"
#include "exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace tcpcheck::cli;
  // Buffers of 4 MiB and more (frames as large as a spec allows) are mapped
  // on their own and go back to the system when freed. glibc otherwise
  // raises this threshold after the first such free, and from then on keeps
  // freed frames in each thread's arena: against a server that sends every
  // case an 8 MiB line, check's resident size grew to twice what it held
  // (444 MiB against 254 MiB with the threshold fixed).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  CLI::App app{"tcpcheck: protocol conformance and fuzz testing for TCP servers and framing code",
               "tcpcheck"};
  app.footer(exit_codes_help);
  app.require_subcommand(1);
  app.set_version_flag("--version", "tcpcheck " + std::string(tcpcheck::version));

  std::map<CLI::App*, command> commands;
  const auto add = [&](command (*adder)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    command run = adder(app);
    commands[app.get_subcommands({}).at(before)] = std::move(run);
  };
  add(add_demo);
  add(add_check);
  add(add_fuzz);
  add(add_replay);
  add(add_decode);
  add(add_encode);
  add(add_lint);
  add(add_run);
  add(add_serve);
  add(add_client);
  add(add_proxy);
  add(add_import);
  add(add_generalize);

  if (argc >= 2 && std::string_view(argv[1]) == complete_argument) {
    for (const auto& completion : completions(app, {argv + 2, argv + argc}))
      std::cout << completion << '\n';
    return exit_ok;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  try {
    for (CLI::App* sub : app.get_subcommands())
      if (auto it = commands.find(sub); it != commands.end()) return it->second();
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "tcpcheck: internal error: " << e.what() << '\n';
    return exit_internal;
  }
}

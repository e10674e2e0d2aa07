// The subcommands of the tcpcheck executable: each adds itself to the app
// and returns the function that runs it once the arguments are parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace tcpcheck::cli {

using command = std::function<int()>;

command add_check(CLI::App& app);
command add_client(CLI::App& app);
command add_demo(CLI::App& app);
command add_decode(CLI::App& app);
command add_encode(CLI::App& app);
command add_fuzz(CLI::App& app);
command add_generalize(CLI::App& app);
command add_import(CLI::App& app);
command add_lint(CLI::App& app);
command add_proxy(CLI::App& app);
command add_replay(CLI::App& app);
command add_run(CLI::App& app);
command add_serve(CLI::App& app);

} // namespace tcpcheck::cli

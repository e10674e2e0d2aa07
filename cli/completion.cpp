// What may come next on a tcpcheck command line (completion.hpp).
#include "completion.hpp"

#include <string_view>

namespace tcpcheck::cli {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// The subcommand named among the words before the cursor, if any.
CLI::App* named_subcommand(CLI::App& app, const std::vector<std::string>& before) {
  for (const auto& word : before) {
    if (starts_with(word, "-")) continue;
    for (CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == word) return sub;
    return nullptr;
  }
  return nullptr;
}

/// "{a,b:N,c[:SEED]}" in a type name (CLI11's IsMember, delivery_plan_check)
/// gives "a", "b:", "c", "c:": a parameter is left for the user to type.
std::vector<std::string> choices_in(const std::string& type_name) {
  const auto open = type_name.find('{');
  const auto close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> out;
  std::string_view list(type_name);
  list = list.substr(open + 1, close - open - 1);
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string item(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (const auto optional = item.find('['); optional != std::string::npos) {
      out.push_back(item.substr(0, optional));
      item.erase(optional, 1);
      item.erase(item.find(']'), 1);
    }
    if (const auto colon = item.find(':'); colon != std::string::npos) item.resize(colon + 1);
    out.push_back(item);
  }
  return out;
}

bool is_number(const std::string& type_name) {
  for (const char* number : {"UINT", "INT", "FLOAT", "NUMBER"})
    if (starts_with(type_name, number)) return true;
  return false;
}

/// What goes in an option's value or a positional: its choices, nothing for
/// a number, else a file name (scripts, reports, directories).
std::vector<std::string> value_completions(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  if (auto choices = choices_in(type); !choices.empty()) return choices;
  if (is_number(type)) return {};
  return {complete_files};
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* option : app.get_options()) {
    for (const auto& name : option->get_lnames())
      out.push_back("--" + name);
    for (const auto& name : option->get_snames())
      out.push_back("-" + name);
  }
  return out;
}

/// The option named `word` ("--plan", "-p") if it takes a value.
const CLI::Option* valued_option(const CLI::App& app, const std::string& word) {
  if (!starts_with(word, "-")) return nullptr;
  for (const CLI::Option* option : app.get_options())
    if (option->check_name(word) && option->get_type_size_max() > 0) return option;
  return nullptr;
}

/// The option whose value the cursor is on ("--plan |", "--plan=|"), if any.
const CLI::Option* option_awaiting_value(const CLI::App& app,
                                         const std::vector<std::string>& before) {
  if (before.empty()) return nullptr;
  // bash cuts "--plan=x" at the '=' by default: the '=' is a word of its own.
  if (before.back() == "=" && before.size() >= 2)
    return valued_option(app, before[before.size() - 2]);
  return valued_option(app, before.back());
}

/// The positional the cursor is on: the n-th, n counting the words after
/// the subcommand that are neither options nor their values; past the last
/// positional, that one again if it repeats (replay's PATH...), else none.
const CLI::Option* positional_at_cursor(const CLI::App& sub,
                                        const std::vector<std::string>& before) {
  std::vector<const CLI::Option*> positionals;
  for (const CLI::Option* option : sub.get_options())
    if (option->get_lnames().empty() && option->get_snames().empty()) positionals.push_back(option);
  if (positionals.empty()) return nullptr;
  std::size_t bare = 0;
  bool seen_subcommand = false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const std::string& word = before[i];
    if (!seen_subcommand) {
      seen_subcommand = word == sub.get_name();
      continue;
    }
    if (word == "=") continue;
    if (starts_with(word, "-")) {
      // "--plan x" and "--plan = x" hold a value; "--plan=x" is one word.
      if (valued_option(sub, word) != nullptr)
        i += i + 1 < before.size() && before[i + 1] == "=" ? 2 : 1;
      continue;
    }
    ++bare;
  }
  if (bare < positionals.size()) return positionals[bare];
  const CLI::Option* last = positionals.back();
  return last->get_items_expected_max() > 1 ? last : nullptr;
}

} // namespace

std::vector<std::string> completions(CLI::App& app, const std::vector<std::string>& words) {
  if (words.empty()) return {};
  const std::string& current = words.back();
  const std::vector<std::string> before(words.begin(), words.end() - 1);
  CLI::App* sub = named_subcommand(app, before);
  const CLI::App& scope = sub != nullptr ? *sub : app;

  if (const CLI::Option* option = option_awaiting_value(scope, before))
    return value_completions(*option);
  if (starts_with(current, "-")) return option_names(scope);
  if (sub == nullptr) {
    std::vector<std::string> names;
    for (const CLI::App* candidate : app.get_subcommands({}))
      names.push_back(candidate->get_name());
    return names;
  }
  if (const CLI::Option* positional = positional_at_cursor(*sub, before))
    return value_completions(*positional);
  return {};
}

} // namespace tcpcheck::cli

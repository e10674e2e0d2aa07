// Corpus directories: .tcs files in, .tcs files out.
#include "corpus_directory.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "input_file.hpp"

namespace tcpcheck::cli {

namespace fs = std::filesystem;

std::optional<loaded_corpus> load_corpus(const std::string& dir, std::string_view command) {
  loaded_corpus out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<std::string> paths;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".tcs") paths.push_back(it->path().string());
  if (ec) {
    std::cerr << command << ": --corpus " << dir << ": " << ec.message() << '\n';
    return std::nullopt;
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::string error;
    const auto text = read_input(path, error, script_limits::largest_script);
    if (!text) {
      std::cerr << command << ": --corpus: " << path << ": " << error << '\n';
      return std::nullopt;
    }
    auto c = corpus_case_from_text(as_text(*text), error);
    if (!c) {
      std::cerr << command << ": --corpus: " << path << error << '\n';
      return std::nullopt;
    }
    out.entries.push_back(std::move(*c));
    out.files.push_back(path);
  }
  return out;
}

std::optional<std::size_t> save_corpus(const std::string& dir,
                                       const std::vector<corpus_entry>& entries,
                                       const std::vector<script>& baselines,
                                       std::string_view command) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << command << ": cannot create --corpus '" << dir << "': " << ec.message() << '\n';
    return std::nullopt;
  }
  std::size_t written = 0;
  for (const auto& e : entries) {
    const std::string text = corpus_entry_text(e, baselines.at(e.conversation.source));
    // The name hashes the conversation alone, not the comment that says
    // where it came from: the same conversation found twice is one file.
    const auto body = text.substr(text.find('\n') + 1);
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (const char c : body)
      h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ull;
    char name[40];
    std::snprintf(name, sizeof name, "entry-%016llx.tcs", static_cast<unsigned long long>(h));
    const auto path = (fs::path(dir) / name).string();
    if (fs::exists(path, ec)) continue;
    if (!write_output_file(path, "corpus entry", command, [&](std::ostream& out) { out << text; }))
      return std::nullopt;
    ++written;
  }
  return written;
}

} // namespace tcpcheck::cli

// Runs a fuzz target's LLVMFuzzerTestOneInput over corpus files without
// libFuzzer, for compilers that have none (g++): tcpcheck_add_fuzzer links
// it in their place, so ctest checks the corpus either way.
//
// It takes libFuzzer's command line: arguments starting with '-' (-runs=0)
// are ignored, directories are read recursively, files are read as they are.
// A failing input aborts (or a sanitizer stops the process) after its name
// was printed; no inputs at all is an error too, so a wrong path fails.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" [[gnu::weak]] int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool collect(const std::filesystem::path& path, std::vector<std::filesystem::path>& files) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path, ec))
      if (entry.is_regular_file()) files.push_back(entry.path());
    return !ec;
  }
  if (std::filesystem::is_regular_file(path, ec)) {
    files.push_back(path);
    return true;
  }
  return false;
}

} // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with('-')) continue;
    if (!collect(arg, files)) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], arg.c_str());
      return 1;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs (give corpus files or directories)\n", argv[0]);
    return 1;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], file.c_str());
      return 1;
    }
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::fprintf(stderr, "%s: %zu inputs replayed, none failed\n", argv[0], files.size());
  return 0;
}

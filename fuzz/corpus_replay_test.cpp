// Replays a fuzz target's corpus under GoogleTest, so builds without
// libFuzzer (g++) still check every corpus file on every test run.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> corpus_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(TCPCHECK_CORPUS_DIR))
    if (entry.is_regular_file()) files.push_back(entry.path());
  return files;
}

} // namespace

TEST(CorpusReplay, EveryCorpusFileRunsThroughTheTarget) {
  const auto files = corpus_files();
  ASSERT_FALSE(files.empty()) << "no corpus files under " << TCPCHECK_CORPUS_DIR;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "cannot read " << path;
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    SCOPED_TRACE(path.string());
    // A failing input aborts the process, which fails this test with the
    // file named in the trace above.
    EXPECT_EQ(LLVMFuzzerTestOneInput(bytes.data(), bytes.size()), 0);
  }
  RecordProperty("corpus_files", static_cast<int>(files.size()));
}

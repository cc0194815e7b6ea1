// Replays files through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so every
// corpus seed runs as a ctest test in every build (g++, and clang with ASan+UBSan in CI).
//   replay_<target> PATH...   each PATH a file or a directory of files (not recursive)
// Exits 1 when a path is missing, a file cannot be read, or no input was replayed at all; a
// finding aborts (the targets __builtin_trap(), the sanitizers abort) with the input named first.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "replay: no inputs\n");
    return 1;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot read %s\n", f.c_str());
      return 1;
    }
    std::vector<std::uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", f.c_str(), data.size());
    // A heap copy of exactly the input's size (a vector's capacity may be larger), so ASan sees a
    // read past the end as under libFuzzer; like libFuzzer, never a null pointer.
    std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[data.size() + (data.empty() ? 1 : 0)]);
    std::copy(data.begin(), data.end(), exact.get());
    LLVMFuzzerTestOneInput(exact.get(), data.size());
  }
  std::printf("replayed %zu input(s)\n", files.size());
  return 0;
}

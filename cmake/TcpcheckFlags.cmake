# Interface targets that carry tcpcheck's compiler flags: link one to get its
# flags. Nothing here touches the global CMAKE_CXX_FLAGS.

# Warnings for tcpcheck's own code.
add_library(tcpcheck_warnings INTERFACE)
target_compile_options(tcpcheck_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow)
# GCC 12 reports -Wrestrict inside libstdc++'s std::string concatenation at
# -O2, a known false positive (GCC bug 105651); it fires on no tcpcheck code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(tcpcheck_warnings INTERFACE -Wno-restrict)
endif()
if(TCPCHECK_WERROR)
  target_compile_options(tcpcheck_warnings INTERFACE -Werror)
endif()

# Sanitizers for every tcpcheck target (asan and fuzz presets).
add_library(tcpcheck_sanitizers INTERFACE)
if(TCPCHECK_SANITIZE OR TCPCHECK_FUZZ)
  target_compile_options(tcpcheck_sanitizers INTERFACE -fsanitize=address,undefined
                                                       -fno-sanitize-recover=all
                                                       -fno-omit-frame-pointer)
  target_link_options(tcpcheck_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# Fuzzer coverage instrumentation for libraries the fuzz targets link
# (-fsanitize=fuzzer-no-link), so libFuzzer sees the core's edges.
add_library(tcpcheck_fuzz_coverage INTERFACE)
if(TCPCHECK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TCPCHECK_FUZZ needs clang (the fuzz preset uses clang++-14)")
  endif()
  target_compile_options(tcpcheck_fuzz_coverage INTERFACE -fsanitize=fuzzer-no-link)
endif()

# Test code is built for a short build rather than a fast run: CI compiles
# it twice (default and asan presets), and it was about half of each build.
# What the tests exercise, the libraries, keeps its preset's flags. A test
# file takes about 60% of its -O3 compile time at -O1, and under the
# sanitizers half of its -O1 time at -O0.
add_library(tcpcheck_test_code INTERFACE)
target_compile_options(tcpcheck_test_code INTERFACE
  $<IF:$<OR:$<BOOL:${TCPCHECK_SANITIZE}>,$<BOOL:${TCPCHECK_FUZZ}>>,-O0,-O1>)

# The executable's own code under the sanitizers, which only the asan
# tests run: it parses arguments and writes output, and the work is done
# in the libraries, so it too is built for a short build (35% shorter at
# -O0). Release builds, which users run, keep the preset's flags.
add_library(tcpcheck_sanitized_cli_code INTERFACE)
if(TCPCHECK_SANITIZE)
  target_compile_options(tcpcheck_sanitized_cli_code INTERFACE -O0)
endif()

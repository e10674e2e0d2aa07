# tcpcheck_add_fuzzer(<name> SOURCES <file>... CORPUS <dir>
#                     [LIBRARIES <lib>...] [TEST_NAME <test>])
#
# Builds the fuzz target <name> from SOURCES, which define
# LLVMFuzzerTestOneInput (for a decoder, TCPCHECK_FUZZ_DECODER from
# <tcpcheck/testing/fuzz_target.hpp> does), and registers the ctest test
# TEST_NAME (default <name>.corpus) that runs it over the corpus in CORPUS:
#
# - With a compiler that has libFuzzer (clang): <name> is a libFuzzer binary
#   built with -fsanitize=fuzzer,address,undefined; the test runs
#   `<name> -runs=0 <dir>`, and `<name> <dir>` fuzzes.
# - Otherwise (g++): the same sources are linked with tcpcheck::fuzz_replay,
#   a main() that takes the same command line and feeds every corpus file to
#   the target, so ctest checks the corpus either way.
#
# TCPCHECK_LIBFUZZER (a cache variable, detected on first use) says which;
# set it to OFF to build the replay with clang too.
include_guard(GLOBAL)
include(CheckCXXSourceCompiles)

function(_tcpcheck_detect_libfuzzer)
  if(DEFINED TCPCHECK_LIBFUZZER)
    return()
  endif()
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
  ]] TCPCHECK_HAVE_LIBFUZZER)
  set(found OFF)
  if(TCPCHECK_HAVE_LIBFUZZER)
    set(found ON)
  endif()
  set(TCPCHECK_LIBFUZZER ${found} CACHE BOOL
      "Build tcpcheck_add_fuzzer targets with libFuzzer (OFF: corpus replay only)")
  message(STATUS "tcpcheck_add_fuzzer: libFuzzer ${TCPCHECK_LIBFUZZER}")
endfunction()

function(tcpcheck_add_fuzzer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "CORPUS;TEST_NAME" "SOURCES;LIBRARIES")
  if(NOT arg_SOURCES OR NOT arg_CORPUS)
    message(FATAL_ERROR "tcpcheck_add_fuzzer(${name}): SOURCES and CORPUS are required")
  endif()
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tcpcheck_add_fuzzer(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TEST_NAME)
    set(arg_TEST_NAME ${name}.corpus)
  endif()
  get_filename_component(corpus "${arg_CORPUS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  _tcpcheck_detect_libfuzzer()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBRARIES})
  if(TCPCHECK_LIBFUZZER)
    # UBSan must stop the run, or libFuzzer never sees its findings.
    set(flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
    target_compile_options(${name} PRIVATE ${flags})
    target_link_options(${name} PRIVATE ${flags})
  else()
    target_link_libraries(${name} PRIVATE tcpcheck::fuzz_replay)
  endif()
  add_test(NAME ${arg_TEST_NAME} COMMAND ${name} -runs=0 "${corpus}")
endfunction()

# tcpcheck_discover_tests(TARGET [TIMEOUT SECONDS]): the GoogleTest tests of
# TARGET as CTest tests (TIMEOUT: each test's, in optimized builds).
#
# Optimized builds get one CTest test per GoogleTest test (gtest_discover_
# tests): a failure names its test. Sanitizer builds get one per suite
# ("RunCheck.*"): a process under ASan and UBSan takes about 0.3 s to start
# and to check for leaks at exit, which over a thousand tiny tests was a
# third of the sanitizer run. The failing test is still named, in the
# suite's output.
include(GoogleTest)

set(_tcpcheck_suites_template "${CMAKE_CURRENT_LIST_DIR}/TcpcheckSuiteTests.cmake.in")

function(tcpcheck_discover_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "")
  if(NOT TCPCHECK_SANITIZE)
    set(properties "")
    if(arg_TIMEOUT)
      set(properties PROPERTIES TIMEOUT ${arg_TIMEOUT})
    endif()
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60 ${properties})
    return()
  endif()
  # Listed when ctest runs, so the suites always match the binary.
  set(suite_timeout 600)
  set(listing "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  configure_file("${_tcpcheck_suites_template}" "${listing}.in" @ONLY)
  file(GENERATE OUTPUT "${listing}" INPUT "${listing}.in")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${listing}")
endfunction()

# The installed package as a user gets it: installs this build into a
# scratch prefix, then configures, builds and tests the example project
# (examples/my_framing) against it with find_package(tcpcheck), and compiles
# and runs a probe with pkg-config's flags for tcpcheck. Then builds the
# instrumented server example (examples/instrumented_server) twice with
# clang-14, once with tcpcheck_instrument_server() and once with pkg-config's
# flags for tcpcheck-coverage, and, given TCPCHECK_EXE, fuzzes each and
# requires coverage feedback with edges covered.
#
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=...
#       -DBUILD_TYPE=... -DCTEST=... [-DTCPCHECK_EXE=...] -P installed_package_test.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR CXX GENERATOR CTEST)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "installed_package_test.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${status}): ${command}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

# The same compiler and build type as this build: an ASan build's library
# carries its sanitizer flags to the example through tcpcheck::core.
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/my_framing" -B "${WORK_DIR}/my_framing"
    -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/my_framing" --parallel 2)
run(${CTEST} --test-dir "${WORK_DIR}/my_framing" --output-on-failure)

file(GLOB_RECURSE pc_files "${prefix}/tcpcheck.pc")
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
execute_process(COMMAND pkg-config --cflags --libs tcpcheck
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --cflags --libs tcpcheck: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX} "${SOURCE_DIR}/tests/pkg_config_probe.cpp" ${flags} -o "${WORK_DIR}/pkg_config_probe")
run("${WORK_DIR}/pkg_config_probe")

# The instrumented server, as a user builds it: clang is required (the
# SanitizerCoverage flags), whatever compiled tcpcheck. ci/install-deps.sh
# always installs clang-14.
find_program(CLANG NAMES clang-14 REQUIRED)
set(example "${SOURCE_DIR}/examples/instrumented_server")
run(${CMAKE_COMMAND} -S "${example}" -B "${WORK_DIR}/instrumented_server"
    -G "${GENERATOR}" -DCMAKE_C_COMPILER=${CLANG} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
    -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/instrumented_server" --parallel 2)
set(cmake_server "${WORK_DIR}/instrumented_server/echo_server")

# The same server with pkg-config's flags, as a Makefile would build it.
execute_process(COMMAND pkg-config --cflags --libs tcpcheck-coverage
                OUTPUT_VARIABLE coverage_flags OUTPUT_STRIP_TRAILING_WHITESPACE
                COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "pkg-config --cflags --libs tcpcheck-coverage: ${coverage_flags}")
separate_arguments(coverage_flags UNIX_COMMAND "${coverage_flags}")
set(pkg_config_server "${WORK_DIR}/echo_server_pkg_config")
run(${CLANG} -O1 -g "${example}/echo_server.c" ${coverage_flags} -pthread
    -o "${pkg_config_server}")

# Each build, fuzzed briefly: the server must report coverage (not fall
# back to responses) and some of its edges must be covered.
if(NOT DEFINED TCPCHECK_EXE)
  message(STATUS "TCPCHECK_EXE not given: the instrumented servers were built, not fuzzed")
  return()
endif()
foreach(build cmake pkg_config)
  set(server "${${build}_server}")
  set(json "${WORK_DIR}/fuzz-${build}.json")
  execute_process(
    COMMAND "${TCPCHECK_EXE}" fuzz "${example}/echo.tcs" --spawn "${server} {port}"
            --runs 300 --max-time 60 --json "${json}" --no-progress
            --out "${WORK_DIR}/findings-${build}"
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "tcpcheck fuzz against the ${build} build (exit ${status}):\n${out}${err}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "tcpcheck fuzz against ${server} exited ${status}: "
                        "the echo server has no bug to find")
  endif()
  file(READ "${json}" report)
  string(JSON feedback GET "${report}" fuzz guidance feedback)
  string(JSON why GET "${report}" fuzz guidance why)
  string(JSON edges GET "${report}" fuzz guidance edges_covered)
  string(JSON edges_total GET "${report}" fuzz guidance edges_total)
  if(NOT feedback STREQUAL "coverage")
    message(FATAL_ERROR "${server}: feedback was '${feedback}', not coverage (${why})")
  endif()
  if(NOT edges GREATER 0)
    message(FATAL_ERROR "${server}: coverage feedback, but no edge covered (of ${edges_total})")
  endif()
  message(STATUS "${build} build: coverage feedback, ${edges} of ${edges_total} edges covered")
endforeach()

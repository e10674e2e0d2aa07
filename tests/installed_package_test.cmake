# The installed package as a user gets it: installs this build into a
# scratch prefix, then configures, builds and tests the example project
# (examples/my_framing) against it with find_package(tcpcheck), and compiles
# and runs a probe with pkg-config's flags for tcpcheck.
#
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=...
#       -DBUILD_TYPE=... -DCTEST=... -P installed_package_test.cmake
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

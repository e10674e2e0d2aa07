# `cmake --install`: headers, the libraries, the CMake package config
# (find_package(tcpcheck) -> tcpcheck::core, tcpcheck::testing,
# tcpcheck_add_fuzzer) and pkg-config files (tcpcheck, tcpcheck-testing).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TCPCHECK_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tcpcheck")

# tcpcheck_sanitizers goes with the core: a library built with ASan needs its
# users to link the ASan runtime. In other builds it carries nothing.
set_target_properties(tcpcheck_core PROPERTIES EXPORT_NAME core)
set_target_properties(tcpcheck_sanitizers PROPERTIES EXPORT_NAME sanitizers)
set(tcpcheck_installed_targets tcpcheck_core tcpcheck_sanitizers tcpcheck_fuzz_replay
    tcpcheck_coverage)
set(TCPCHECK_PACKAGE_HAS_TESTING OFF)
# RE2 is a private dependency of the core: a static core's users link it too
# (tcpcheckConfig.cmake finds it; tcpcheck.pc requires it), a shared one's
# do not.
get_target_property(tcpcheck_core_type tcpcheck_core TYPE)
if(tcpcheck_core_type STREQUAL "STATIC_LIBRARY")
  set(TCPCHECK_PACKAGE_NEEDS_RE2 ON)
  set(TCPCHECK_PC_REQUIRES "Requires: re2")
else()
  set(TCPCHECK_PACKAGE_NEEDS_RE2 OFF)
  set(TCPCHECK_PC_REQUIRES "Requires.private: re2")
endif()
if(TARGET tcpcheck_testing)
  list(APPEND tcpcheck_installed_targets tcpcheck_testing)
  set(TCPCHECK_PACKAGE_HAS_TESTING ON)
  install(DIRECTORY testing/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(TARGETS ${tcpcheck_installed_targets} EXPORT tcpcheckTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY core/include/ coverage/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES "${PROJECT_BINARY_DIR}/core/generated/tcpcheck/version.hpp"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tcpcheck)
install(EXPORT tcpcheckTargets NAMESPACE tcpcheck:: DESTINATION ${TCPCHECK_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/tcpcheckConfig.cmake.in
  "${PROJECT_BINARY_DIR}/tcpcheckConfig.cmake"
  INSTALL_DESTINATION ${TCPCHECK_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the interface.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/tcpcheckConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/tcpcheckConfig.cmake"
  "${PROJECT_BINARY_DIR}/tcpcheckConfigVersion.cmake"
  cmake/TcpcheckAddFuzzer.cmake
  cmake/TcpcheckCoverage.cmake
  DESTINATION ${TCPCHECK_INSTALL_CMAKEDIR})

# pkg-config files find the prefix from their own place (${pcfiledir}), so
# `cmake --install --prefix DIR` needs no reconfigure.
file(RELATIVE_PATH TCPCHECK_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
set(TCPCHECK_PC_SANITIZE_FLAGS "")
if(TCPCHECK_SANITIZE OR TCPCHECK_FUZZ)
  set(TCPCHECK_PC_SANITIZE_FLAGS "-fsanitize=address,undefined")
endif()
configure_file(cmake/tcpcheck.pc.in "${PROJECT_BINARY_DIR}/tcpcheck.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tcpcheck.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# tcpcheck-coverage: the flags of tcpcheck_instrument_server() for builds
# without CMake (cmake/TcpcheckCoverage.cmake says why each is there).
include(TcpcheckCoverage)
set(TCPCHECK_PC_NO_BUILTINS "")
set(TCPCHECK_PC_WRAPS "")
foreach(f IN LISTS TCPCHECK_COVERAGE_COMPARED)
  string(APPEND TCPCHECK_PC_NO_BUILTINS " -fno-builtin-${f}")
  list(APPEND TCPCHECK_PC_WRAPS "--wrap=${f}")
endforeach()
string(STRIP "${TCPCHECK_PC_NO_BUILTINS}" TCPCHECK_PC_NO_BUILTINS)
list(JOIN TCPCHECK_PC_WRAPS "," TCPCHECK_PC_WRAPS)
configure_file(cmake/tcpcheck-coverage.pc.in "${PROJECT_BINARY_DIR}/tcpcheck-coverage.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tcpcheck-coverage.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TCPCHECK_PACKAGE_HAS_TESTING)
  configure_file(cmake/tcpcheck-testing.pc.in "${PROJECT_BINARY_DIR}/tcpcheck-testing.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/tcpcheck-testing.pc"
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# The Debian package (`cpack -G DEB` in a build tree, ci/build-package.sh):
# everything `cmake --install` puts in place, under /usr, plus the docs, the
# man pages and the bash completion. Its dependencies are the Debian 12
# runtime packages that dpkg-shlibdeps finds in the executable; the
# development packages the installed libraries need are suggested only.
include(GNUInstallDirs)

if(TARGET tcpcheck)
  install(FILES completion/tcpcheck.bash
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME tcpcheck)
endif()
install(FILES README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "tcpcheck")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "tcpcheck developers <tcpcheck@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "protocol conformance and fuzz testing for TCP servers and framing code")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "protocol conformance and fuzz testing for TCP servers and framing code
tcpcheck checks whether a networked program, or a piece of framing code,
survives the byte stream being cut, merged, dropped or cut off: a
conformance matrix from one script of a normal conversation, fuzzing guided
by coverage and replies, replayable findings, and JSON, JUnit, SARIF and
HTML reports. It also ships C++ libraries and CMake helpers that give a
project's own decoders split-invariance checks and fuzz targets.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # tcpcheck_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The installed libraries are static: a project that links them needs these.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "libre2-dev, libgtest-dev, clang-14, libclang-rt-14-dev, cmake, pkg-config")
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)

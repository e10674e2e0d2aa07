# Man pages for tcpcheck and each subcommand, made by help2man from the
# executable's own --help, so that they say what --help says. They are made
# when the executable is built, gzipped as Debian wants them, and installed
# into share/man/man1 (the Debian package carries them).
include(GNUInstallDirs)
option(TCPCHECK_MAN_PAGES "Make man pages from --help with help2man" ON)
if(NOT TCPCHECK_MAN_PAGES)
  return()
endif()
find_program(TCPCHECK_HELP2MAN help2man)
if(NOT TCPCHECK_HELP2MAN)
  message(FATAL_ERROR "help2man not found: run ci/install-deps.sh (Debian: apt install help2man), "
                      "or configure with -DTCPCHECK_MAN_PAGES=OFF")
endif()

set(TCPCHECK_MAN_DIR "${PROJECT_BINARY_DIR}/man")
add_custom_command(
  OUTPUT "${TCPCHECK_MAN_DIR}/stamp"
  COMMAND ${CMAKE_COMMAND} -DTCPCHECK=$<TARGET_FILE:tcpcheck> -DHELP2MAN=${TCPCHECK_HELP2MAN}
          -DOUT_DIR=${TCPCHECK_MAN_DIR} -DVERSION=${PROJECT_VERSION}
          -P "${PROJECT_SOURCE_DIR}/cmake/generate_man_pages.cmake"
  DEPENDS tcpcheck "${PROJECT_SOURCE_DIR}/cmake/generate_man_pages.cmake"
  COMMENT "Making the man pages from tcpcheck --help"
  VERBATIM)
add_custom_target(tcpcheck_man_pages ALL DEPENDS "${TCPCHECK_MAN_DIR}/stamp")
install(DIRECTORY "${TCPCHECK_MAN_DIR}/" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1.gz")

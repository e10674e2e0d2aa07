# cmake -P script: one man page per subcommand, and tcpcheck(1), from the
# executable's --help (help2man). Called by TcpcheckManPages.cmake with
# TCPCHECK, HELP2MAN, OUT_DIR and VERSION.
#
# The subcommands are asked of the executable (`tcpcheck __complete ""`), so a
# new subcommand gets its page without a change here; a subcommand missing
# from the table below gets a page whose NAME says only its name, which the
# package test refuses.

# NAME line and guide page of each subcommand.
set(name_demo "run check on bundled correct and buggy greeting servers and clients")
set(name_check "run the conformance matrix of a script against a server or a client")
set(name_fuzz "fuzz a live server with mutations of a script's conversation")
set(name_replay "run findings and regression scripts once each against a server")
set(name_decode "cut a captured byte stream into frames")
set(name_encode "frame payloads as they go on the wire")
set(name_lint "check a framing spec for errors and likely mistakes")
set(name_run "run one script against a server, or play the server for a client")
set(name_serve "run a reference server for the seed articles' protocols or a UDP echo")
set(name_client "run a reference client for the seed articles' greeting protocol")
set(name_proxy "forward real clients to a real server, disturbed, shown and recorded")
set(name_import "make a script from the TCP streams of a pcap or pcapng capture")
set(name_generalize "make two recordings of one conversation one script that replays against any run")
set(guide_demo "README.md")
set(guide_check "docs/check.md")
set(guide_fuzz "docs/fuzz.md")
set(guide_replay "docs/fuzz.md")
set(guide_decode "docs/framing.md")
set(guide_encode "docs/framing.md")
set(guide_lint "docs/framing.md")
set(guide_run "docs/scripts.md")
set(guide_serve "docs/real-servers.md")
set(guide_client "docs/clients.md")
set(guide_proxy "docs/proxy.md")
set(guide_import "docs/import.md")
set(guide_generalize "docs/proxy.md")

set(doc_dir "/usr/share/doc/tcpcheck")
file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}/bin")

execute_process(COMMAND "${TCPCHECK}" __complete ""
                OUTPUT_VARIABLE subcommands RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR subcommands STREQUAL "")
  message(FATAL_ERROR "tcpcheck __complete gave no subcommands (exit ${status})")
endif()
string(STRIP "${subcommands}" subcommands)
string(REPLACE "\n" ";" subcommands "${subcommands}")

# help2man names a page after the program in its --version line:
# tcpcheck-check is a wrapper that runs `tcpcheck check` and says
# "tcpcheck-check (tcpcheck) VERSION".
function(make_page program name include_text)
  file(WRITE "${OUT_DIR}/${program}.include" "${include_text}")
  execute_process(
    COMMAND "${HELP2MAN}" --no-info --section 1 --name "${name}"
            --include "${OUT_DIR}/${program}.include" --output "${OUT_DIR}/${program}.1"
            "${OUT_DIR}/bin/${program}"
    RESULT_VARIABLE status ERROR_VARIABLE error)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "help2man ${program}: ${error}")
  endif()
  execute_process(COMMAND gzip -9nf "${OUT_DIR}/${program}.1" RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "gzip ${program}.1 failed")
  endif()
endfunction()

set(pages "")
foreach(sub IN LISTS subcommands)
  list(APPEND pages ".BR tcpcheck-${sub} (1)")
endforeach()
list(JOIN pages ",\n" see_also)

foreach(sub IN LISTS subcommands)
  file(WRITE "${OUT_DIR}/bin/tcpcheck-${sub}"
       "#!/bin/sh\nif [ \"$1\" = --version ]; then\n"
       "  \"${TCPCHECK}\" --version | sed 's/^tcpcheck /tcpcheck-${sub} (tcpcheck) /'\n"
       "  exit\nfi\n"
       "exec \"${TCPCHECK}\" ${sub} \"$@\"\n")
  file(CHMOD "${OUT_DIR}/bin/tcpcheck-${sub}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  set(name "${name_${sub}}")
  if(name STREQUAL "")
    set(name "tcpcheck ${sub}")
  endif()
  set(guide "${guide_${sub}}")
  if(guide STREQUAL "")
    set(guide "README.md")
  endif()
  make_page("tcpcheck-${sub}" "${name}"
            "[SEE ALSO]\n.BR tcpcheck (1)\n.PP\nThe guide: ${doc_dir}/${guide}\n")
endforeach()

file(WRITE "${OUT_DIR}/bin/tcpcheck" "#!/bin/sh\nexec \"${TCPCHECK}\" \"$@\"\n")
file(CHMOD "${OUT_DIR}/bin/tcpcheck" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE)
make_page("tcpcheck" "protocol conformance and fuzz testing for TCP servers and framing code"
          "[SEE ALSO]\n${see_also}\n.PP\nThe guides: ${doc_dir}/README.md and ${doc_dir}/docs/\n")
file(REMOVE_RECURSE "${OUT_DIR}/bin")
file(GLOB includes "${OUT_DIR}/*.include")
file(REMOVE ${includes})
file(WRITE "${OUT_DIR}/stamp" "${VERSION}\n")

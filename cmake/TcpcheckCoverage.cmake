# tcpcheck_instrument_server(<target>): builds the executable <target> (a
# server) so that `tcpcheck fuzz --spawn` sees its coverage: clang's
# SanitizerCoverage flags for edges (inline 8-bit counters and the pc-table)
# and comparison operands (trace-cmp), and tcpcheck::coverage linked whole.
#
# Whole, because an ASan or UBSan runtime defines weak versions of the same
# callbacks: an archive member that only defines them would never be pulled
# in, and the server would run with coverage silently off. The memcmp family
# is kept out of line (-fno-builtin-...) and wrapped (--wrap) so that the
# strings the server compares reach the fuzzer in builds without a sanitizer.
#
#   find_package(tcpcheck REQUIRED)
#   add_executable(my_server server.c)
#   tcpcheck_instrument_server(my_server)
set(TCPCHECK_COVERAGE_COMPARED memcmp bcmp strcmp strncmp strcasecmp strncasecmp strstr memmem)

function(tcpcheck_instrument_server target)
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "tcpcheck_instrument_server(${target}): not an executable (${type})")
  endif()
  if(NOT (CMAKE_C_COMPILER_ID MATCHES "Clang" OR CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
    message(FATAL_ERROR "tcpcheck_instrument_server(${target}): needs clang "
                        "(-fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp); "
                        "configure with CMAKE_C_COMPILER=clang-14 CMAKE_CXX_COMPILER=clang++-14")
  endif()
  set(no_builtins "")
  set(wraps "")
  foreach(f IN LISTS TCPCHECK_COVERAGE_COMPARED)
    list(APPEND no_builtins -fno-builtin-${f})
    list(APPEND wraps "--wrap=${f}")
  endforeach()
  list(JOIN wraps "," wrap_list)
  target_compile_options(${target} PRIVATE
    -fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp ${no_builtins})
  target_link_libraries(${target} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,tcpcheck::coverage>")
  target_link_options(${target} PRIVATE "LINKER:${wrap_list}")
endfunction()

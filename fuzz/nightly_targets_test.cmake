# Fails unless the nightly template's `target: [...]` matrix (which may span
# lines) names exactly the targets in TARGETS, a CMake list.
if(NOT TARGETS)
  message(FATAL_ERROR "no fuzz targets given (TARGETS)")
endif()
file(READ "${TEMPLATE}" text)
# A key of its own line, not one that ends in "target" or sits in a comment.
string(REGEX MATCH "\n[ \t]*target: \\[[^]]*\\]" matrix "${text}")
if(NOT matrix)
  message(FATAL_ERROR "${TEMPLATE}: no `target: [...]` matrix")
endif()
string(REGEX REPLACE "^\n[ \t]*target: \\[|\\]$" "" matrix "${matrix}")
string(REGEX REPLACE "[ \t\r\n]" "" matrix "${matrix}")
string(REPLACE "," ";" listed "${matrix}")
list(SORT listed)
set(expected ${TARGETS})
list(SORT expected)
if(NOT listed STREQUAL expected)
  message(FATAL_ERROR "${TEMPLATE} lists the fuzz targets [${listed}]; "
                      "fuzz/CMakeLists.txt has [${expected}]")
endif()
message(STATUS "the nightly template lists each fuzz target: ${listed}")

# The HTML report (--html) end to end, label `html`: the real CLI writes it
# for `check`, `fuzz` and `replay`, and tests/render_html.py loads it in
# Debian's headless chromium, checks the DOM the browser built (the failing
# case ids, the sequence diagram's lanes and arrows, findings, the coverage
# plot, nothing injected) and takes a screenshot into the build directory
# (tests/html/*.png, never the repository). Without chromium these tests
# fail rather than skip: ci/install-deps.sh installs it.
if(TARGET tcpcheck)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  set(html_out ${CMAKE_CURRENT_BINARY_DIR}/html)
  file(MAKE_DIRECTORY ${html_out})
  set(render_html ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/render_html.py)
  set(html_tcpcheck $<TARGET_FILE:tcpcheck>)
  set(html_planted "$<TARGET_FILE:planted_server> --bug length --port {port}")

  # `check` against the naive greeting server: the cut name answered twice.
  add_test(NAME html.check_naive_greeting
           COMMAND ${render_html} --html ${html_out}/check.html
                   --screenshot ${html_out}/check.png --expect-exit 1
                   --expect-case segmentation/bytewise --expect-diagram --arrow write --arrow read
                   -- ${html_tcpcheck} check ${PROJECT_SOURCE_DIR}/corpus/scripts/greeting.tcs
                      --spawn "${html_tcpcheck} serve naive-greeting --port {port}"
                      --html ${html_out}/check.html)

  # `fuzz` against the planted length bug, stopping at its finding.
  add_test(NAME html.fuzz_planted_length
           COMMAND ${render_html} --html ${html_out}/fuzz.html
                   --screenshot ${html_out}/fuzz.png --expect-exit 1
                   --expect-finding --expect-plot
                   -- ${html_tcpcheck} fuzz ${CMAKE_CURRENT_SOURCE_DIR}/planted/planted.tcs
                      --spawn ${html_planted} --seed 1 --runs 3000 --max-time 240 --timeout 500
                      --feedback none --dict ${CMAKE_CURRENT_SOURCE_DIR}/planted/planted.dict
                      --max-findings 1 --no-progress --out ${html_out}/fuzz-findings
                      --html ${html_out}/fuzz.html)

  # `replay` of the length bug's regression script, which kills the server.
  add_test(NAME html.replay_planted_length
           COMMAND ${render_html} --html ${html_out}/replay.html
                   --screenshot ${html_out}/replay.png --expect-exit 1
                   --expect-failures --expect-diagram --arrow write
                   -- ${html_tcpcheck} replay
                      ${PROJECT_SOURCE_DIR}/corpus/regression/planted-length-777.tcs
                      --spawn ${html_planted} --html ${html_out}/replay.html)

  # `replay` against a server that answers with markup, script, invalid
  # UTF-8, NUL and control characters: all of it shown, none of it run.
  add_test(NAME html.replay_hostile_server
           COMMAND ${render_html} --html ${html_out}/hostile.html
                   --screenshot ${html_out}/hostile.png --expect-exit 1
                   --expect-failures --expect-diagram --arrow read
                   --expect-text "<img src=x onerror=alert(1)>"
                   -- ${html_tcpcheck} replay ${PROJECT_SOURCE_DIR}/corpus/scripts/greeting.tcs
                      --spawn "${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/render_html.py --hostile-server {port}"
                      --html ${html_out}/hostile.html)

  set_tests_properties(html.check_naive_greeting html.fuzz_planted_length
                       html.replay_planted_length html.replay_hostile_server
                       PROPERTIES LABELS html TIMEOUT 600)
endif()

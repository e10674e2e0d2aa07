# `tcpcheck check` end to end against five more of Debian's servers, with the
# binary-protocol script features (per-field framing, typed sends, ignore,
# sync, ${run}): mosquitto (MQTT), PostgreSQL, dovecot (IMAP), dnsmasq (DNS
# over TCP) and beanstalkd. ci/install-deps.sh installs them;
# tests/real_servers.py starts each on tcpcheck's free loopback port, in the
# foreground, from a fresh temporary directory, with nothing kept
# (docs/real-servers.md). Included from tests/CMakeLists.txt inside its
# `if(TARGET tcpcheck)`, where ${check_server} and ${scripts} are defined.
#
# Startup, measured on a 2-core Debian 12 machine: mosquitto, dnsmasq,
# beanstalkd and dovecot listen within 0.1-0.35 s; postgres needs 1.5-2.5 s
# (initdb). One conversation takes under 3 ms on the first three, about
# 10-15 ms on dovecot and 25-30 ms on postgres (a backend forked per
# connection), so those two run a reduced matrix: no latency case (200
# conversations that can only warn) and a soak of 200 conversations rather
# than 1000.
set(real_servers "python3 ${PROJECT_SOURCE_DIR}/tests/real_servers.py")
set(slow_server_matrix
    --only segmentation --only faults --only concurrency --only boundary --only soak
    --soak 200)

add_test(NAME real_server.mqtt-mosquitto
         COMMAND ${check_server} --script ${scripts}/real-servers/mqtt-mosquitto.tcs
                 --spawn "${real_servers} mosquitto {port}" --expect-pass)
# dnsmasq forks a process for each TCP connection: on a loaded 2-core
# machine 64 conversations at once can take longer than 64 in a row, which
# concurrency/parallel-64 (a timing oracle) reads as serving one client at a
# time (seen 1 run in 5 with both cores busy). concurrency/stalled-peer still
# shows that it serves others while one client stalls.
add_test(NAME real_server.dns-dnsmasq
         COMMAND ${check_server} --script ${scripts}/real-servers/dns-dnsmasq.tcs
                 --spawn "${real_servers} dnsmasq {port}" --expect-pass
                 -- --exclude concurrency/parallel-64)
add_test(NAME real_server.beanstalkd
         COMMAND ${check_server} --script ${scripts}/real-servers/beanstalkd.tcs
                 --spawn "${real_servers} beanstalkd {port}" --expect-pass)
add_test(NAME real_server.postgres
         COMMAND ${check_server} --script ${scripts}/real-servers/postgres.tcs
                 --spawn "${real_servers} postgres {port}" --expect-pass
                 -- --ready-when "ready to accept connections" ${slow_server_matrix})
add_test(NAME real_server.imap-dovecot
         COMMAND ${check_server} --script ${scripts}/real-servers/imap-dovecot.tcs
                 --spawn "${real_servers} dovecot {port}" --expect-pass
                 -- ${slow_server_matrix})
set_tests_properties(real_server.mqtt-mosquitto real_server.dns-dnsmasq real_server.beanstalkd
                     real_server.postgres real_server.imap-dovecot PROPERTIES TIMEOUT 300)

/* tcpcheck::coverage: the runtime a server links to give `tcpcheck fuzz`
 * coverage feedback.
 *
 * Build the server with clang and
 *
 *   -fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp
 *
 * and link libtcpcheck-coverage.a whole (`pkg-config --cflags --libs
 * tcpcheck-coverage`, or tcpcheck_instrument_server(<target>) in CMake).
 * The archive must be linked whole: an ASan or UBSan runtime defines weak
 * versions of the same SanitizerCoverage callbacks, and a plain archive
 * member that only defines them would never be pulled in.
 *
 * What it does: it implements the SanitizerCoverage callbacks
 * (__sanitizer_cov_8bit_counters_init, __sanitizer_cov_pcs_init and the
 * __sanitizer_cov_trace_*cmp* family) and the sanitizers' memcmp/strcmp
 * hooks, and when the server runs under `tcpcheck fuzz --spawn` (the
 * environment names a map, coverage_map.h) it publishes where its edge
 * counters are and records the operands of its comparisons there. Forked
 * workers and threads report into the same map. Outside tcpcheck it does
 * nothing beyond the counters' own increments.
 *
 * C ABI, no C++ runtime, no threads of its own.
 */
#ifndef TCPCHECK_COVERAGE_H
#define TCPCHECK_COVERAGE_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the server reports coverage to a tcpcheck that started it. */
int tcpcheck_coverage_attached(void);

#ifdef __cplusplus
}
#endif

#endif

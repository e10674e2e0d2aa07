/* The memory a spawned server shares with tcpcheck for coverage feedback.
 *
 * tcpcheck creates the map (a memfd), names it in the server's environment
 * (TCPCHECK_COVERAGE_MAP=/proc/<tcpcheck's pid>/fd/<fd>) and starts the
 * server. The runtime linked into the server (libtcpcheck-coverage.a, see
 * coverage.h) opens it when the first instrumented module starts and
 * writes into it:
 *
 *   modules    each instrumented module (the executable, a shared library):
 *              its path, load base, number of edges and first edge index;
 *   processes  each process of the server (forked workers too) with the
 *              addresses of its counters, which tcpcheck reads in place
 *              through /proc/PID/mem: the instrumented code increments them
 *              inline, with no call, so reading them costs the server nothing;
 *   exited     the counters of processes that have ended, added up, so a
 *              worker forked per connection still counts;
 *   cmp rings  operands of the comparisons the server made (trace-cmp and
 *              memcmp/strcmp), the values it was looking for.
 *
 * C, fixed-width fields, no pointers into tcpcheck's memory: the server may
 * be any program tcpcheck did not build. Both sides check magic and version.
 */
#ifndef TCPCHECK_COVERAGE_MAP_H
#define TCPCHECK_COVERAGE_MAP_H

#include <stdint.h>

#define TCPCHECK_COVERAGE_ENV "TCPCHECK_COVERAGE_MAP"
#define TCPCHECK_COVERAGE_MAGIC 0x7063766d63706374ull /* "tcpcmvcp" */
#define TCPCHECK_COVERAGE_VERSION 1u

enum {
  tcpcheck_coverage_most_edges = 1 << 21, /* edges of all modules together */
  tcpcheck_coverage_most_modules = 16,
  tcpcheck_coverage_most_processes = 512,
  tcpcheck_coverage_path_size = 240,
  tcpcheck_coverage_int_cmps = 4096, /* ring entries */
  tcpcheck_coverage_mem_cmps = 1024,
  tcpcheck_coverage_mem_cmp_bytes = 32 /* longest operand kept */
};

typedef struct {
  uint32_t first_edge; /* its edges are [first_edge, first_edge + edges) */
  uint32_t edges;
  uint64_t base;          /* load address in the process that registered it */
  uint64_t pcs;           /* its pc-table there (pairs of pc, flags); 0: none */
  uint32_t is_executable; /* ELF ET_EXEC: addresses are absolute */
  uint32_t reserved;
  char path[tcpcheck_coverage_path_size];
} tcpcheck_coverage_module;

typedef struct {
  int32_t pid;                                       /* 0: free slot */
  uint32_t generation;                               /* bumped when the slot is reused */
  uint64_t counters[tcpcheck_coverage_most_modules]; /* per module, in this process */
} tcpcheck_coverage_process;

typedef struct {
  uint64_t a, b;
  uint32_t size;     /* operand width in bytes: 1, 2, 4 or 8 */
  uint32_t constant; /* 1: a is a constant from the code */
} tcpcheck_coverage_int_cmp;

typedef struct {
  uint8_t length_a, length_b;
  uint8_t constant; /* bit 0: a lies in a module's image (a literal), bit 1: b does */
  uint8_t reserved[5];
  uint8_t a[tcpcheck_coverage_mem_cmp_bytes];
  uint8_t b[tcpcheck_coverage_mem_cmp_bytes];
} tcpcheck_coverage_mem_cmp;

typedef struct {
  uint64_t magic;
  uint32_t version;
  uint32_t lock; /* spin lock: module and process registration */
  uint32_t module_count;
  uint32_t edges;        /* of all modules */
  uint32_t int_cmp_next; /* ring write positions, ever increasing */
  uint32_t mem_cmp_next;
  uint32_t processes_attached; /* ever, for the report */
  uint32_t cmp_epoch;          /* tcpcheck bumps it: the runtime records every operand again */
  tcpcheck_coverage_module modules[tcpcheck_coverage_most_modules];
  tcpcheck_coverage_process processes[tcpcheck_coverage_most_processes];
  tcpcheck_coverage_int_cmp int_cmps[tcpcheck_coverage_int_cmps];
  tcpcheck_coverage_mem_cmp mem_cmps[tcpcheck_coverage_mem_cmps];
  uint8_t exited[tcpcheck_coverage_most_edges];
} tcpcheck_coverage_map;

#endif

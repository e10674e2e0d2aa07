/* The coverage runtime: modules and processes published in the shared map,
 * counters handed over when a process forks or exits. */
#define _GNU_SOURCE
#include "runtime.h"

#include "tcpcheck/coverage.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

tcpcheck_coverage_map* tcpcheck_coverage_shared;

/* This process's instrumented modules: where their counters are, and
 * which module of the map they are. */
static struct {
  uint8_t* start;
  uint8_t* stop;
  uint32_t shared_index;
} local_modules[tcpcheck_coverage_most_modules];
static uint32_t local_module_count;
static int attach_tried;
static int process_slot = -1;

static void lock_map(tcpcheck_coverage_map* map) {
  while (__atomic_exchange_n(&map->lock, 1u, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&map->lock, __ATOMIC_RELAXED))
      ;
}

static void unlock_map(tcpcheck_coverage_map* map) {
  __atomic_store_n(&map->lock, 0u, __ATOMIC_RELEASE);
}

tcpcheck_coverage_map* tcpcheck_coverage_attach(void) {
  if (attach_tried) return tcpcheck_coverage_shared;
  attach_tried = 1;
  const char* path = getenv(TCPCHECK_COVERAGE_ENV);
  if (!path || !*path) return NULL;
  const int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return NULL;
  void* at = mmap(NULL, sizeof(tcpcheck_coverage_map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (at == MAP_FAILED) return NULL;
  tcpcheck_coverage_map* map = (tcpcheck_coverage_map*)at;
  if (map->magic != TCPCHECK_COVERAGE_MAGIC || map->version != TCPCHECK_COVERAGE_VERSION) {
    munmap(at, sizeof(tcpcheck_coverage_map));
    return NULL;
  }
  tcpcheck_coverage_shared = map;
  return map;
}

int tcpcheck_coverage_attached(void) {
  return tcpcheck_coverage_shared != NULL;
}

/* The file a module was loaded from, and its load address. The executable
 * is named by /proc/self/exe: dladdr gives it as argv[0] said it. */
static void describe_module(const void* inside, tcpcheck_coverage_module* m) {
  Dl_info info;
  memset(&info, 0, sizeof info);
  char path[PATH_MAX] = "";
  if (dladdr(inside, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
    if (!realpath(info.dli_fname, path)) path[0] = '\0';
  if (!path[0]) {
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    path[n > 0 ? n : 0] = '\0';
  }
  strncpy(m->path, path, sizeof m->path - 1);
  m->path[sizeof m->path - 1] = '\0';
  m->base = (uint64_t)(uintptr_t)info.dli_fbase;
  const Elf64_Ehdr* header = (const Elf64_Ehdr*)info.dli_fbase;
  m->is_executable = header && header->e_type == ET_EXEC;
}

/* The map's index of this module: the same file with as many edges keeps
 * its index across restarts, so edge numbers mean the same every time. */
static uint32_t register_module(tcpcheck_coverage_map* map, const uint8_t* start, uint32_t edges) {
  tcpcheck_coverage_module found;
  memset(&found, 0, sizeof found);
  describe_module(start, &found);
  uint32_t i = 0;
  for (; i < map->module_count; ++i)
    if (map->modules[i].edges == edges && !strcmp(map->modules[i].path, found.path)) break;
  if (i == map->module_count) {
    if (i == tcpcheck_coverage_most_modules || map->edges + edges > tcpcheck_coverage_most_edges)
      return UINT32_MAX;
    found.first_edge = map->edges;
    found.edges = edges;
    map->modules[i] = found;
    map->edges += edges;
    map->module_count = i + 1;
  } else {
    map->modules[i].base = found.base;
    map->modules[i].is_executable = found.is_executable;
  }
  return i;
}

static void publish_process(tcpcheck_coverage_map* map) {
  const pid_t pid = getpid();
  process_slot = -1;
  for (int i = 0; i < tcpcheck_coverage_most_processes; ++i)
    if (map->processes[i].pid == 0) {
      process_slot = i;
      break;
    }
  if (process_slot < 0) return; /* too many processes: this one goes unseen */
  tcpcheck_coverage_process* p = &map->processes[process_slot];
  ++p->generation;
  for (uint32_t k = 0; k < local_module_count; ++k)
    p->counters[local_modules[k].shared_index] = (uint64_t)(uintptr_t)local_modules[k].start;
  __atomic_store_n(&p->pid, (int32_t)pid, __ATOMIC_RELEASE);
  ++map->processes_attached;
}

/* A process that ends hands its counts to the map's `exited` counters, so
 * that the sum tcpcheck reads (live processes plus exited) goes on. */
static void hand_over_counters(void) {
  tcpcheck_coverage_map* map = tcpcheck_coverage_shared;
  if (!map || process_slot < 0) return;
  for (uint32_t k = 0; k < local_module_count; ++k) {
    uint8_t* exited = map->exited + map->modules[local_modules[k].shared_index].first_edge;
    for (uint8_t* c = local_modules[k].start; c < local_modules[k].stop; ++c)
      if (*c) __atomic_fetch_add(&exited[c - local_modules[k].start], *c, __ATOMIC_RELAXED);
  }
  lock_map(map);
  __atomic_store_n(&map->processes[process_slot].pid, 0, __ATOMIC_RELEASE);
  unlock_map(map);
  process_slot = -1;
}

/* A forked child starts with a copy of its parent's counts, which the
 * parent still holds: it counts from zero, in a slot of its own. */
static void after_fork_in_child(void) {
  tcpcheck_coverage_map* map = tcpcheck_coverage_shared;
  if (!map) return;
  for (uint32_t k = 0; k < local_module_count; ++k)
    memset(local_modules[k].start, 0, (size_t)(local_modules[k].stop - local_modules[k].start));
  /* The lock lives in the shared map: one held by a parent's thread at the
   * fork is released there, and the child sees it. */
  lock_map(map);
  publish_process(map);
  unlock_map(map);
}

void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop) {
  if (start == stop || local_module_count == tcpcheck_coverage_most_modules) return;
  tcpcheck_coverage_map* map = tcpcheck_coverage_attach();
  if (!map) return;
  lock_map(map);
  const uint32_t index = register_module(map, start, (uint32_t)(stop - start));
  if (index != UINT32_MAX) {
    local_modules[local_module_count].start = start;
    local_modules[local_module_count].stop = stop;
    local_modules[local_module_count].shared_index = index;
    ++local_module_count;
    if (process_slot < 0) {
      publish_process(map);
      atexit(hand_over_counters);
      pthread_atfork(NULL, NULL, after_fork_in_child);
    } else {
      map->processes[process_slot].counters[index] = (uint64_t)(uintptr_t)start;
    }
  }
  unlock_map(map);
}

void __sanitizer_cov_pcs_init(const uintptr_t* begin, const uintptr_t* end) {
  tcpcheck_coverage_map* map = tcpcheck_coverage_shared;
  if (!map || local_module_count == 0) return;
  /* Called right after the same module's counters: the last one. */
  const uint32_t index = local_modules[local_module_count - 1].shared_index;
  if (map->modules[index].edges == (uint32_t)((end - begin) / 2))
    map->modules[index].pcs = (uint64_t)(uintptr_t)begin;
}

/* The operands of the server's comparisons: trace-cmp callbacks, the
 * sanitizers' memcmp/strcmp hooks, and wrappers for builds without a
 * sanitizer (-Wl,--wrap=memcmp,...). Each distinct comparison is recorded
 * once per epoch in a ring of the map; tcpcheck turns the operands into
 * dictionary words (a magic number the server compared against, a command
 * word it looked for). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"

/* Seen comparisons, by hash: a bit each. Cleared when tcpcheck starts a new
 * epoch, so a ring that wrapped gets the server's operands again. */
static uint8_t seen[1 << 14];
static uint32_t seen_epoch;

static uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

static int first_time(tcpcheck_coverage_map* map, uint64_t hash) {
  const uint32_t epoch = __atomic_load_n(&map->cmp_epoch, __ATOMIC_RELAXED);
  if (epoch != seen_epoch) {
    memset(seen, 0, sizeof seen);
    seen_epoch = epoch;
  }
  const uint32_t bit = (uint32_t)(hash % (sizeof seen * 8));
  const uint8_t mask = (uint8_t)(1u << (bit & 7));
  return !(__atomic_fetch_or(&seen[bit >> 3], mask, __ATOMIC_RELAXED) & mask);
}

static void note_ints(uintptr_t pc, uint64_t a, uint64_t b, uint32_t size, uint32_t constant) {
  tcpcheck_coverage_map* map = tcpcheck_coverage_shared;
  if (!map || a == b) return;
  if (!first_time(map, mix(pc) ^ mix(a + 0x51) ^ mix(b * 3 + size))) return;
  const uint32_t at =
      __atomic_fetch_add(&map->int_cmp_next, 1u, __ATOMIC_RELAXED) % tcpcheck_coverage_int_cmps;
  tcpcheck_coverage_int_cmp* e = &map->int_cmps[at];
  e->a = a;
  e->b = b;
  e->size = size;
  e->constant = constant;
}

static uint64_t hash_bytes(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* Whether `p` points into a loaded module's image (a string literal, a
 * table of the program's own) rather than into the heap or a stack, where
 * the input is. */
static int in_module_image(const void* p) {
  Dl_info info;
  return dladdr(p, &info) != 0 && info.dli_fbase != NULL;
}

static void note_bytes(uintptr_t pc, const void* a, size_t length_a, const void* b,
                       size_t length_b) {
  tcpcheck_coverage_map* map = tcpcheck_coverage_shared;
  if (!map || !a || !b) return;
  enum { most = tcpcheck_coverage_mem_cmp_bytes };
  const size_t na = length_a < most ? length_a : most;
  const size_t nb = length_b < most ? length_b : most;
  if (na == 0 && nb == 0) return;
  if (!first_time(map, mix(pc) ^ hash_bytes(a, na) ^ mix(hash_bytes(b, nb)))) return;
  const uint32_t at =
      __atomic_fetch_add(&map->mem_cmp_next, 1u, __ATOMIC_RELAXED) % tcpcheck_coverage_mem_cmps;
  tcpcheck_coverage_mem_cmp* e = &map->mem_cmps[at];
  e->length_a = (uint8_t)na;
  e->length_b = (uint8_t)nb;
  e->constant = (uint8_t)((na && in_module_image(a)) | (nb && in_module_image(b)) << 1);
  memcpy(e->a, a, na);
  memcpy(e->b, b, nb);
}

#define CALLER ((uintptr_t)__builtin_return_address(0))

void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b) {
  note_ints(CALLER, a, b, 1, 0);
}
void __sanitizer_cov_trace_cmp2(uint16_t a, uint16_t b) {
  note_ints(CALLER, a, b, 2, 0);
}
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b) {
  note_ints(CALLER, a, b, 4, 0);
}
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b) {
  note_ints(CALLER, a, b, 8, 0);
}
void __sanitizer_cov_trace_const_cmp1(uint8_t a, uint8_t b) {
  note_ints(CALLER, a, b, 1, 1);
}
void __sanitizer_cov_trace_const_cmp2(uint16_t a, uint16_t b) {
  note_ints(CALLER, a, b, 2, 1);
}
void __sanitizer_cov_trace_const_cmp4(uint32_t a, uint32_t b) {
  note_ints(CALLER, a, b, 4, 1);
}
void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b) {
  note_ints(CALLER, a, b, 8, 1);
}

/* cases[0]: how many; cases[1]: their width in bits; then the values. */
void __sanitizer_cov_trace_switch(uint64_t value, uint64_t* cases) {
  const uint64_t count = cases[0] < 64 ? cases[0] : 64;
  const uint32_t size = (uint32_t)(cases[1] / 8);
  for (uint64_t i = 0; i < count; ++i)
    note_ints(CALLER + i, cases[2 + i], value, size ? size : 8, 1);
}

static size_t bounded_length(const char* s) {
  return s ? strnlen(s, tcpcheck_coverage_mem_cmp_bytes) : 0;
}

/* Hooks the sanitizers' interceptors call (ASan, and libFuzzer's own). */
void __sanitizer_weak_hook_memcmp(void* pc, const void* a, const void* b, size_t n, int result) {
  if (result) note_bytes((uintptr_t)pc, a, n, b, n);
}
void __sanitizer_weak_hook_strncmp(void* pc, const char* a, const char* b, size_t n, int result) {
  if (!result) return;
  const size_t la = bounded_length(a), lb = bounded_length(b);
  note_bytes((uintptr_t)pc, a, la < n ? la : n, b, lb < n ? lb : n);
}
void __sanitizer_weak_hook_strcmp(void* pc, const char* a, const char* b, int result) {
  if (result) note_bytes((uintptr_t)pc, a, bounded_length(a), b, bounded_length(b));
}
void __sanitizer_weak_hook_strncasecmp(void* pc, const char* a, const char* b, size_t n,
                                       int result) {
  __sanitizer_weak_hook_strncmp(pc, a, b, n, result);
}
void __sanitizer_weak_hook_strcasecmp(void* pc, const char* a, const char* b, int result) {
  __sanitizer_weak_hook_strcmp(pc, a, b, result);
}
void __sanitizer_weak_hook_strstr(void* pc, const char* haystack, const char* needle,
                                  char* result) {
  if (!result) note_bytes((uintptr_t)pc, needle, bounded_length(needle), haystack, 0);
}
void __sanitizer_weak_hook_memmem(void* pc, const void* haystack, size_t haystack_length,
                                  const void* needle, size_t needle_length, void* result) {
  (void)haystack_length;
  if (!result) note_bytes((uintptr_t)pc, needle, needle_length, haystack, 0);
}

/* Builds without a sanitizer have no interceptor to call the hooks: the
 * linker's --wrap sends the server's own calls here (pkg-config's flags).
 * The __real_ functions are weak so that a link without --wrap, which
 * never calls these, still links. */
int __real_memcmp(const void*, const void*, size_t) __attribute__((weak));
int __real_bcmp(const void*, const void*, size_t) __attribute__((weak));
int __real_strcmp(const char*, const char*) __attribute__((weak));
int __real_strncmp(const char*, const char*, size_t) __attribute__((weak));
int __real_strcasecmp(const char*, const char*) __attribute__((weak));
int __real_strncasecmp(const char*, const char*, size_t) __attribute__((weak));
char* __real_strstr(const char*, const char*) __attribute__((weak));
void* __real_memmem(const void*, size_t, const void*, size_t) __attribute__((weak));

int __wrap_memcmp(const void* a, const void* b, size_t n) {
  const int r = __real_memcmp(a, b, n);
  __sanitizer_weak_hook_memcmp((void*)CALLER, a, b, n, r);
  return r;
}
int __wrap_bcmp(const void* a, const void* b, size_t n) {
  const int r = __real_bcmp(a, b, n);
  __sanitizer_weak_hook_memcmp((void*)CALLER, a, b, n, r);
  return r;
}
int __wrap_strcmp(const char* a, const char* b) {
  const int r = __real_strcmp(a, b);
  __sanitizer_weak_hook_strcmp((void*)CALLER, a, b, r);
  return r;
}
int __wrap_strncmp(const char* a, const char* b, size_t n) {
  const int r = __real_strncmp(a, b, n);
  __sanitizer_weak_hook_strncmp((void*)CALLER, a, b, n, r);
  return r;
}
int __wrap_strcasecmp(const char* a, const char* b) {
  const int r = __real_strcasecmp(a, b);
  __sanitizer_weak_hook_strcmp((void*)CALLER, a, b, r);
  return r;
}
int __wrap_strncasecmp(const char* a, const char* b, size_t n) {
  const int r = __real_strncasecmp(a, b, n);
  __sanitizer_weak_hook_strncmp((void*)CALLER, a, b, n, r);
  return r;
}
char* __wrap_strstr(const char* haystack, const char* needle) {
  char* r = __real_strstr(haystack, needle);
  __sanitizer_weak_hook_strstr((void*)CALLER, haystack, needle, r);
  return r;
}
void* __wrap_memmem(const void* haystack, size_t haystack_length, const void* needle,
                    size_t needle_length) {
  void* r = __real_memmem(haystack, haystack_length, needle, needle_length);
  __sanitizer_weak_hook_memmem((void*)CALLER, haystack, haystack_length, needle, needle_length, r);
  return r;
}

// The coverage map on tcpcheck's side: created, handed to the server,
// read through /proc/PID/mem.
#include "tcpcheck/harness/coverage_channel.hpp"

#include "tcpcheck/coverage_map.h"
#include "tcpcheck/harness/report.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/mman.h>
#include <unistd.h>

namespace tcpcheck::harness {

namespace {

using map_type = tcpcheck_coverage_map;

// Integer operands as words: the bytes of the value in both orders, at the
// width compared and at the smallest width that holds it (a u16 magic is
// often compared as an int), and its decimal digits (text protocols parse
// numbers before comparing them).
unsigned smallest_width(std::uint64_t value) {
  unsigned n = 1;
  while (n < 8 && (value >> (8 * n)) != 0)
    ++n;
  return n;
}

void add_integer_words(std::uint64_t value, unsigned width, std::vector<byte_buffer>& out) {
  if (value < 2 && width > 1) return;
  const unsigned smallest = smallest_width(value);
  for (const unsigned w : {width, smallest}) {
    if (w > width) continue;
    byte_buffer little(w), big(w);
    for (unsigned k = 0; k < w; ++k) {
      little[k] = static_cast<std::uint8_t>(value >> (8 * k));
      big[w - 1 - k] = little[k];
    }
    out.push_back(little);
    if (w > 1) out.push_back(big);
  }
  if (value >= 10 && value < 1000000000ull && width > 1) {
    const std::string digits = std::to_string(value);
    out.emplace_back(digits.begin(), digits.end());
  }
}

// The input's side of a comparison with a constant, in both byte orders,
// to be swapped for the constant in the same order.
void add_integer_replacements(std::uint64_t input, std::uint64_t constant, unsigned width,
                              std::vector<replacement>& out) {
  byte_buffer from_little(width), to_little(width);
  for (unsigned k = 0; k < width; ++k) {
    from_little[k] = static_cast<std::uint8_t>(input >> (8 * k));
    to_little[k] = static_cast<std::uint8_t>(constant >> (8 * k));
  }
  out.push_back({from_little, to_little});
  if (width == 1) return;
  std::reverse(from_little.begin(), from_little.end());
  std::reverse(to_little.begin(), to_little.end());
  out.push_back({std::move(from_little), std::move(to_little)});
}

// Where to start reading a ring written up to `end`: where the last read
// stopped, unless the writer has gone round since (what it overwrote is lost).
std::uint32_t first_unread(std::uint32_t read, std::uint32_t end, std::uint32_t size) {
  return std::max(read, end > size ? end - size : 0u);
}

// Pointer-like values (ASan's own checks compare addresses) are no magic.
bool looks_like_address(std::uint64_t v) {
  return v >= 0x10000000000ull && v < 0x800000000000ull;
}

} // namespace

struct coverage_channel::impl {
  int fd = -1;
  map_type* map = nullptr;
  std::uint32_t int_read = 0, mem_read = 0; // ring positions taken so far
  std::size_t takes = 0;
  std::set<std::string> words_given;
  std::set<std::string> replacements_given;
  std::map<std::int32_t, int> mem_files; // pid -> /proc/PID/mem
  std::vector<std::uint8_t> scratch;

  ~impl() {
    close_mem_files();
    if (map) ::munmap(map, sizeof(map_type));
    if (fd >= 0) ::close(fd);
  }

  void close_mem_files() {
    for (auto& [pid, file] : mem_files)
      ::close(file);
    mem_files.clear();
  }

  int mem_file(std::int32_t pid) {
    if (const auto it = mem_files.find(pid); it != mem_files.end()) return it->second;
    const int file =
        ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (file >= 0) mem_files[pid] = file;
    return file;
  }

  // Bytes of process `pid` at `address`; false when it is gone.
  bool read_process(std::int32_t pid, std::uint64_t address, std::size_t size) {
    scratch.resize(size);
    const int file = mem_file(pid);
    if (file < 0) return false;
    const auto n = ::pread(file, scratch.data(), size, static_cast<off_t>(address));
    if (n == static_cast<ssize_t>(size)) return true;
    ::close(file);
    mem_files.erase(pid);
    return false;
  }
};

coverage_channel::coverage_channel(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
coverage_channel::~coverage_channel() = default;

std::unique_ptr<coverage_channel> coverage_channel::create(std::string& error) {
  auto p = std::make_unique<impl>();
  p->fd = ::memfd_create("tcpcheck-coverage", MFD_CLOEXEC);
  if (p->fd < 0 || ::ftruncate(p->fd, sizeof(map_type)) != 0) {
    error = std::string("cannot make the coverage map: ") + std::strerror(errno);
    return nullptr;
  }
  void* at = ::mmap(nullptr, sizeof(map_type), PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
  if (at == MAP_FAILED) {
    error = std::string("cannot map the coverage map: ") + std::strerror(errno);
    return nullptr;
  }
  p->map = static_cast<map_type*>(at);
  p->map->magic = TCPCHECK_COVERAGE_MAGIC;
  p->map->version = TCPCHECK_COVERAGE_VERSION;
  return std::unique_ptr<coverage_channel>(new coverage_channel(std::move(p)));
}

std::string coverage_channel::environment_entry() const {
  return std::string(TCPCHECK_COVERAGE_ENV) + "=/proc/" + std::to_string(::getpid()) + "/fd/" +
         std::to_string(impl_->fd);
}

void coverage_channel::forget_processes() {
  map_type& m = *impl_->map;
  std::memset(m.processes, 0, sizeof m.processes);
  std::memset(m.exited, 0, sizeof m.exited);
  __atomic_store_n(&m.int_cmp_next, 0u, __ATOMIC_RELAXED);
  __atomic_store_n(&m.mem_cmp_next, 0u, __ATOMIC_RELAXED);
  __atomic_add_fetch(&m.cmp_epoch, 1u, __ATOMIC_RELAXED);
  impl_->int_read = impl_->mem_read = 0;
  impl_->close_mem_files();
}

bool coverage_channel::attached() const {
  return __atomic_load_n(&impl_->map->module_count, __ATOMIC_ACQUIRE) > 0;
}

std::size_t coverage_channel::edges_total() const {
  return std::min<std::size_t>(impl_->map->edges, tcpcheck_coverage_most_edges);
}

std::size_t coverage_channel::processes_seen() const {
  return impl_->map->processes_attached;
}

void coverage_channel::read_counts(std::vector<std::uint8_t>& counts) {
  map_type& m = *impl_->map;
  const std::size_t edges = edges_total();
  counts.assign(m.exited, m.exited + edges);
  const std::uint32_t modules =
      std::min<std::uint32_t>(m.module_count, tcpcheck_coverage_most_modules);
  for (const auto& process : m.processes) {
    const std::int32_t pid = __atomic_load_n(&process.pid, __ATOMIC_ACQUIRE);
    if (pid <= 0) continue;
    for (std::uint32_t k = 0; k < modules; ++k) {
      const auto& module = m.modules[k];
      if (!process.counters[k] || module.first_edge + module.edges > edges) continue;
      if (!impl_->read_process(pid, process.counters[k], module.edges)) break;
      for (std::uint32_t e = 0; e < module.edges; ++e)
        counts[module.first_edge + e] += impl_->scratch[e];
    }
  }
}

comparisons coverage_channel::take_comparisons() {
  map_type& m = *impl_->map;
  comparisons out;
  std::vector<byte_buffer> numbers, strings;
  const std::uint32_t int_end = __atomic_load_n(&m.int_cmp_next, __ATOMIC_ACQUIRE);
  std::uint32_t i = first_unread(impl_->int_read, int_end, tcpcheck_coverage_int_cmps);
  for (; i < int_end; ++i) {
    const auto& c = m.int_cmps[i % tcpcheck_coverage_int_cmps];
    const unsigned width = std::clamp(c.size, 1u, 8u);
    // A constant from the code is what the server looks for; of two
    // variables (a stored magic against the input) only multi-byte values
    // are worth a word: the input's own bytes vary with every case.
    if (c.constant) {
      if (looks_like_address(c.a)) continue;
      add_integer_words(c.a, width, numbers);
      add_integer_replacements(c.b, c.a, width, out.replacements);
      // A u16 is often compared as an int: the narrowest width that holds
      // both values finds it in the input too.
      const unsigned narrow = std::max(smallest_width(c.a), smallest_width(c.b));
      if (narrow > 1 && narrow < width)
        add_integer_replacements(c.b, c.a, narrow, out.replacements);
      continue;
    }
    for (const std::uint64_t v : {c.a, c.b})
      if (v >= 256 && !looks_like_address(v)) add_integer_words(v, width, numbers);
  }
  impl_->int_read = int_end;
  const std::uint32_t mem_end = __atomic_load_n(&m.mem_cmp_next, __ATOMIC_ACQUIRE);
  std::uint32_t j = first_unread(impl_->mem_read, mem_end, tcpcheck_coverage_mem_cmps);
  for (; j < mem_end; ++j) {
    const auto& c = m.mem_cmps[j % tcpcheck_coverage_mem_cmps];
    const byte_buffer a(c.a,
                        c.a + std::min<std::size_t>(c.length_a, tcpcheck_coverage_mem_cmp_bytes));
    const byte_buffer b(c.b,
                        c.b + std::min<std::size_t>(c.length_b, tcpcheck_coverage_mem_cmp_bytes));
    // The server's own strings (literals, in its image) are what it looks
    // for; the other operand is most often the input.
    const bool a_constant = c.constant & 1, b_constant = c.constant & 2;
    if (!a.empty() && a_constant) strings.push_back(a);
    if (!b.empty() && b_constant) strings.push_back(b);
    if (a_constant != b_constant && !a.empty() && !b.empty())
      out.replacements.push_back(a_constant ? replacement{b, a} : replacement{a, b});
  }
  impl_->mem_read = mem_end;
  // Every 16th take the server records every comparison again: its
  // filter of seen ones would otherwise keep a wrapped ring empty.
  if (++impl_->takes % 16 == 0) __atomic_add_fetch(&m.cmp_epoch, 1u, __ATOMIC_RELAXED);
  for (const auto& [from, to] :
       {std::pair{&numbers, &out.numbers}, std::pair{&strings, &out.strings}})
    for (auto& w : *from)
      if (impl_->words_given.insert(std::string(w.begin(), w.end())).second)
        to->push_back(std::move(w));
  std::erase_if(out.replacements, [&](const replacement& r) {
    return !impl_->replacements_given
                .insert(std::string(r.from.begin(), r.from.end()) + '\0' +
                        std::string(r.to.begin(), r.to.end()))
                .second;
  });
  return out;
}

std::vector<server_function> coverage_channel::functions() {
  map_type& m = *impl_->map;
  std::int32_t pid = 0;
  for (const auto& process : m.processes)
    if ((pid = process.pid) > 0) break;
  std::vector<server_function> out;
  if (pid <= 0) return out;
  for (std::uint32_t k = 0;
       k < std::min<std::uint32_t>(m.module_count, tcpcheck_coverage_most_modules); ++k) {
    const auto& module = m.modules[k];
    if (!module.pcs || !impl_->read_process(pid, module.pcs, std::size_t{module.edges} * 16))
      continue;
    for (std::uint32_t e = 0; e < module.edges; ++e) {
      std::uint64_t pc = 0, flags = 0;
      std::memcpy(&pc, &impl_->scratch[std::size_t{e} * 16], 8);
      std::memcpy(&flags, &impl_->scratch[std::size_t{e} * 16 + 8], 8);
      if (!(flags & 1)) continue; // not a function's entry block
      out.push_back(
          {module.first_edge + e, module.path, module.is_executable ? pc : pc - module.base});
    }
  }
  return out;
}

std::vector<std::string> symbolize(const std::vector<server_function>& functions) {
  std::vector<std::string> names(functions.size());
  std::map<std::string, std::vector<std::size_t>> by_module;
  for (std::size_t i = 0; i < functions.size(); ++i)
    by_module[functions[i].module].push_back(i);
  for (const auto& [module, indices] : by_module) {
    // addr2line (binutils) prints two lines per address: the function, then file:line.
    std::string command = "addr2line -f -C -e " + shell_quote(module);
    for (const auto i : indices) {
      char hex[24];
      std::snprintf(hex, sizeof hex, " 0x%llx",
                    static_cast<unsigned long long>(functions[i].address));
      command += hex;
    }
    command += " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) continue;
    std::array<char, 4096> line;
    for (std::size_t k = 0; k < indices.size() && std::fgets(line.data(), line.size(), pipe); ++k) {
      std::string name(line.data());
      while (!name.empty() && (name.back() == '\n' || name.back() == '\r'))
        name.pop_back();
      names[indices[k]] = name == "??" ? "" : name;
      if (!std::fgets(line.data(), line.size(), pipe)) break; // file:line
    }
    ::pclose(pipe);
  }
  return names;
}

} // namespace tcpcheck::harness

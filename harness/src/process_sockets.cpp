#include "process_sockets.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tcpcheck::harness {

namespace {

// The inodes of the sockets listening on `port`, from the kernel's tables.
std::vector<unsigned long> listening_inodes(std::uint16_t port, bool udp) {
  // A UDP socket that is bound and not connected shows state 07 (CLOSE).
  const std::string_view listen_state = udp ? "07" : "0A";
  const auto tables = udp ? std::array{"/proc/net/udp", "/proc/net/udp6"}
                          : std::array{"/proc/net/tcp", "/proc/net/tcp6"};
  std::vector<unsigned long> inodes;
  for (const char* table : tables) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line); // the header
    while (std::getline(in, line)) {
      // sl local remote st tx:rx tr:when retrnsmt uid timeout inode
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const auto colon = local.rfind(':');
      if (!fields || state != listen_state || colon == std::string::npos) continue;
      if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) inodes.push_back(inode);
    }
  }
  return inodes;
}

// The process group of the process whose /proc directory is `dir`: the
// fifth field of its stat, counted after the command name's closing
// parenthesis (the name may hold spaces and parentheses).
bool in_group(const std::filesystem::path& dir, pid_t group) {
  std::ifstream in(dir / "stat");
  std::string stat;
  std::getline(in, stat);
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return false;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string state;
  long parent = 0, process_group = 0;
  fields >> state >> parent >> process_group;
  return fields && process_group == group;
}

// Whether the process whose /proc directory is `dir` holds one of `inodes`
// open ("socket:[inode]" links in its fd directory).
bool holds_one_of(const std::filesystem::path& dir, const std::vector<unsigned long>& inodes) {
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator(dir / "fd", ec)) {
    const std::string link = std::filesystem::read_symlink(fd.path(), ec).string();
    if (ec || !link.starts_with("socket:[")) continue;
    const unsigned long inode = std::strtoul(link.c_str() + 8, nullptr, 10);
    if (std::find(inodes.begin(), inodes.end(), inode) != inodes.end()) return true;
  }
  return false;
}

} // namespace

port_listener listener_on(std::uint16_t port, bool udp, pid_t group) {
  const auto inodes = listening_inodes(port, udp);
  if (inodes.empty()) return port_listener::nobody;
  if (group <= 0) return port_listener::another_program;
  // Most often the spawned program itself listens, and it leads its group
  // (its pid is the group's id): one look, not a walk over every process.
  const std::string leader_pid = std::to_string(group);
  const std::filesystem::path leader = "/proc/" + leader_pid;
  if (in_group(leader, group) && holds_one_of(leader, inodes)) return port_listener::the_group;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name == leader_pid ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (in_group(entry.path(), group) && holds_one_of(entry.path(), inodes))
      return port_listener::the_group;
  }
  return port_listener::another_program;
}

} // namespace tcpcheck::harness

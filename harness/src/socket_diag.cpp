// Exact lookups of one socket through NETLINK_SOCK_DIAG: the peer of a
// connection (the socket whose own address is our remote address and whose
// remote address is ours), or a listener (found by its address and port).
#include "tcpcheck/harness/socket_diag.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <fstream>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace tcpcheck::harness {

namespace {

using detail::diag_request;

// Copies a socket address's port and address into the diag id's fields.
bool copy_address(const sockaddr_storage& from, __be16& port, __be32 (&address)[4]) {
  if (from.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(from);
    port = v4.sin_port;
    std::memcpy(address, &v4.sin_addr, sizeof v4.sin_addr);
    return true;
  }
  if (from.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(from);
    port = v6.sin6_port;
    std::memcpy(address, &v6.sin6_addr, sizeof v6.sin6_addr);
    return true;
  }
  return false;
}

// The request for the socket at the other end of a connection from
// `local` to `remote`.
std::optional<diag_request> request_for_peer(const sockaddr_storage& local,
                                             const sockaddr_storage& remote) {
  if (local.ss_family != remote.ss_family) return std::nullopt;
  diag_request r{};
  r.header.nlmsg_len = sizeof r;
  r.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.header.nlmsg_flags = NLM_F_REQUEST;
  r.body.sdiag_family = static_cast<__u8>(local.ss_family);
  r.body.sdiag_protocol = IPPROTO_TCP;
  r.body.idiag_states = ~0u;
  r.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  r.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  // Seen from the peer, its source is our remote end.
  if (!copy_address(remote, r.body.id.idiag_sport, r.body.id.idiag_src) ||
      !copy_address(local, r.body.id.idiag_dport, r.body.id.idiag_dst))
    return std::nullopt;
  return r;
}

// The request for the socket at the other end of `fd`, whose remote
// address is `remote` when given and asked of the kernel otherwise.
std::optional<diag_request> request_for_peer_of(int fd, const sockaddr* remote = nullptr,
                                                socklen_t remote_size = 0) {
  sockaddr_storage local{}, far{};
  socklen_t local_size = sizeof local, far_size = sizeof far;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return {};
  if (remote && remote_size <= sizeof far)
    std::memcpy(&far, remote, remote_size);
  else if (::getpeername(fd, reinterpret_cast<sockaddr*>(&far), &far_size) != 0)
    return {};
  return request_for_peer(local, far);
}

// Closes the netlink socket when its thread ends.
struct owned_fd {
  int fd = -1;
  ~owned_fd() {
    if (fd >= 0) ::close(fd);
  }
};

// One diagnostics socket per thread, kept for the thread's life: opening
// and closing one per lookup were two of the six system calls a lookup
// cost (the addresses, now read once per connection, were two more). One
// that could not be opened (out of descriptors) is tried again next time.
int diag_socket() {
  thread_local owned_fd diag;
  if (diag.fd < 0) diag.fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  return diag.fd;
}

// Sends one lookup and reads its answer: the socket found, or nothing.
std::optional<inet_diag_msg> look_up(diag_request request) {
  const int diag = diag_socket();
  if (diag < 0) return std::nullopt;
  thread_local std::uint32_t sequence = 0;
  request.header.nlmsg_seq = ++sequence;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(diag, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != static_cast<ssize_t>(sizeof request))
    return std::nullopt;
  // The kernel answers while it handles the request: the reply is queued
  // before sendto() returns, so these reads never wait. The socket lives on,
  // so an answer an earlier lookup left unread is passed over by its number.
  // Not zeroed: recv() fills what is read, and only that is looked at
  // (zeroing 8 KiB at every lookup showed in the fuzzer's profile).
  alignas(nlmsghdr) std::array<char, 8192> reply;
  for (int stale = 0; stale < 8; ++stale) {
    const ssize_t got = ::recv(diag, reply.data(), reply.size(), MSG_DONTWAIT);
    if (got < static_cast<ssize_t>(NLMSG_LENGTH(0))) return std::nullopt;
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply.data());
    if (header->nlmsg_seq != request.header.nlmsg_seq) continue;
    if (got < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(inet_diag_msg))) ||
        header->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
        header->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
      return std::nullopt; // NLMSG_ERROR: no such socket here
    inet_diag_msg found;
    std::memcpy(&found, NLMSG_DATA(header), sizeof found);
    return found;
  }
  return std::nullopt;
}

} // namespace

connection_peer::connection_peer(int fd) : request_(request_for_peer_of(fd)) {}

connection_peer::connection_peer(int fd, const sockaddr* remote, socklen_t remote_size)
    : request_(request_for_peer_of(fd, remote, remote_size)) {}

std::optional<std::size_t> connection_peer::unread() const {
  if (!request_) return std::nullopt;
  const auto found = look_up(*request_);
  if (!found) return std::nullopt;
  return found->idiag_rqueue;
}

std::optional<std::size_t> unread_by_peer(int fd) {
  return connection_peer(fd).unread();
}

std::optional<accept_queue> accept_queue_of(const std::string& address, std::uint16_t port) {
  diag_request r{};
  r.header.nlmsg_len = sizeof r;
  r.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  r.header.nlmsg_flags = NLM_F_REQUEST;
  r.body.sdiag_protocol = IPPROTO_TCP;
  r.body.idiag_states = 1u << 10; // TCP_LISTEN
  r.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  r.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  r.body.id.idiag_sport = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), r.body.id.idiag_src) == 1)
    r.body.sdiag_family = AF_INET;
  else if (::inet_pton(AF_INET6, address.c_str(), r.body.id.idiag_src) == 1)
    r.body.sdiag_family = AF_INET6;
  else
    return std::nullopt;
  const auto found = look_up(r);
  // A listener's queues: accepted-not-yet (rqueue) and the most (wqueue).
  if (!found || found->idiag_state != 10) return std::nullopt;
  return accept_queue{found->idiag_rqueue, found->idiag_wqueue};
}

std::optional<std::uint64_t> listen_overflows() {
  // Two "TcpExt:" lines: the counters' names, then their values.
  std::ifstream netstat("/proc/net/netstat");
  std::string names, values;
  while (std::getline(netstat, names))
    if (names.starts_with("TcpExt:")) break;
  if (!std::getline(netstat, values) || !values.starts_with("TcpExt:")) return std::nullopt;
  std::istringstream name_words(names), value_words(values);
  std::string name, value;
  while (name_words >> name && value_words >> value)
    if (name == "ListenOverflows") return std::stoull(value);
  return std::nullopt;
}

} // namespace tcpcheck::harness

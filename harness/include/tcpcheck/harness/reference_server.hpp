// Reference servers: correct, concurrent servers for the seed articles'
// protocols, to point scripts at (`tcpcheck serve`) and to test against.
//
//   echo       raw echo: every byte back as it came (seeds 000/001)
//   greeting   "Welcome!" on connect, then "Hello, NAME" for every line,
//              "Good bye!" and close on "exit" (seed 002), line framing
//   hello      "Server: Welcome!", "What's your name?", then "Hello NAME!"
//              and the question again for every name, "Good bye!" and
//              close on "exit" (seed 003), line framing
//   lenprefix  echo of struct.pack('i') length-prefixed messages, as
//              len:i32le frames (seed 004)
//   naive-greeting
//              the greeting protocol with the seed articles' bug kept on
//              purpose: each recv() is taken as one message (its trailing
//              newline stripped), so a name cut in two gets two greetings
//              and two names in one read get one. `tcpcheck demo` checks it
//              beside `greeting` to show what the bug looks like.
//   udp-echo   every UDP datagram back to its sender, from the port it was
//              sent to, whole (up to 65,507 bytes over IPv4) and empty ones
//              too (an empty datagram gets an empty answer); datagram framing
//
// Each runs on its own thread, binds to loopback unless told otherwise, and
// stops cleanly on stop() or destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tcpcheck::harness {

enum class reference_protocol { echo, greeting, hello, lenprefix, naive_greeting, udp_echo };

/// "echo", "greeting", "hello", "lenprefix", "naive-greeting", "udp-echo"; nullopt for
/// anything else.
std::optional<reference_protocol> parse_reference_protocol(std::string_view name);
std::string_view name_of(reference_protocol protocol);
/// The framing spec a script for this protocol uses ("raw", "line", "len:i32le",
/// "datagram").
std::string_view framing_of(reference_protocol protocol);

class reference_server {
public:
  /// Binds `address`:`port` (port 0: any free port; a UDP port for udp-echo,
  /// a TCP one for the others) and starts serving on a thread of its own.
  /// Throws std::system_error if it cannot bind.
  reference_server(reference_protocol protocol, const std::string& address = "127.0.0.1",
                   std::uint16_t port = 0);
  ~reference_server(); ///< stops
  reference_server(const reference_server&) = delete;
  reference_server& operator=(const reference_server&) = delete;

  std::uint16_t port() const noexcept;
  std::string address() const; ///< the bound address, e.g. "127.0.0.1"
  /// Stops accepting (or receiving), closes every connection, joins the
  /// thread. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tcpcheck::harness

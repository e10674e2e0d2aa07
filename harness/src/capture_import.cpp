// Importing a capture: packets read and TCP streams reassembled by libtins,
// what they carried fed to the conversation recorder.
#include "tcpcheck/harness/capture_import.hpp"

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <tins/ethernetII.h>
#include <tins/exceptions.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/packet.h>
#include <tins/rawpdu.h>
#include <tins/sll.h>
#include <tins/sniffer.h>
#include <tins/tcp.h>
#include <tins/tcp_ip/stream.h>
#include <tins/tcp_ip/stream_follower.h>
#include <tins/tcp_ip/stream_identifier.h>
#include <utility>

namespace tcpcheck::harness {

namespace {

using Tins::TCPIP::Stream;
using Tins::TCPIP::StreamFollower;
using Tins::TCPIP::StreamIdentifier;

// Streams ended recently: a segment of one that comes after its end (a
// retransmission, a late ACK with data) is not a new stream.
constexpr std::size_t most_ended_remembered = 4096;

std::string quoted(const std::string& path) {
  return "'" + path + "'";
}

// ---- reading packets ----

// Linux cooked capture v2 (tcpdump 4.99 on `-i any`); pcap/dlt.h names it
// only from libpcap 1.10 on.
constexpr int dlt_linux_sll2 = 276;

std::uint16_t big_endian_u16(const std::uint8_t* at) {
  return static_cast<std::uint16_t>(at[0] << 8 | at[1]);
}

// An IPv4 or IPv6 packet, as its version says.
std::unique_ptr<Tins::PDU> ip_packet(const std::uint8_t* data, std::uint32_t size) {
  if (size != 0 && (data[0] >> 4) == 6) return std::make_unique<Tins::IPv6>(data, size);
  return std::make_unique<Tins::IP>(data, size);
}

// What follows a link header that names its network protocol: IPv4, IPv6,
// or else the bytes as they are (no TCP in them: skipped).
std::unique_ptr<Tins::PDU> network_layer(bool ipv4, bool ipv6, const std::uint8_t* data,
                                         std::uint32_t size) {
  if (ipv4) return std::make_unique<Tins::IP>(data, size);
  if (ipv6) return std::make_unique<Tins::IPv6>(data, size);
  return std::make_unique<Tins::RawPDU>(data, size);
}

// Linux cooked v2: a 20-byte header whose first two bytes, big-endian, are
// the protocol (an Ethernet type); interface, ARPHRD type, packet type and
// address follow, none of them needed here.
std::unique_ptr<Tins::PDU> linux_sll2(const std::uint8_t* data, std::uint32_t size) {
  constexpr std::uint32_t header = 20;
  if (size < header) throw Tins::malformed_packet();
  const std::uint16_t protocol = big_endian_u16(data);
  return network_layer(protocol == 0x0800, protocol == 0x86dd, data + header, size - header);
}

// BSD loopback: a 4-byte address family, in the byte order of the host that
// wrote it (DLT_NULL) or big-endian (DLT_LOOP). Families are small numbers,
// so one that is not is the other order. AF_INET is 2 everywhere, AF_INET6
// 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS). (libtins's Loopback
// takes only AF_INET, and in this host's order.)
std::unique_ptr<Tins::PDU> bsd_loopback(const std::uint8_t* data, std::uint32_t size) {
  constexpr std::uint32_t header = 4;
  if (size < header) throw Tins::malformed_packet();
  std::uint32_t family = static_cast<std::uint32_t>(data[0]) | data[1] << 8 | data[2] << 16 |
                         static_cast<std::uint32_t>(data[3]) << 24;
  if ((family & 0xffff0000u) != 0)
    family = (family >> 24) | (family >> 8 & 0xff00u) | (family << 8 & 0xff0000u) | (family << 24);
  return network_layer(family == 2, family == 24 || family == 28 || family == 30, data + header,
                       size - header);
}

// The frame's link layer, as libpcap names it, parsed by libtins or here.
// Raw frames are taken from the sniffer and parsed here, so that a link
// type libtins does not know is refused by name rather than skipped.
std::unique_ptr<Tins::PDU> parse_link_layer(int link_type,
                                            const Tins::RawPDU::payload_type& bytes) {
  const auto* data = bytes.data();
  const auto size = static_cast<std::uint32_t>(bytes.size());
  switch (link_type) {
  case DLT_EN10MB:
    return std::make_unique<Tins::EthernetII>(data, size);
  case DLT_LINUX_SLL:
    return std::make_unique<Tins::SLL>(data, size);
  case dlt_linux_sll2:
    return linux_sll2(data, size);
  case DLT_NULL:
  case DLT_LOOP:
    return bsd_loopback(data, size);
  default: // raw IP: the version says which
    return ip_packet(data, size);
  }
}

bool link_type_read(int link_type) {
  switch (link_type) {
  case DLT_EN10MB:
  case DLT_LINUX_SLL:
  case dlt_linux_sll2:
  case DLT_NULL:
  case DLT_LOOP:
  case DLT_RAW:
#ifdef DLT_IPV4
  case DLT_IPV4:
  case DLT_IPV6:
#endif
    return true;
  default:
    return false;
  }
}

std::unique_ptr<Tins::FileSniffer> open_capture(const capture_import_options& options) {
  using error = capture_import_error;
  Tins::SnifferConfiguration config;
  if (!options.filter.empty()) config.set_filter(options.filter);
  std::unique_ptr<Tins::FileSniffer> sniffer;
  try {
    sniffer = std::make_unique<Tins::FileSniffer>(options.path, config);
  } catch (const Tins::invalid_pcap_filter& e) { // the file opened: the filter is at fault
    throw error(error::kind::bad_filter, "bad filter '" + options.filter + "': " + e.what());
  } catch (const std::exception& e) {
    throw error(error::kind::unreadable, "cannot read " + quoted(options.path) + ": " + e.what());
  }
  if (!link_type_read(sniffer->link_type()))
    throw error(
        error::kind::unreadable,
        "cannot read " + quoted(options.path) + ": its link type " +
            std::to_string(sniffer->link_type()) +
            " is none tcpcheck reads (Ethernet, Linux cooked v1 or v2, BSD loopback, raw IP)");
  sniffer->set_extract_raw_pdus(true);
  return sniffer;
}

// ---- following streams ----

struct endpoint {
  StreamIdentifier::address_type address{};
  std::uint16_t port = 0;
  std::string text;
  bool operator==(const endpoint& other) const {
    return address == other.address && port == other.port;
  }
};

endpoint endpoint_of(const Tins::PDU& packet, bool source) {
  const Tins::TCP& tcp = packet.rfind_pdu<Tins::TCP>();
  endpoint e;
  e.port = source ? tcp.sport() : tcp.dport();
  if (const auto* ip = packet.find_pdu<Tins::IP>()) {
    const auto address = source ? ip->src_addr() : ip->dst_addr();
    e.address = StreamIdentifier::serialize(address);
    e.text = address.to_string() + ":" + std::to_string(e.port);
  } else {
    const auto& ip6 = packet.rfind_pdu<Tins::IPv6>();
    const auto address = source ? ip6.src_addr() : ip6.dst_addr();
    e.address = StreamIdentifier::serialize(address);
    e.text = "[" + address.to_string() + "]:" + std::to_string(e.port);
  }
  return e;
}

// Whether the sender of the packet that started a stream (libtins's
// "client") is the server: a SYN's sender is the client, a SYN-ACK's the
// server; in a stream picked up without them, the server has `port`, or
// else the lower port.
bool sender_is_server(const Tins::TCP& tcp, std::optional<std::uint16_t> port) {
  if (tcp.flags() & Tins::TCP::SYN) return (tcp.flags() & Tins::TCP::ACK) != 0;
  if (port && tcp.sport() != tcp.dport()) return tcp.sport() == *port;
  return tcp.sport() < tcp.dport();
}

// Sequence numbers wrap: `seq` has reached `target` when it is at most 2^31 past it.
bool reached(std::uint32_t seq, std::uint32_t target) {
  return static_cast<std::int32_t>(seq - target) >= 0;
}

std::uint32_t payload_size(const Tins::TCP& tcp) {
  const auto* raw = tcp.find_pdu<Tins::RawPDU>();
  return raw ? raw->payload_size() : 0;
}

struct tracked_stream {
  Stream* stream = nullptr;
  std::size_t connection = 0;
  bool swapped = false; // libtins's client is the server
  endpoint client;
  std::string name;                                    // "CLIENT -> SERVER", for notes
  std::array<std::optional<std::uint32_t>, 2> fin_end; // by side: the sequence its FIN ends
  std::array<bool, 2> ended{};

  static std::size_t index(traffic_side side) { return side == traffic_side::client ? 0 : 1; }
  Tins::TCPIP::Flow& flow(traffic_side side) const {
    const bool libtins_client = (side == traffic_side::client) != swapped;
    return libtins_client ? stream->client_flow() : stream->server_flow();
  }
};

class stream_feeder {
public:
  stream_feeder(conversation_recorder& recorder, std::optional<std::uint16_t> port)
      : recorder_(recorder), port_(port) {
    follower_.follow_partial_streams(true);
    // Capture time, not the reader's: an idle hour is still one stream.
    follower_.stream_keep_alive(std::chrono::hours(1));
    follower_.new_stream_callback([this](Stream& s) { on_new_stream(s); });
    follower_.stream_termination_callback(
        [this](Stream& s, StreamFollower::TerminationReason why) { on_given_up(s, why); });
  }

  void process(Tins::Packet& packet) {
    const auto* tcp = packet.pdu()->find_pdu<Tins::TCP>();
    if (!tcp || (!packet.pdu()->find_pdu<Tins::IP>() && !packet.pdu()->find_pdu<Tins::IPv6>()))
      return;
    if (port_ && tcp->sport() != *port_ && tcp->dport() != *port_) return;
    const StreamIdentifier key = StreamIdentifier::make_identifier(*packet.pdu());
    const bool opening = (tcp->flags() & Tins::TCP::SYN) && !(tcp->flags() & Tins::TCP::ACK);
    if (ended_.count(key) != 0) {
      if (!opening) return;
      ended_.erase(key); // the same ports, a new connection
    }
    // libtins may move the payload out of the packet: what the FIN needs first.
    const bool fin = (tcp->flags() & Tins::TCP::FIN) != 0;
    const std::uint32_t fin_end = tcp->seq() + payload_size(*tcp);
    const endpoint from = endpoint_of(*packet.pdu(), true);
    current_ = packet.pdu();
    follower_.process_packet(packet);
    current_ = nullptr;
    const auto it = tracked_.find(key);
    if (!fin || it == tracked_.end()) return;
    tracked_stream& t = it->second;
    t.fin_end[tracked_stream::index(from == t.client ? traffic_side::client
                                                     : traffic_side::server)] = fin_end;
    end_finished_sides(t);
  }

  std::size_t streams() const noexcept { return streams_; }

  // Streams still open whose bytes after a gap never came.
  void note_gaps(std::vector<std::string>& out) const {
    for (const auto& [key, t] : tracked_)
      note_gap(t, out);
  }

  const std::vector<std::string>& notes() const noexcept { return notes_; }

private:
  void on_new_stream(Stream& s) {
    const Tins::TCP& tcp = current_->rfind_pdu<Tins::TCP>();
    tracked_stream t;
    t.stream = &s;
    t.swapped = sender_is_server(tcp, port_);
    const endpoint sender = endpoint_of(*current_, true), receiver = endpoint_of(*current_, false);
    t.client = t.swapped ? receiver : sender;
    t.name = t.client.text + " -> " + (t.swapped ? sender : receiver).text;
    t.connection = recorder_.open_connection();
    ++streams_;
    s.client_data_callback([this](Stream& st) { on_data(st, true); });
    s.server_data_callback([this](Stream& st) { on_data(st, false); });
    s.stream_closed_callback([this](Stream& st) { on_closed(st); });
    if (t.connection >= script_limits::most_connections) {
      s.ignore_client_data(); // the recording leaves it out: hold none of it
      s.ignore_server_data();
    }
    tracked_[StreamIdentifier::make_identifier(s)] = std::move(t);
  }

  tracked_stream* find(const Stream& s) {
    const auto it = tracked_.find(StreamIdentifier::make_identifier(s));
    return it == tracked_.end() ? nullptr : &it->second;
  }

  void on_data(Stream& s, bool libtins_client) {
    tracked_stream* t = find(s);
    if (!t) return;
    const traffic_side side =
        libtins_client != t->swapped ? traffic_side::client : traffic_side::server;
    const auto& payload = libtins_client ? s.client_payload() : s.server_payload();
    recorder_.data(t->connection, side, byte_view(payload.data(), payload.size()));
    end_finished_sides(*t);
  }

  void end_side(tracked_stream& t, traffic_side side, stream_end how) {
    if (t.ended[tracked_stream::index(side)]) return;
    t.ended[tracked_stream::index(side)] = true;
    recorder_.end(t.connection, side, how);
  }

  // A side's FIN ends it once every byte before the FIN is in: a FIN that
  // overtook a segment waits for it.
  void end_finished_sides(tracked_stream& t) {
    for (const auto side : {traffic_side::client, traffic_side::server}) {
      const auto& end = t.fin_end[tracked_stream::index(side)];
      if (end && reached(t.flow(side).sequence_number(), *end)) end_side(t, side, stream_end::fin);
    }
  }

  // libtins is done with the stream (both FINs, or a RST): what the flows
  // say, FINs before a RST, since a RST ends everything.
  void on_closed(Stream& s) {
    tracked_stream* t = find(s);
    if (!t) return;
    note_gap(*t, notes_);
    for (const auto state : {Tins::TCPIP::Flow::FIN_SENT, Tins::TCPIP::Flow::RST_SENT})
      for (const auto side : {traffic_side::client, traffic_side::server})
        if (t->flow(side).state() == state)
          end_side(*t, side,
                   state == Tins::TCPIP::Flow::FIN_SENT ? stream_end::fin : stream_end::reset);
    forget(s);
  }

  void on_given_up(Stream& s, StreamFollower::TerminationReason why) {
    tracked_stream* t = find(s);
    if (!t) return;
    notes_.push_back("stream " + t->name + ": libtins stopped following it (" +
                     (why == StreamFollower::TIMEOUT ? "idle for an hour of capture time"
                                                     : "too much data held out of order") +
                     "): its later bytes are left out");
    forget(s);
  }

  static void note_gap(const tracked_stream& t, std::vector<std::string>& out) {
    const std::uint64_t held = t.stream->client_flow().total_buffered_bytes() +
                               t.stream->server_flow().total_buffered_bytes();
    if (held != 0)
      out.push_back("stream " + t.name + ": " + std::to_string(held) +
                    " bytes after a gap the capture does not fill were never delivered");
  }

  void forget(const Stream& s) {
    const StreamIdentifier key = StreamIdentifier::make_identifier(s);
    tracked_.erase(key);
    if (ended_order_.size() == most_ended_remembered) {
      ended_.erase(ended_order_.front());
      ended_order_.pop_front();
    }
    if (ended_.insert(key).second) ended_order_.push_back(key);
  }

  conversation_recorder& recorder_;
  std::optional<std::uint16_t> port_;
  StreamFollower follower_;
  const Tins::PDU* current_ = nullptr; // the packet being processed
  std::map<StreamIdentifier, tracked_stream> tracked_;
  std::set<StreamIdentifier> ended_;
  std::deque<StreamIdentifier> ended_order_;
  std::size_t streams_ = 0;
  std::vector<std::string> notes_; // the importer's own
};

} // namespace

capture_import_result import_capture(const capture_import_options& options) {
  conversation_recorder recorder(options.recording);
  const auto sniffer = open_capture(options);
  const int link_type = sniffer->link_type();
  stream_feeder feeder(recorder, options.port);
  capture_import_result result;
  std::uint64_t unparsed = 0;
  for (;;) {
    const Tins::Packet raw(sniffer->next_packet()); // owns the PDU
    if (!raw.pdu()) break;
    ++result.packets;
    try {
      Tins::Packet packet(
          parse_link_layer(link_type, raw.pdu()->rfind_pdu<Tins::RawPDU>().payload()).release(),
          raw.timestamp(), Tins::Packet::own_pdu());
      feeder.process(packet);
    } catch (const Tins::malformed_packet&) {
      ++unparsed;
    } catch (const Tins::pdu_not_found&) {
      ++unparsed;
    }
  }
  if (feeder.streams() == 0)
    throw capture_import_error(capture_import_error::kind::nothing_matched,
                               "no TCP stream in " + quoted(options.path) + " matched" +
                                   (options.port ? " port " + std::to_string(*options.port) : "") +
                                   (options.filter.empty() ? "" : " and the filter") +
                                   ": nothing to import");
  result.recorded = recorder.finish();
  result.notes = recorder.notes();
  result.notes.insert(result.notes.end(), feeder.notes().begin(), feeder.notes().end());
  feeder.note_gaps(result.notes);
  if (unparsed != 0)
    result.notes.push_back(
        std::to_string(unparsed) +
        " packets could not be parsed (cut short or malformed) and are left out");
  result.streams = feeder.streams();
  return result;
}

} // namespace tcpcheck::harness

// Tests for capture_import.hpp: pcap files written here with libtins, segment
// by segment, imported back as scripts.
#include "tcpcheck/harness/capture_import.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <tins/ethernetII.h>
#include <tins/ip.h>
#include <tins/ipv6.h>
#include <tins/packet.h>
#include <tins/packet_writer.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>
#include <vector>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

using strings = std::vector<std::string>;

strings steps_of(const script& s) {
  strings out;
  for (const auto& step : s.steps)
    out.push_back(to_string(step));
  return out;
}

struct peer {
  std::string address;
  std::uint16_t port = 0;
};

// One TCP connection's segments, numbered from each side's initial
// sequence number: `data(side, 5, ...)` is the side's stream from byte 5.
class tcp_connection {
public:
  tcp_connection(peer client, peer server, std::uint32_t client_isn = 1000,
                 std::uint32_t server_isn = 5000)
      : client_(std::move(client)), server_(std::move(server)), client_isn_(client_isn),
        server_isn_(server_isn) {}

  Tins::EthernetII syn() const {
    return segment(traffic_side::client, client_isn_, 0, Tins::TCP::SYN, "");
  }
  Tins::EthernetII syn_ack() const {
    return segment(traffic_side::server, server_isn_, client_isn_ + 1,
                   Tins::TCP::SYN | Tins::TCP::ACK, "");
  }
  Tins::EthernetII ack() const {
    return segment(traffic_side::client, client_isn_ + 1, server_isn_ + 1, Tins::TCP::ACK, "");
  }
  // `seen` is what the sender has received of the other side's stream.
  Tins::EthernetII data(traffic_side from, std::uint32_t at, std::string_view payload,
                        std::uint32_t seen = 0, std::uint16_t flags = 0) const {
    return segment(from, first_byte(from) + at, first_byte(other(from)) + seen,
                   Tins::TCP::ACK | Tins::TCP::PSH | flags, payload);
  }
  Tins::EthernetII fin(traffic_side from, std::uint32_t at, std::uint32_t seen = 0) const {
    return segment(from, first_byte(from) + at, first_byte(other(from)) + seen,
                   Tins::TCP::FIN | Tins::TCP::ACK, "");
  }
  Tins::EthernetII rst(traffic_side from, std::uint32_t at) const {
    return segment(from, first_byte(from) + at, 0, Tins::TCP::RST, "");
  }

private:
  static traffic_side other(traffic_side side) {
    return side == traffic_side::client ? traffic_side::server : traffic_side::client;
  }
  std::uint32_t first_byte(traffic_side side) const {
    return (side == traffic_side::client ? client_isn_ : server_isn_) + 1;
  }
  Tins::EthernetII segment(traffic_side from, std::uint32_t seq, std::uint32_t ack,
                           std::uint16_t flags, std::string_view payload) const {
    const peer& src = from == traffic_side::client ? client_ : server_;
    const peer& dst = from == traffic_side::client ? server_ : client_;
    Tins::TCP tcp(dst.port, src.port);
    tcp.seq(seq);
    tcp.ack_seq(ack);
    tcp.flags(flags);
    Tins::EthernetII packet = src.address.find(':') == std::string::npos
                                  ? Tins::EthernetII() / Tins::IP(dst.address, src.address) / tcp
                                  : Tins::EthernetII() / Tins::IPv6(dst.address, src.address) / tcp;
    if (!payload.empty()) packet /= Tins::RawPDU(std::string(payload));
    return packet;
  }

  peer client_, server_;
  std::uint32_t client_isn_, server_isn_;
};

constexpr auto client = traffic_side::client;
constexpr auto server = traffic_side::server;
const peer redis{"127.0.0.1", 6379};

// A pcap file in the test's temporary directory, removed at the end.
class capture_file {
public:
  explicit capture_file(const std::string& name) : path_(testing::TempDir() + name + ".pcap") {}
  ~capture_file() { std::remove(path_.c_str()); }
  capture_file(const capture_file&) = delete;
  capture_file& operator=(const capture_file&) = delete;

  void write(std::vector<Tins::EthernetII> packets) const {
    Tins::PacketWriter writer(path_, Tins::DataLinkType<Tins::EthernetII>());
    std::chrono::microseconds at{1'700'000'000'000'000};
    for (auto& p : packets) {
      at += std::chrono::milliseconds(1);
      Tins::Packet packet(p, Tins::Timestamp(at));
      writer.write(packet);
    }
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// The same packets as a pcapng file (libtins writes only pcap): a section
// header, one Ethernet interface, an enhanced packet block per packet.
void write_pcapng(const std::string& path, std::vector<Tins::EthernetII> packets) {
  std::string out;
  const auto words = [&](std::initializer_list<std::uint32_t> values) {
    for (std::uint32_t v : values) // this machine's byte order, which the magic announces
      out.append(reinterpret_cast<const char*>(&v), 4);
  };
  // type, length, byte-order magic, version 1.0 (two u16), section length unknown, length
  words({0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0xffffffff, 0xffffffff, 28});
  words({1, 20, 1 /* Ethernet; reserved 0 */, 262144 /* snap length */, 20});
  std::uint32_t usec = 0;
  for (auto& p : packets) {
    const auto bytes = p.serialize();
    const auto size = static_cast<std::uint32_t>(bytes.size());
    const std::uint32_t padded = (size + 3) / 4 * 4;
    usec += 1000;
    words({6, 32 + padded, 0 /* interface */, 0 /* time, high */, usec, size, size});
    out.append(bytes.begin(), bytes.end());
    out.append(padded - size, '\0');
    words({32 + padded});
  }
  std::ofstream(path, std::ios::binary) << out;
}

// A pcap file of another link type, written byte by byte (libtins writes
// only the types it builds): each packet's IP datagram behind `header`.
void write_pcap(const std::string& path, std::uint32_t link_type, const std::string& header,
                std::vector<Tins::EthernetII> packets) {
  std::string out;
  const auto words = [&](std::initializer_list<std::uint32_t> values) {
    for (std::uint32_t v : values) // this machine's byte order, which the magic announces
      out.append(reinterpret_cast<const char*>(&v), 4);
  };
  // magic, version 2.4 (two u16), zone, accuracy, snap length, link type
  words({0xa1b2c3d4, 2 | 4 << 16, 0, 0, 262144, link_type});
  std::uint32_t usec = 0;
  for (auto& p : packets) {
    const auto datagram = p.inner_pdu()->serialize();
    const auto size = static_cast<std::uint32_t>(header.size() + datagram.size());
    usec += 1000;
    words({1'700'000'000, usec, size, size});
    out += header;
    out.append(datagram.begin(), datagram.end());
  }
  std::ofstream(path, std::ios::binary) << out;
}

// Linux cooked v2's 20 bytes: protocol (big-endian), reserved, interface
// index, ARPHRD type (772, loopback), packet type (0, to us), address
// length, address.
std::string linux_sll2_header(std::uint16_t protocol) {
  std::string h(20, '\0');
  h[0] = static_cast<char>(protocol >> 8);
  h[1] = static_cast<char>(protocol & 0xff);
  h[7] = 1;
  h[8] = 0x03;
  h[9] = 0x04;
  h[11] = 6;
  return h;
}

capture_import_options options_for(const capture_file& file, std::string framing = "line") {
  capture_import_options o;
  o.path = file.path();
  o.recording.framing = std::move(framing);
  return o;
}

TEST(CaptureImport, ReassemblesSegmentsOutOfOrderAndRetransmittedOnce) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("out-of-order");
  file.write({c.syn(), c.syn_ack(), c.ack(),
              c.data(client, 2, "NG\nQU"),                      // ahead of the bytes before it
              c.data(client, 0, "PI"), c.data(client, 0, "PI"), // then those, twice
              c.data(client, 7, "IT\n"), c.data(server, 0, "+PONG\n", 10),
              c.data(server, 0, "+PONG\n", 10), // retransmitted
              c.fin(client, 10, 6), c.fin(server, 6, 11)});
  const auto imported = import_capture(options_for(file));
  EXPECT_EQ(steps_of(imported.recorded), (strings{"send \"PING\"", "send \"QUIT\"",
                                                  "expect \"+PONG\"", "shutdown", "expect close"}));
  EXPECT_EQ(imported.streams, 1u);
  EXPECT_EQ(imported.packets, 11u);
  EXPECT_TRUE(imported.notes.empty());
}

TEST(CaptureImport, ReadsPcapngToo) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("pcapng");
  write_pcapng(file.path(), {c.syn(), c.syn_ack(), c.ack(), c.data(client, 0, "PING\n"),
                             c.data(server, 0, "+PONG\n", 5)});
  EXPECT_EQ(steps_of(import_capture(options_for(file)).recorded),
            (strings{"send \"PING\"", "expect \"+PONG\""}));
}

TEST(CaptureImport, EndsASideOnlyOnceTheBytesBeforeItsFinAreIn) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("fin-first");
  file.write({c.syn(), c.syn_ack(), c.ack(), c.data(client, 2, "b\n", 0, Tins::TCP::FIN),
              c.data(client, 0, "a\n")});
  EXPECT_EQ(steps_of(import_capture(options_for(file)).recorded),
            (strings{"send \"a\"", "send \"b\"", "shutdown"}));
}

TEST(CaptureImport, RecordsInterleavedStreamsAsConnectionsInTheOrderTheirBytesCame) {
  const tcp_connection a({"127.0.0.1", 40000}, redis);
  const tcp_connection b({"127.0.0.1", 40001}, redis, 7000, 9000);
  capture_file file("interleaved");
  file.write({a.syn(), a.syn_ack(), a.ack(), a.data(client, 0, "one\n"), b.syn(), b.syn_ack(),
              b.ack(), b.data(client, 0, "two\n"), a.data(server, 0, "1\n", 4),
              b.data(server, 0, "2\n", 4), a.fin(client, 4, 2), b.rst(client, 4)});
  EXPECT_EQ(steps_of(import_capture(options_for(file)).recorded),
            (strings{"send \"one\"", "c2: connect", "c2: send \"two\"", "expect \"1\"",
                     "c2: expect \"2\"", "shutdown", "c2: reset"}));
}

TEST(CaptureImport, RecordsTheServersResetAsExpectReset) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("server-reset");
  file.write({c.syn(), c.syn_ack(), c.ack(), c.data(client, 0, "x\n"), c.rst(server, 0)});
  EXPECT_EQ(steps_of(import_capture(options_for(file)).recorded),
            (strings{"send \"x\"", "expect reset"}));
}

TEST(CaptureImport, FollowsAStreamWithoutItsSynAndTellsTheClientByThePort) {
  // The first packet seen is the server's: with the port, it is known as the server's.
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("no-syn");
  file.write({c.data(server, 0, "+hello\n"), c.data(client, 0, "PING\n", 7),
              c.data(server, 7, "+PONG\n", 5)});
  capture_import_options o = options_for(file);
  o.port = 6379;
  EXPECT_EQ(steps_of(import_capture(o).recorded),
            (strings{"expect \"+hello\"", "send \"PING\"", "expect \"+PONG\""}));
}

TEST(CaptureImport, TakesTheHigherPortForTheClientWithoutSynOrPort) {
  const tcp_connection c({"127.0.0.1", 40000}, {"127.0.0.1", 7000});
  capture_file file("no-syn-no-port");
  file.write({c.data(server, 0, "banner\n"), c.data(client, 0, "hi\n", 7)});
  EXPECT_EQ(steps_of(import_capture(options_for(file)).recorded),
            (strings{"expect \"banner\"", "send \"hi\""}));
}

TEST(CaptureImport, KeepsOnlyTheStreamsOnThePortOrThroughTheFilter) {
  const tcp_connection a({"127.0.0.1", 40000}, redis);
  const tcp_connection b({"127.0.0.1", 40001}, {"127.0.0.1", 7000});
  capture_file file("two-servers");
  file.write({a.syn(), a.syn_ack(), a.ack(), b.syn(), b.syn_ack(), b.ack(),
              a.data(client, 0, "for redis\n"), b.data(client, 0, "for 7000\n")});
  capture_import_options by_port = options_for(file);
  by_port.port = 7000;
  EXPECT_EQ(steps_of(import_capture(by_port).recorded), strings{"send \"for 7000\""});
  capture_import_options by_filter = options_for(file);
  by_filter.filter = "tcp port 6379";
  EXPECT_EQ(steps_of(import_capture(by_filter).recorded), strings{"send \"for redis\""});
}

TEST(CaptureImport, WritesTheRecordingOptionsIntoTheScript) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("options");
  file.write({c.syn(), c.syn_ack(), c.ack(), c.data(client, 0, "PING\r\n")});
  capture_import_options o = options_for(file, "line,crlf");
  o.recording.description = "checks: PING";
  o.recording.timeout = duration{2000};
  const script s = import_capture(o).recorded;
  EXPECT_EQ(to_string(s), "# checks: PING\nframing line,crlf\ntimeout 2s\n\nsend \"PING\"\n");
}

TEST(CaptureImport, ReadsLinuxCookedV2AsTcpdumpWritesItForAny) {
  // tcpdump 4.99 on `-i any`: link type 276. IPv4 and IPv6 are read; a
  // frame of another protocol is passed over, one cut short is counted.
  const tcp_connection a({"127.0.0.1", 40000}, redis);
  const tcp_connection b({"::1", 40001}, {"::1", 6379});
  capture_file file("sll2");
  const auto v4 = linux_sll2_header(0x0800), v6 = linux_sll2_header(0x86dd);
  write_pcap(file.path(), 276, v4, {a.syn(), a.syn_ack(), a.ack(), a.data(client, 0, "PING\n")});
  std::string appended;
  {
    capture_file v6_file("sll2-v6");
    write_pcap(
        v6_file.path(), 276, v6,
        {b.syn(), b.syn_ack(), b.ack(), b.data(client, 0, "HI\n"), b.data(server, 0, "+OK\n", 3)});
    std::ifstream in(v6_file.path(), std::ios::binary);
    appended.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string arp = linux_sll2_header(0x0806) + std::string(28, '\0');
  std::string short_frame = v4.substr(0, 10);
  std::ofstream out(file.path(), std::ios::binary | std::ios::app);
  out << appended.substr(24); // the records, without the file header
  for (const std::string* frame : {&arp, &short_frame}) {
    const std::uint32_t record[] = {1'700'000'001, 0, static_cast<std::uint32_t>(frame->size()),
                                    static_cast<std::uint32_t>(frame->size())};
    out.write(reinterpret_cast<const char*>(record), sizeof record) << *frame;
  }
  out.close();

  const auto imported = import_capture(options_for(file));
  EXPECT_EQ(steps_of(imported.recorded),
            (strings{"send \"PING\"", "c2: connect", "c2: send \"HI\"", "c2: expect \"+OK\""}));
  EXPECT_EQ(imported.packets, 11u);
  EXPECT_EQ(imported.notes,
            strings{"1 packets could not be parsed (cut short or malformed) and are left out"});
}

TEST(CaptureImport, ReadsBsdLoopbackInTheByteOrderOfItsWriter) {
  // DLT_NULL's family is in the writing host's order; DLT_LOOP's is
  // big-endian. AF_INET6 is 30 on macOS.
  const tcp_connection v4({"127.0.0.1", 40000}, redis);
  const tcp_connection v6({"::1", 40000}, {"::1", 6379});
  const std::string little_inet("\x02\0\0\0", 4), big_inet("\0\0\0\x02", 4);
  const std::string little_inet6("\x1e\0\0\0", 4), big_inet6("\0\0\0\x1e", 4);
  struct capture {
    std::uint32_t link_type;
    std::string family;
    const tcp_connection& c;
  };
  for (const auto& [link_type, family, c] :
       {capture{0, little_inet, v4}, capture{0, big_inet, v4}, capture{0, little_inet6, v6},
        capture{0, big_inet6, v6}, capture{108, big_inet, v4}, capture{108, big_inet6, v6}}) {
    SCOPED_TRACE("link type " + std::to_string(link_type) + ", family " +
                 std::to_string(family[0] + family[3]));
    capture_file file("loopback");
    write_pcap(file.path(), link_type, family,
               {c.syn(), c.syn_ack(), c.ack(), c.data(client, 0, "PING\n"),
                c.data(server, 0, "+PONG\n", 5)});
    const auto imported = import_capture(options_for(file));
    EXPECT_EQ(steps_of(imported.recorded), (strings{"send \"PING\"", "expect \"+PONG\""}));
    EXPECT_TRUE(imported.notes.empty()) << imported.notes[0];
  }
}

TEST(CaptureImport, RefusesAFileThatIsNoCapture) {
  capture_file file("not-a-capture");
  std::ofstream(file.path()) << "hello, not a pcap\n";
  try {
    import_capture(options_for(file));
    FAIL() << "imported a text file";
  } catch (const capture_import_error& e) {
    EXPECT_EQ(e.why(), capture_import_error::kind::unreadable);
    EXPECT_NE(std::string(e.what()).find("cannot read '" + file.path() + "'"), std::string::npos)
        << e.what();
  }
  capture_import_options missing = options_for(file);
  missing.path += ".missing";
  try {
    import_capture(missing);
    FAIL() << "imported a file that does not exist";
  } catch (const capture_import_error& e) {
    EXPECT_EQ(e.why(), capture_import_error::kind::unreadable);
  }
}

TEST(CaptureImport, RefusesAFilterThatDoesNotCompile) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("bad-filter");
  file.write({c.syn()});
  capture_import_options o = options_for(file);
  o.filter = "tcp portt 80";
  try {
    import_capture(o);
    FAIL() << "took the filter";
  } catch (const capture_import_error& e) {
    EXPECT_EQ(e.why(), capture_import_error::kind::bad_filter);
    EXPECT_NE(std::string(e.what()).find("bad filter 'tcp portt 80'"), std::string::npos)
        << e.what();
  }
}

TEST(CaptureImport, SaysSoWhenNoStreamMatched) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("nothing");
  file.write({c.syn(), c.syn_ack()});
  capture_import_options o = options_for(file);
  o.port = 80;
  try {
    import_capture(o);
    FAIL() << "imported nothing without saying so";
  } catch (const capture_import_error& e) {
    EXPECT_EQ(e.why(), capture_import_error::kind::nothing_matched);
    EXPECT_NE(std::string(e.what()).find("matched port 80"), std::string::npos) << e.what();
  }
}

TEST(CaptureImport, RefusesAFramingThatDoesNotParse) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("bad-framing");
  file.write({c.syn()});
  EXPECT_THROW(import_capture(options_for(file, "len:u33")), std::invalid_argument);
}

TEST(CaptureImport, NotesBytesAfterAGapThatNeverFills) {
  const tcp_connection c({"127.0.0.1", 40000}, redis);
  capture_file file("gap");
  file.write(
      {c.syn(), c.syn_ack(), c.ack(), c.data(client, 0, "a\n"), c.data(client, 5, "lost\n")});
  const auto imported = import_capture(options_for(file));
  EXPECT_EQ(steps_of(imported.recorded), strings{"send \"a\""});
  ASSERT_EQ(imported.notes.size(), 1u);
  EXPECT_NE(imported.notes[0].find("127.0.0.1:40000 -> 127.0.0.1:6379: 5 bytes after a gap"),
            std::string::npos)
      << imported.notes[0];
}

} // namespace
} // namespace tcpcheck::harness

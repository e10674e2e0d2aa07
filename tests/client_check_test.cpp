// Tests for client_check.hpp's helpers: how a client's output is compared
// with the baseline's, and how a difference is told.
#include "tcpcheck/harness/client_check.hpp"

#include <string>

#include <gtest/gtest.h>

namespace tcpcheck::harness {
namespace {

TEST(PortPlaceholder, ReplacesThePortWhereItStandsAlone) {
  EXPECT_EQ(with_port_as_placeholder("connected to 127.0.0.1:40123\n", 40123),
            "connected to 127.0.0.1:{port}\n");
  EXPECT_EQ(with_port_as_placeholder("40123 and 40123", 40123), "{port} and {port}");
}

TEST(PortPlaceholder, LeavesLongerNumbersThatHoldThePortAlone) {
  EXPECT_EQ(with_port_as_placeholder("id 140123, 401234", 40123), "id 140123, 401234");
  EXPECT_EQ(with_port_as_placeholder("no port here", 40123), "no port here");
  EXPECT_EQ(with_port_as_placeholder("port 0 stays 0", 0), "port 0 stays 0");
}

TEST(FirstDifference, NamesTheByteTheLineAndBothSides) {
  const std::string said =
      first_difference("Welcome!\nHello, Michael\n", "Welcome!\nHello, Mi\nchael\n");
  EXPECT_NE(said.find("at byte 18 (line 2)"), std::string::npos) << said;
  EXPECT_NE(said.find("the baseline printed \"Hello, Michael\""), std::string::npos) << said;
  EXPECT_NE(said.find("this run \"Hello, Mi\""), std::string::npos) << said;
}

TEST(FirstDifference, SaysWhenOneSideStopsShort) {
  const std::string said = first_difference("one\ntwo\n", "one\n");
  EXPECT_NE(said.find("at byte 4 (line 2)"), std::string::npos) << said;
  EXPECT_NE(said.find("this run (nothing more)"), std::string::npos) << said;
}

TEST(FirstDifference, EscapesWhatCannotBePrinted) {
  const std::string said = first_difference("a\x01z", "a\x02z");
  EXPECT_NE(said.find("\\x01"), std::string::npos) << said;
  EXPECT_NE(said.find("\\x02"), std::string::npos) << said;
}

} // namespace
} // namespace tcpcheck::harness

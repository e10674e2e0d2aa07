// Tests for target_process.hpp: splitting --spawn commands, starting and
// stopping servers (small Python ones), their deaths by exit, signal and
// sanitizer report, their stderr, and /proc samples.
#include "tcpcheck/harness/target_process.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "loopback_support.hpp"

namespace tcpcheck::harness {
namespace {

using namespace std::chrono_literals;
using words = std::vector<std::string>;
using test::eventually;

// ---------------------------------------------------------------------------
// Helpers

// A loopback client: connects, and optionally sends.
class client {
public:
  explicit client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    connected_ = fd_ >= 0 &&
                 ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~client() {
    if (fd_ >= 0) ::close(fd_);
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

private:
  int fd_ = -1;
  bool connected_ = false;
};

// `python3 -c CODE {port}`: CODE finds its port in sys.argv[1].
words python(std::string code) {
  return {"python3", "-c", std::move(code), "{port}"};
}

// A server on 127.0.0.1:PORT that calls `on_data` (Python statements, with
// the bytes in `data`) for the first bytes of each connection, and closes it.
words python_server(const std::string& on_data) {
  return python("import os, signal, socket, sys, time\n"
                "s = socket.socket()\n"
                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
                "s.listen(16)\n"
                "while True:\n"
                "    c, _ = s.accept()\n"
                "    data = c.recv(64)\n"
                "    if data:\n"
                "        " +
                on_data +
                "\n"
                "    c.close()\n");
}

words quiet_server() {
  return python_server("pass");
}

spawn_options quick_spawn() {
  spawn_options o;
  o.startup_timeout = 10s;
  o.stop_timeout = 2s;
  return o;
}

// Starts `server`, sends `text` on a fresh connection, and waits for it to end.
void provoke_death(target_process& server, std::string_view text) {
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  {
    client c(server.where().port);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(text));
  }
  ASSERT_TRUE(eventually([&] { return !server.running(); })) << "the server did not die";
}

// ---------------------------------------------------------------------------
// split_command

TEST(SplitCommand, SplitsWordsAtBlanks) {
  std::string error;
  const auto argv = target_process::split_command("./server  --port\t{port} -v", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"./server", "--port", "{port}", "-v"}));
}

TEST(SplitCommand, QuotesKeepBlanksInsideOneWord) {
  std::string error;
  const auto argv =
      target_process::split_command("sh -c 'exec ./server --port {port}' \"a b\" x'y'\"z\"", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"sh", "-c", "exec ./server --port {port}", "a b", "xyz"}));
}

TEST(SplitCommand, ABackslashEscapesTheNextCharacter) {
  std::string error;
  const auto argv = target_process::split_command(R"(my\ server \'q\' --port={port} \\)", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"my server", "'q'", "--port={port}", "\\"}));
}

TEST(SplitCommand, ABackslashInsideDoubleQuotesEscapesOnlyWhatAShellWould) {
  std::string error;
  const auto argv = target_process::split_command(R"(sh -c "echo \"hi\" \$HOME \n {port}")", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"sh", "-c", R"(echo "hi" $HOME \n {port})"}));
}

TEST(SplitCommand, BackslashesInsideSingleQuotesAreKept) {
  std::string error;
  const auto argv = target_process::split_command(R"(printf 'a\nb' {port})", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"printf", R"(a\nb)", "{port}"}));
}

TEST(SplitCommand, EmptyQuotesAreAnEmptyWord) {
  std::string error;
  const auto argv = target_process::split_command("server '' {port}", error);
  ASSERT_TRUE(argv) << error;
  EXPECT_EQ(*argv, (words{"server", "", "{port}"}));
}

TEST(SplitCommand, ACommandWithoutThePortIsRefused) {
  std::string error;
  EXPECT_FALSE(target_process::split_command("./server --port 8080", error));
  EXPECT_NE(error.find("{port}"), std::string::npos) << error;
}

TEST(SplitCommand, AnUnclosedQuoteIsRefusedWithItsColumn) {
  std::string error;
  EXPECT_FALSE(target_process::split_command("server \"--port {port}", error));
  EXPECT_NE(error.find("column 8"), std::string::npos) << error;
  EXPECT_NE(error.find("quote"), std::string::npos) << error;

  error.clear();
  EXPECT_FALSE(target_process::split_command("a 'b' 'c {port}", error));
  EXPECT_NE(error.find("column 7"), std::string::npos) << error;
}

TEST(SplitCommand, ATrailingBackslashIsRefusedWithItsColumn) {
  std::string error;
  EXPECT_FALSE(target_process::split_command("server {port} \\", error));
  EXPECT_NE(error.find("column 15"), std::string::npos) << error;
}

TEST(SplitCommand, AnEmptyCommandIsRefused) {
  for (const std::string_view blank : {"", "   ", "\t\n"}) {
    std::string error;
    EXPECT_FALSE(target_process::split_command(blank, error)) << "'" << blank << "'";
    EXPECT_NE(error.find("empty"), std::string::npos) << error;
  }
}

// ---------------------------------------------------------------------------
// find_sanitizer_report

TEST(FindSanitizerReport, FindsAReportFromTheLineOfItsMarker) {
  const std::string text = "listening\nserving a client\n"
                           "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n"
                           "READ of size 4 at 0x1 thread T0\n"
                           "    #0 0x55 in handle server.c:12\n";
  const std::string report = find_sanitizer_report(text);
  EXPECT_TRUE(report.starts_with("==4242==ERROR: AddressSanitizer: heap-use-after-free")) << report;
  EXPECT_NE(report.find("#0 0x55 in handle server.c:12"), std::string::npos) << report;
  EXPECT_EQ(report.find("listening"), std::string::npos) << report;
}

TEST(FindSanitizerReport, KnowsEverySanitizer) {
  for (const std::string marker :
       {"ERROR: AddressSanitizer: SEGV", "ERROR: LeakSanitizer: detected memory leaks",
        "WARNING: ThreadSanitizer: data race", "WARNING: MemorySanitizer: use-of-uninitialized",
        "server.c:7:3: runtime error: signed integer overflow"}) {
    const std::string report = find_sanitizer_report("before\n" + marker + "\nafter\n");
    EXPECT_TRUE(report.starts_with(marker)) << marker << " -> " << report;
  }
}

TEST(FindSanitizerReport, CutsALongReportToItsFirstLines) {
  std::string text = "==1==ERROR: AddressSanitizer: stack-buffer-overflow\n";
  for (int i = 0; i < 500; ++i)
    text += "    #" + std::to_string(i) + " frame\n";
  const std::string report = find_sanitizer_report(text);
  EXPECT_FALSE(report.empty());
  EXPECT_LT(report.size(), text.size() / 4);
  EXPECT_NE(report.find("#0 frame"), std::string::npos);
}

TEST(FindSanitizerReport, FindsNothingInOrdinaryOutput) {
  EXPECT_EQ(find_sanitizer_report(""), "");
  EXPECT_EQ(find_sanitizer_report("error: cannot bind\nSegmentation fault\nAddressSanitizer\n"),
            "");
}

// ---------------------------------------------------------------------------
// Starting and stopping

TEST(TargetProcess, StartsAServerThatAcceptsOnItsPort) {
  target_process server(quiet_server(), quick_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  EXPECT_TRUE(server.running());
  EXPECT_FALSE(server.death());
  EXPECT_EQ(server.starts(), 1u);

  const target where = server.where();
  EXPECT_EQ(where.host, "127.0.0.1");
  ASSERT_NE(where.port, 0);
  client c(where.port);
  EXPECT_TRUE(c.connected());

  EXPECT_NE(server.command_line().find(std::to_string(where.port)), std::string::npos)
      << server.command_line();
  EXPECT_NE(server.command_template().find("{port}"), std::string::npos)
      << server.command_template();
}

TEST(TargetProcess, StopEndsTheServerAndItsPort) {
  target_process server(quiet_server(), quick_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  const std::uint16_t port = server.where().port;
  server.stop();
  EXPECT_FALSE(server.running());
  const auto death = server.death();
  ASSERT_TRUE(death);
  EXPECT_NE(death->how.find("SIGTERM"), std::string::npos) << death->how;
  EXPECT_FALSE(client(port).connected());
  server.stop(); // twice: nothing left to stop
  EXPECT_FALSE(server.running());
}

TEST(TargetProcess, StartingAgainStartsAFreshServer) {
  target_process server(quiet_server(), quick_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  server.stop();
  ASSERT_TRUE(server.start(error)) << error;
  EXPECT_EQ(server.starts(), 2u);
  EXPECT_TRUE(server.running());
  EXPECT_FALSE(server.death()) << "start() clears the last death";
  EXPECT_TRUE(client(server.where().port).connected());
}

TEST(TargetProcess, ACommandThatDoesNotExistIsNamed) {
  target_process server({"tcpcheck-no-such-server-here", "--port", "{port}"}, quick_spawn());
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_NE(error.find("tcpcheck-no-such-server-here"), std::string::npos) << error;
  EXPECT_FALSE(server.running());
}

TEST(TargetProcess, AServerThatExitsAtOnceReportsItsStatusAndStderr) {
  target_process server(
      python("import sys\nsys.stderr.write('cannot open config.toml\\n')\nsys.exit(3)\n"),
      quick_spawn());
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_NE(error.find("exited with status 3"), std::string::npos) << error;
  EXPECT_NE(error.find("cannot open config.toml"), std::string::npos) << error;
  EXPECT_FALSE(server.running());
}

TEST(TargetProcess, AServerThatNeverAcceptsTimesOut) {
  spawn_options options = quick_spawn();
  options.startup_timeout = 300ms;
  target_process server(python("import time\ntime.sleep(60)\n"), options);
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_NE(error.find("did not listen on 127.0.0.1:"), std::string::npos) << error;
  EXPECT_FALSE(server.running());
}

TEST(TargetProcess, AnotherProgramListeningOnItsPortIsNotTheServer) {
  // The server writes its port to a file and listens nowhere; the test,
  // outside its process group, then listens there itself: a program that
  // happens to take the port is not the server starting.
  const std::string port_file = "/tmp/tcpcheck-target-port-" + std::to_string(::getpid()) + ".txt";
  std::remove(port_file.c_str());
  spawn_options options = quick_spawn();
  options.startup_timeout = 1500ms;
  target_process server({"python3", "-c",
                         "import sys, time\n"
                         "open(sys.argv[2], 'w').write(sys.argv[1])\n"
                         "time.sleep(60)\n",
                         "{port}", port_file},
                        options);
  std::thread squatter([&] {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::string text;
    while (text.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
      std::ifstream in(port_file);
      std::getline(in, text);
    }
    if (text.empty()) return;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(text)));
    const bool listens =
        ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::listen(fd, 4) == 0;
    EXPECT_TRUE(listens) << "the test could not listen on port " << text;
    std::this_thread::sleep_for(2s); // past the server's startup timeout
    ::close(fd);
  });
  std::string error;
  EXPECT_FALSE(server.start(error));
  EXPECT_NE(error.find("did not listen on 127.0.0.1:"), std::string::npos) << error;
  EXPECT_NE(error.find("a program outside its process group listens there"), std::string::npos)
      << error;
  squatter.join();
  std::remove(port_file.c_str());
}

TEST(TargetProcess, AServerAShellStartsIsSeenListening) {
  // `; true` keeps the shell from replacing itself by python: the server
  // is the shell's child, in the process group of the program spawned.
  const std::string code = quiet_server()[2];
  target_process server({"sh", "-c", "python3 -c \"$1\" \"$0\"; true", "{port}", code},
                        quick_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;
  EXPECT_TRUE(server.listening());
  EXPECT_TRUE(client(server.where().port).connected());
  server.stop();
  EXPECT_FALSE(server.listening());
}

TEST(TargetProcess, AClientInheritsNoDescriptorOfTcpchecksButItsStdio) {
  // A descriptor without close-on-exec, as Asio's accepted sockets are.
  const int leaky = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(leaky, 3);
  target_process client(
      python("import os, sys\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n"
             "sys.exit(0)\n"),
      quick_spawn());
  std::string error;
  ASSERT_TRUE(client.start_client(9, error)) << error;
  ASSERT_TRUE(client.wait_for_exit(5000ms));
  ::close(leaky);
  // listdir opens one of its own, above 2: any other would be inherited.
  const std::string listed = client.stdout_since(0);
  EXPECT_EQ(listed.find(std::to_string(leaky) + ","), std::string::npos) << listed;
  EXPECT_EQ(listed.rfind("[0, 1, 2, 3]", 0), 0u) << listed;
}

// PR_SET_PDEATHSIG fires when the thread that forked ends: a program
// started from a worker thread that then ended was killed with it.
TEST(TargetProcess, AProgramOutlivesTheThreadThatStartedIt) {
  target_process client(python("import time\ntime.sleep(30)\n"), quick_spawn());
  std::string error;
  bool started = false;
  std::thread worker([&] { started = client.start_client(9, error); });
  worker.join();
  ASSERT_TRUE(started) << error;
  std::this_thread::sleep_for(300ms); // a SIGKILL on the thread's end would have come
  EXPECT_TRUE(client.running());
  client.stop();
  EXPECT_FALSE(client.running());
}

// ---------------------------------------------------------------------------
// Deaths

TEST(TargetProcess, ADeathBySignalNamesTheSignal) {
  target_process server(python_server("os.kill(os.getpid(), signal.SIGSEGV)"), quick_spawn());
  provoke_death(server, "crash");
  const auto death = server.death();
  ASSERT_TRUE(death);
  EXPECT_EQ(death->how, "killed by signal 11 (SIGSEGV)");
  EXPECT_TRUE(death->sanitizer.empty()) << death->sanitizer;
  // Reading it does not clear it.
  ASSERT_TRUE(server.death());
  EXPECT_EQ(server.death()->how, death->how);
}

TEST(TargetProcess, ASanitizerReportInStderrIsFound) {
  target_process server(
      python_server("sys.stderr.write('==77==ERROR: AddressSanitizer: heap-buffer-overflow on "
                    "address 0x602\\n    #0 0x4 in handle server.c:9\\n'); sys.stderr.flush(); "
                    "os._exit(1)"),
      quick_spawn());
  provoke_death(server, "boom");
  const auto death = server.death();
  ASSERT_TRUE(death);
  EXPECT_EQ(death->how, "exited with status 1");
  EXPECT_NE(death->sanitizer.find("ERROR: AddressSanitizer: heap-buffer-overflow"),
            std::string::npos)
      << death->sanitizer;
  EXPECT_NE(death->sanitizer.find("server.c:9"), std::string::npos) << death->sanitizer;
}

TEST(TargetProcess, ADeathWithoutAReportKeepsTheEndOfStderr) {
  target_process server(
      python_server("sys.stderr.write('assertion failed: queue not empty\\n'); sys.stderr.flush(); "
                    "os._exit(2)"),
      quick_spawn());
  provoke_death(server, "x");
  const auto death = server.death();
  ASSERT_TRUE(death);
  EXPECT_EQ(death->how, "exited with status 2");
  EXPECT_TRUE(death->sanitizer.empty());
  EXPECT_NE(death->stderr_tail.find("assertion failed: queue not empty"), std::string::npos)
      << death->stderr_tail;
}

// ---------------------------------------------------------------------------
// Output and resources

TEST(TargetProcess, StderrSinceAMarkHoldsOnlyWhatCameAfterIt) {
  target_process server(
      python_server("sys.stderr.write('got ' + data.decode() + '\\n'); sys.stderr.flush()"),
      quick_spawn());
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;

  const std::size_t first = server.stderr_mark();
  ASSERT_TRUE(client(server.where().port).send("one"));
  ASSERT_TRUE(eventually([&] {
    return server.stderr_since(first).find("got one") != std::string::npos;
  })) << server.stderr_since(first);

  const std::size_t second = server.stderr_mark();
  EXPECT_GT(second, first);
  ASSERT_TRUE(client(server.where().port).send("two"));
  ASSERT_TRUE(eventually([&] {
    return server.stderr_since(second).find("got two") != std::string::npos;
  })) << server.stderr_since(second);
  EXPECT_EQ(server.stderr_since(second).find("got one"), std::string::npos);
  EXPECT_NE(server.stderr_since(first).find("got one"), std::string::npos);
  EXPECT_EQ(server.stderr_since(server.stderr_mark()), "");
}

TEST(TargetProcess, SamplesARunningServerAndNothingOnceStopped) {
  target_process server(quiet_server(), quick_spawn());
  EXPECT_FALSE(server.sample()) << "not started yet";
  std::string error;
  ASSERT_TRUE(server.start(error)) << error;

  const auto sample = server.sample();
  ASSERT_TRUE(sample);
  EXPECT_GT(sample->rss_kib, 0u);
  EXPECT_GE(sample->open_fds, 4u) << "stdin, stdout, stderr and the listening socket";
  EXPECT_GE(sample->threads, 1u);

  server.stop();
  EXPECT_FALSE(server.sample());
}

} // namespace
} // namespace tcpcheck::harness

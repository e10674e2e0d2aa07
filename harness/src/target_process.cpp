// Spawned servers: fork/exec in a process group, output captured by a
// reader thread, death noticed by waitpid, resources read from /proc.
#include "tcpcheck/harness/target_process.hpp"

#include "tcpcheck/harness/report.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "process_sockets.hpp"

namespace tcpcheck::harness {

namespace {

constexpr std::string_view port_placeholder = "{port}";
constexpr std::chrono::milliseconds listen_poll{10};
constexpr std::size_t report_lines = 40;

// The latest bytes of one output stream, with a count of all of them.
class output_tail {
public:
  explicit output_tail(std::size_t limit) : limit_(limit) {}

  void append(const char* data, std::size_t size) {
    std::lock_guard lock(mutex_);
    total_ += size;
    text_.append(data, size);
    if (text_.size() > limit_) text_.erase(0, text_.size() - limit_);
  }

  std::size_t total() const {
    std::lock_guard lock(mutex_);
    return total_;
  }

  std::string since(std::size_t mark) const {
    std::lock_guard lock(mutex_);
    const std::size_t kept_from = total_ - text_.size();
    if (mark >= total_) return {};
    if (mark >= kept_from) return text_.substr(mark - kept_from);
    return "[" + std::to_string(kept_from - mark) + " bytes not kept]\n" + text_;
  }

private:
  mutable std::mutex mutex_;
  std::size_t limit_;
  std::size_t total_ = 0;
  std::string text_;
};

std::string last_lines(std::string_view text, std::size_t count) {
  std::size_t pos = text.size();
  if (pos && text[pos - 1] == '\n') --pos;
  for (std::size_t lines = 0; pos > 0; --pos)
    if (text[pos - 1] == '\n' && ++lines == count) break;
  return std::string(text.substr(pos));
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended (status " + std::to_string(status) + ")";
}

// A port that was free a moment ago: bind port 0, read it, close.
std::optional<std::uint16_t> free_loopback_port(bool udp) {
  const int fd = ::socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::optional<std::uint16_t> port;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

// The words quoted for a shell ("{port}" inside quotes splits back the
// same: split_command keeps quoted text as it is).
std::string quoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv)
    out += (out.empty() ? "" : " ") + shell_quote(arg);
  return out;
}

// tcpcheck's environment with `extra` added; an extra NAME= replaces the
// inherited one.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  const auto overridden = [&](std::string_view entry) {
    const auto eq = entry.find('=');
    return std::any_of(extra.begin(), extra.end(), [&](const std::string& e) {
      return e.compare(0, eq + 1, entry.substr(0, eq + 1)) == 0;
    });
  };
  for (char** e = environ; e && *e; ++e)
    if (!overridden(*e)) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

} // namespace

std::string find_sanitizer_report(std::string_view text) {
  static constexpr std::array<std::string_view, 6> markers = {
      "ERROR: AddressSanitizer",  "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
      "WARNING: MemorySanitizer", "runtime error:",       "ERROR: UndefinedBehaviorSanitizer"};
  std::size_t first = std::string_view::npos;
  for (const auto marker : markers)
    first = std::min(first, text.find(marker));
  if (first == std::string_view::npos) return {};
  const std::size_t line_start = text.rfind('\n', first);
  std::size_t pos = line_start == std::string_view::npos ? 0 : line_start + 1;
  std::size_t end = pos;
  for (std::size_t lines = 0; end < text.size() && lines < report_lines; ++lines) {
    const std::size_t nl = text.find('\n', end);
    end = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return std::string(text.substr(pos, end - pos));
}

std::optional<std::vector<std::string>> target_process::split_command(std::string_view command,
                                                                      std::string& error) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == command.size()) {
        error = "column " + std::to_string(i) + ": a backslash at the end escapes nothing";
        return std::nullopt;
      }
      word += command[i];
    } else if (c == '\'') {
      const std::size_t close = command.find(c, i + 1);
      if (close == std::string_view::npos) {
        error = "column " + std::to_string(i + 1) + ": this quote is never closed";
        return std::nullopt;
      }
      word.append(command.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      // Inside double quotes a backslash escapes only $ ` " \ (as in a shell).
      const std::size_t open = i;
      for (++i; i < command.size() && command[i] != '"'; ++i) {
        if (command[i] == '\\' && i + 1 < command.size() &&
            std::string_view("$`\"\\").find(command[i + 1]) != std::string_view::npos)
          ++i;
        word += command[i];
      }
      if (i == command.size()) {
        error = "column " + std::to_string(open + 1) + ": this quote is never closed";
        return std::nullopt;
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) {
    error = "the command is empty";
    return std::nullopt;
  }
  if (std::none_of(words.begin(), words.end(), [](const std::string& w) {
        return w.find(port_placeholder) != std::string::npos;
      })) {
    error = "the command must say where the server listens: put {port} where the port goes "
            "(tcpcheck picks a free one on 127.0.0.1)";
    return std::nullopt;
  }
  return words;
}

struct target_process::impl {
  impl(std::vector<std::string> command, spawn_options o)
      : argv_template(std::move(command)), options(o), err(o.output_limit), out(o.output_limit) {}

  std::vector<std::string> argv_template;
  spawn_options options;
  output_tail err;
  output_tail out;
  std::vector<std::string> argv; // the current run's
  std::uint16_t port = 0;
  pid_t pid = -1;
  std::optional<int> status; // once reaped
  std::size_t starts = 0;
  std::size_t stderr_at_start = 0; // this run's stderr begins here
  std::atomic<bool> stop_reading{false};
  std::atomic<int> pipes_open{0}; // of stdout and stderr, as the reader sees them
  std::thread reader;

  bool launch(std::string& error);
  void read_output(int out_fd, int err_fd);
  void reap(bool wait);
  void halt();
  void wait_for_pipes(std::chrono::milliseconds limit);
};

namespace {

// Where every program tcpcheck starts is forked. PR_SET_PDEATHSIG fires
// when the thread that forked ends, not the process: a case's worker that
// ended would take the server it (re)started with it. This thread lives
// as long as tcpcheck, and ends with it (its static's destructor), which
// is when the programs should go.
class fork_thread {
public:
  static fork_thread& instance() {
    static fork_thread thread;
    return thread;
  }

  pid_t run(std::function<pid_t()> call) {
    std::packaged_task<pid_t()> task(std::move(call));
    auto forked = task.get_future();
    {
      const std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
    return forked.get();
  }

  ~fork_thread() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_one();
    thread_.join();
  }

  fork_thread(const fork_thread&) = delete;
  fork_thread& operator=(const fork_thread&) = delete;

private:
  fork_thread() : thread_([this] { serve(); }) {}

  void serve() {
    for (;;) {
      std::packaged_task<pid_t()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<pid_t()>> tasks_;
  bool stopping_ = false;
  std::thread thread_; // last: it starts once the rest is ready
};

} // namespace

bool target_process::impl::launch(std::string& error) {
  argv = argv_template;
  for (auto& arg : argv)
    for (std::size_t at; (at = arg.find(port_placeholder)) != std::string::npos;)
      arg.replace(at, port_placeholder.size(), std::to_string(port));
  std::vector<char*> c_argv;
  for (auto& arg : argv)
    c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  std::vector<std::string> env = environment_with(options.environment);
  std::vector<char*> c_env;
  for (auto& entry : env)
    c_env.push_back(entry.data());
  c_env.push_back(nullptr);

  int out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return error = std::strerror(errno), false;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]), ::close(out_pipe[1]);
    return error = std::strerror(errno), false;
  }
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      ::close(fd);
    return error = std::strerror(errno), false;
  }
  const pid_t parent = ::getpid();
  int fork_error = 0;
  // The child only execs or exits.
  const pid_t child = fork_thread::instance().run([&] {
    const pid_t forked = ::fork();
    if (forked != 0) {
      fork_error = errno;
      return forked;
    }
    // Only async-signal-safe calls from here to exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL); // tcpcheck killed: the server goes too
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    // Nothing else of tcpcheck's goes to the program: a socket of another
    // case inherited by a client would keep that case's connection open
    // after tcpcheck closed it. (Asio's sockets are not close-on-exec.)
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::signal(SIGPIPE, SIG_DFL);
    ::execvpe(c_argv[0], c_argv.data(), c_env.data());
    const int code = errno;
    [[maybe_unused]] auto n = ::write(exec_pipe[1], &code, sizeof code);
    ::_exit(127);
  });
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  if (child < 0) {
    error = std::string("cannot fork: ") + std::strerror(fork_error);
    for (int fd : {out_pipe[0], err_pipe[0], exec_pipe[0]})
      ::close(fd);
    return false;
  }
  pid = child;
  status.reset();
  stderr_at_start = err.total();
  ++starts;
  ::setpgid(child, child); // also here: no race with the kill in halt()
  int code = 0;
  const auto n = ::read(exec_pipe[0], &code, sizeof code); // EOF: exec succeeded
  ::close(exec_pipe[0]);
  stop_reading = false;
  pipes_open = 2;
  reader = std::thread([this, o = out_pipe[0], e = err_pipe[0]] { read_output(o, e); });
  if (n == static_cast<ssize_t>(sizeof code)) {
    reap(true);
    error = "cannot run '" + argv[0] + "': " + std::strerror(code);
    return false;
  }
  return true;
}

void target_process::impl::read_output(int out_fd, int err_fd) {
  std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
  std::array<char, 16384> buffer;
  std::size_t open = 2;
  while (open > 0 && !stop_reading) {
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const auto n = ::read(p.fd, buffer.data(), buffer.size());
      if (n > 0) {
        (p.fd == err_fd ? err : out).append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(p.fd);
        p.fd = -1;
        --open;
        --pipes_open;
      }
    }
  }
  for (auto& p : fds)
    if (p.fd >= 0) ::close(p.fd);
}

void target_process::impl::reap(bool wait) {
  if (pid <= 0 || status) return;
  int st = 0;
  const pid_t r = ::waitpid(pid, &st, wait ? 0 : WNOHANG);
  if (r == pid) {
    status = st;
    // Its children (a `sh -c` server's) go with it.
    ::kill(-pid, SIGKILL);
  }
}

void target_process::impl::wait_for_pipes(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (pipes_open > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void target_process::impl::halt() {
  if (pid > 0 && !status) {
    ::kill(-pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + options.stop_timeout;
    while (!status && std::chrono::steady_clock::now() < deadline) {
      reap(false);
      if (!status) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!status) {
      ::kill(-pid, SIGKILL);
      reap(true);
    }
  }
  // Take in what the server wrote last (a sanitizer report is written just
  // before the end), but not forever: grandchildren may hold the pipes open.
  wait_for_pipes(std::chrono::milliseconds(300));
  stop_reading = true;
  if (reader.joinable()) reader.join();
}

target_process::target_process(std::vector<std::string> argv, spawn_options options)
    : impl_(std::make_unique<impl>(std::move(argv), options)) {}

target_process::~target_process() {
  stop();
}

// Said when the port listens but not through the server's processes.
constexpr std::string_view elsewhere_note =
    " (a program outside its process group listens there: a server that a daemon such as "
    "docker runs for the command cannot be watched with --spawn; start it yourself and give "
    "--target)";

bool target_process::start(std::string& error) {
  impl& p = *impl_;
  p.halt();
  if (p.options.before_start) p.options.before_start();
  constexpr int port_attempts = 3; // another process may take the free port first
  for (int attempt = 0; attempt < port_attempts; ++attempt) {
    const auto port = free_loopback_port(p.options.udp);
    if (!port) {
      error = "no free port on 127.0.0.1";
      return false;
    }
    p.port = *port;
    const std::size_t mark = p.err.total();
    const std::size_t out_mark = p.out.total();
    if (!p.launch(error)) {
      p.halt();
      return false;
    }
    const auto ready = [&] {
      const std::string& text = p.options.ready_text;
      return text.empty() || p.err.since(mark).find(text) != std::string::npos ||
             p.out.since(out_mark).find(text) != std::string::npos;
    };
    const auto deadline = std::chrono::steady_clock::now() + p.options.startup_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (listener_on(p.port, p.options.udp, p.pid) == port_listener::the_group && ready())
        return true;
      p.reap(false);
      if (p.status) break;
      std::this_thread::sleep_for(listen_poll);
    }
    const bool ended = p.status.has_value();
    const port_listener listener =
        ended ? port_listener::nobody : listener_on(p.port, p.options.udp, p.pid);
    const bool listened = listener == port_listener::the_group;
    const bool held_elsewhere = listener == port_listener::another_program;
    p.halt();
    const std::string said = last_lines(p.err.since(mark), 10);
    const bool port_taken = said.find("in use") != std::string::npos;
    if (ended && port_taken && attempt + 1 < port_attempts) continue;
    error = "'" + quoted(p.argv) + "' " +
            (ended      ? describe_status(*p.status) + " before listening"
             : listened ? "listened on 127.0.0.1:" + std::to_string(p.port) +
                              " but did not write '" + p.options.ready_text + "' within " +
                              std::to_string(p.options.startup_timeout.count()) + " ms"
                        : "did not listen on " + std::string(p.options.udp ? "UDP " : "") +
                              "127.0.0.1:" + std::to_string(p.port) + " within " +
                              std::to_string(p.options.startup_timeout.count()) + " ms" +
                              (held_elsewhere ? std::string(elsewhere_note) : "")) +
            (said.empty() ? "" : "; its stderr ends:\n" + said);
    return false;
  }
  return false;
}

bool target_process::start_client(std::uint16_t port, std::string& error) {
  impl& p = *impl_;
  p.halt();
  if (p.options.before_start) p.options.before_start();
  p.port = port;
  if (p.launch(error)) return true;
  p.halt();
  return false;
}

bool target_process::wait_for_exit(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return impl_->pid > 0;
}

bool target_process::running() {
  impl_->reap(false);
  return impl_->pid > 0 && !impl_->status;
}

std::optional<process_death> target_process::death() {
  if (running() || impl_->pid <= 0) return std::nullopt;
  // Let the reader take in the last words the process wrote.
  impl_->wait_for_pipes(std::chrono::milliseconds(300));
  process_death d;
  d.how = describe_status(*impl_->status);
  d.clean = WIFEXITED(*impl_->status) && WEXITSTATUS(*impl_->status) == 0;
  d.signaled = WIFSIGNALED(*impl_->status);
  const std::string said = impl_->err.since(impl_->stderr_at_start);
  d.sanitizer = find_sanitizer_report(said);
  if (d.sanitizer.empty()) d.stderr_tail = last_lines(said, 10);
  return d;
}

bool target_process::listening() const {
  return listener_on(impl_->port, impl_->options.udp, impl_->pid) == port_listener::the_group;
}

void target_process::stop() {
  impl_->halt();
}

target target_process::where() const {
  return {"127.0.0.1", impl_->port};
}

std::string target_process::command_line() const {
  return quoted(impl_->argv.empty() ? impl_->argv_template : impl_->argv);
}

std::string target_process::command_template() const {
  return quoted(impl_->argv_template);
}

std::size_t target_process::starts() const noexcept {
  return impl_->starts;
}

std::size_t target_process::stderr_mark() const {
  return impl_->err.total();
}

std::string target_process::stderr_since(std::size_t mark) const {
  return impl_->err.since(mark);
}

std::size_t target_process::stdout_mark() const {
  return impl_->out.total();
}

std::string target_process::stdout_since(std::size_t mark) const {
  return impl_->out.since(mark);
}

std::optional<resource_sample> target_process::sample() const {
  const impl& p = *impl_;
  if (p.pid <= 0 || p.status) return std::nullopt;
  const std::string proc = "/proc/" + std::to_string(p.pid);
  std::ifstream status(proc + "/status");
  if (!status) return std::nullopt;
  resource_sample s;
  for (std::string line; std::getline(status, line);) {
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key == "VmRSS:") fields >> s.rss_kib;
    if (key == "VmHWM:") fields >> s.peak_rss_kib;
    if (key == "Threads:") fields >> s.threads;
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(proc + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++s.open_fds;
  return s;
}

} // namespace tcpcheck::harness

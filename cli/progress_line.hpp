// A progress line on stderr for the long commands (check, fuzz): redrawn in
// place on a terminal; elsewhere (a CI log) printed every few seconds, so a
// long run is seen to be alive without flooding the log.
#pragma once

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace tcpcheck::cli {

class progress_line {
public:
  progress_line(bool enabled, std::string_view prefix)
      : enabled_(enabled), live_(isatty(STDERR_FILENO) != 0), prefix_(prefix),
        last_(std::chrono::steady_clock::now()) {}
  ~progress_line() { finish(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  /// Shows `text`; `last` prints it even off a terminal (the final count).
  void show(const std::string& text, bool last = false) {
    if (!enabled_) return;
    if (live_) {
      std::cerr << "\r\033[K" << text.substr(0, width()) << std::flush;
      drawn_ = true;
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ >= std::chrono::seconds(5) || last) {
      std::cerr << prefix_ << ": " << text << '\n';
      last_ = now;
    }
  }

  /// A line of its own on stderr (even with the progress line off), above
  /// the live line.
  void say(const std::string& text) {
    if (live_ && drawn_) std::cerr << "\r\033[K";
    std::cerr << prefix_ << ": " << text << '\n';
  }

  /// Clears the live line, so the report starts on a clean one; no more shows.
  void finish() {
    if (enabled_ && live_ && drawn_) std::cerr << "\r\033[K" << std::flush;
    enabled_ = false;
  }

private:
  // The terminal's width, less one: a line that wraps could not be cleared.
  static std::size_t width() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col - 1u;
    return 100;
  }

  bool enabled_;
  bool live_;
  std::string prefix_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

} // namespace tcpcheck::cli

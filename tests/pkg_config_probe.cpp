// Built by installed_package_test.cmake with only `pkg-config --cflags --libs
// tcpcheck`: the installed headers and library are enough to decode.
#include <tcpcheck/frame_decoder.hpp>

#include <cstdio>

int main() {
  tcpcheck::frame_decoder decoder(tcpcheck::framing_spec{tcpcheck::framing_kind::line});
  int frames = 0;
  std::error_code ec;
  decoder.consume(
      tcpcheck::as_bytes("a\nb\n"), [&](const tcpcheck::frame&) { ++frames; }, ec);
  std::printf("pkg-config probe: %d frames\n", frames);
  return frames == 2 && !ec ? 0 : 1;
}

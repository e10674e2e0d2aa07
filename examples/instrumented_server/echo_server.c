/* echo_server: a tiny server over len:u16be framing (a 2-byte big-endian
 * length, then that many bytes), built with coverage for `tcpcheck fuzz`.
 *
 *   echo_server PORT      listens on 127.0.0.1:PORT (0: any free port)
 *
 * Every frame comes back as it was sent; the frame "bye" comes back and
 * then the server closes the connection. One thread per client. SIGTERM or
 * SIGINT stops it; it then returns from main, so exit handlers run (the
 * coverage runtime hands its last counts over at exit).
 *
 * It knows nothing of tcpcheck: CMakeLists.txt (tcpcheck_instrument_server)
 * or pkg-config's flags for tcpcheck-coverage make it report coverage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_stop(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

/* Reads exactly n bytes; 0 on end of stream or error. */
static int read_all(int fd, uint8_t* at, size_t n) {
  while (n > 0) {
    const ssize_t got = recv(fd, at, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0;
    at += got;
    n -= (size_t)got;
  }
  return 1;
}

static int write_all(int fd, const uint8_t* at, size_t n) {
  while (n > 0) {
    const ssize_t put = send(fd, at, n, MSG_NOSIGNAL);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return 0;
    at += put;
    n -= (size_t)put;
  }
  return 1;
}

static void* serve_client(void* argument) {
  const int fd = (int)(intptr_t)argument;
  uint8_t* frame = malloc(2 + 65535);
  while (frame) {
    if (!read_all(fd, frame, 2)) break;
    const size_t length = (size_t)frame[0] << 8 | frame[1];
    if (!read_all(fd, frame + 2, length)) break;
    if (!write_all(fd, frame, 2 + length)) break;
    if (length == 3 && memcmp(frame + 2, "bye", 3) == 0) break;
  }
  free(frame);
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  char* end = NULL;
  const long port = strtol(argv[1], &end, 10);
  if (!*argv[1] || *end || port < 0 || port > 65535) {
    fprintf(stderr, "%s: bad port '%s'\n", argv[0], argv[1]);
    return 2;
  }

  /* No SA_RESTART: the signal interrupts accept(), and main returns. */
  struct sigaction stop;
  memset(&stop, 0, sizeof stop);
  stop.sa_handler = on_stop;
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGINT, &stop, NULL);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof address) != 0 ||
      listen(listener, 128) != 0 || getsockname(listener, (struct sockaddr*)&address, &size) != 0) {
    perror("echo_server: cannot listen");
    return 1;
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(address.sin_port));
  fflush(stdout);

  while (!stopping) {
    const int client = accept(listener, NULL, NULL);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
      perror("echo_server: accept");
      return 1;
    }
    pthread_t thread;
    if (pthread_create(&thread, NULL, serve_client, (void*)(intptr_t)client) != 0) {
      close(client);
      continue;
    }
    pthread_detach(thread);
  }
  close(listener);
  return 0;
}

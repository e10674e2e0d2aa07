/* A len:u16be key-value server with one planted bug, for the guided
 * (coverage and response feedback) live-fuzzing tests.
 *
 *   guided_server --bug none|magic|nested|command|sequence|reply [--port N] [--fork]
 *
 * Binds 127.0.0.1:N (0: any free port), prints "listening on 127.0.0.1:PORT"
 * and serves each client on a thread of its own (--fork: in a forked child
 * process that exits with exit(0) when its client leaves) with blocking
 * sockets. Frames are read correctly, across as many recv() calls as they
 * take; a length above 1024 closes the connection. SIGTERM and SIGINT end it
 * (their default action); a client idle for 30 s is dropped; bad arguments
 * exit with status 2.
 *
 * The protocol (README.md), text payloads: on connect the server sends
 * "hello kv"; "auth s3cret" gets "ok" (another token "denied"; any other
 * command before auth "denied"); "set KEY VALUE" gets "stored"; "get KEY"
 * gets "value VALUE" or "missing"; "quit" gets "bye" and the connection is
 * closed; anything else gets "error". Each connection has a store of its own.
 *
 * Each bug fires only on input the normal conversation never sends:
 *
 *   none      no bug
 *   magic     set: a value whose first 4 bytes, as a little-endian uint32,
 *             are 0x5A17C0DE (one 32-bit comparison) writes through a null
 *             pointer (SIGSEGV)
 *   nested    set: a key starting with the big-endian uint16 0x1337 and, in
 *             a nested if, a value starting with 0xBEEF: SIGSEGV
 *   command   the undocumented command word "xyzzy": abort()
 *   sequence  the undocumented "del KEY" frees the entry but leaves it in the
 *             store (as a tombstone that set and del skip, but get does not):
 *             a later "get KEY" reads the freed entry (heap-use-after-free
 *             under ASan) and then abort()s
 *   reply     after the 3rd set on a connection each set is answered "full"
 *             (nothing stored); a get on a connection that said "full" aborts
 *
 * Written for SanitizerCoverage: commands are told apart with strcmp (and
 * "xyzzy" with strncmp) on the command word, so a server built with
 * tcpcheck::coverage shows tcpcheck the words it looks for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

enum bug { BUG_NONE, BUG_MAGIC, BUG_NESTED, BUG_COMMAND, BUG_SEQUENCE, BUG_REPLY };

static const char* const bug_names[] = {"none", "magic", "nested", "command", "sequence", "reply"};

/* A correct server's limit: a longer length field closes the connection. */
enum { largest_payload = 1024 };
/* A client that sends nothing (or reads nothing) for this long is dropped. */
enum { idle_seconds = 30 };
/* Keys and values per connection. */
enum { most_entries = 64 };
/* Sets a connection gets before the reply bug says "full". */
enum { sets_before_full = 3 };

static enum bug planted = BUG_NONE;

/* The victim of the magic and nested bugs: a record only an old protocol
 * version created (volatile, so the compiler cannot see it is always null
 * and turn the write into a trap). */
struct legacy_record {
  unsigned long writes;
};
static struct legacy_record* volatile legacy = NULL;

struct entry {
  size_t length;
  char* value;
};

/* A slot of a connection's store. A deleted entry is freed and its slot
 * marked as a tombstone; set and del skip tombstones, get does not (the
 * sequence bug). With no bug, del removes the slot. */
struct slot {
  char* key;
  size_t key_length;
  struct entry* entry;
  int tombstone;
};

struct session {
  int fd;
  int authenticated;
  int sets; /* successful sets on this connection */
  int full; /* the reply bug answered "full" */
  size_t used;
  struct slot slots[most_entries];
};

/* Reads exactly `size` bytes: 0 at EOF, on an error, or after the idle limit. */
static int recv_all(int fd, unsigned char* into, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = recv(fd, into + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0; /* EOF, reset, or EAGAIN from SO_RCVTIMEO */
    got += (size_t)n;
  }
  return 1;
}

/* Sends one frame (header and payload in one write): 0 if the peer is gone. */
static int send_frame(int fd, const void* payload, size_t size) {
  unsigned char wire[2 + largest_payload + 16];
  if (size > sizeof wire - 2) size = sizeof wire - 2;
  wire[0] = (unsigned char)((size >> 8) & 0xff);
  wire[1] = (unsigned char)(size & 0xff);
  memcpy(wire + 2, payload, size);
  size_t sent = 0;
  while (sent < size + 2) {
    const ssize_t n = send(fd, wire + sent, size + 2 - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    sent += (size_t)n;
  }
  return 1;
}

static int reply(struct session* s, const char* text) {
  return send_frame(s->fd, text, strlen(text));
}

/* The newest slot holding `key`, tombstones included or not; NULL if none. */
static struct slot* find(struct session* s, const char* key, size_t length, int tombstones) {
  for (size_t i = s->used; i-- > 0;) {
    struct slot* slot = &s->slots[i];
    if (slot->key_length == length && memcmp(slot->key, key, length) == 0 &&
        (tombstones || !slot->tombstone))
      return slot;
  }
  return NULL;
}

static void forget(struct session* s) {
  for (size_t i = 0; i < s->used; ++i) {
    if (!s->slots[i].tombstone) {
      free(s->slots[i].entry->value);
      free(s->slots[i].entry);
    }
    free(s->slots[i].key);
  }
  s->used = 0;
}

static uint16_t big_endian_u16(const unsigned char* p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t little_endian_u32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "set KEY VALUE": `args` is "KEY VALUE". */
static int do_set(struct session* s, const unsigned char* args, size_t length) {
  const unsigned char* space = memchr(args, ' ', length);
  if (!space || space == args) return reply(s, "error");
  const unsigned char* key = args;
  const size_t key_length = (size_t)(space - args);
  const unsigned char* value = space + 1;
  const size_t value_length = length - key_length - 1;

  if (planted == BUG_MAGIC && value_length >= 4 && little_endian_u32(value) == 0x5A17C0DEu) {
    fputs("guided: magic value\n", stderr);
    ++legacy->writes; /* planted: null pointer write, SIGSEGV */
  }
  if (planted == BUG_NESTED && key_length >= 2 && value_length >= 2) {
    if (big_endian_u16(key) == 0x1337) {
      if (big_endian_u16(value) == 0xBEEF) {
        fputs("guided: nested magic\n", stderr);
        ++legacy->writes; /* planted: null pointer write, SIGSEGV */
      }
    }
  }
  if (planted == BUG_REPLY && s->sets >= sets_before_full) {
    s->full = 1; /* planted: the store says it is full, and remembers */
    return reply(s, "full");
  }

  struct slot* slot = find(s, (const char*)key, key_length, 0);
  if (!slot) {
    if (s->used == most_entries) return reply(s, "error");
    slot = &s->slots[s->used++];
    slot->key = malloc(key_length);
    slot->entry = calloc(1, sizeof *slot->entry);
    if (!slot->key || !slot->entry) abort();
    memcpy(slot->key, key, key_length);
    slot->key_length = key_length;
    slot->tombstone = 0;
  }
  char* copy = malloc(value_length + 1);
  if (!copy) abort();
  memcpy(copy, value, value_length);
  free(slot->entry->value);
  slot->entry->value = copy;
  slot->entry->length = value_length;
  ++s->sets;
  return reply(s, "stored");
}

/* "get KEY": `args` is "KEY". */
static int do_get(struct session* s, const unsigned char* args, size_t length) {
  if (length == 0) return reply(s, "error");
  if (planted == BUG_REPLY && s->full) {
    fputs("guided: get after full\n", stderr);
    abort(); /* planted: the "full" state was never meant to be read from */
  }
  /* The sequence bug: get forgets to skip tombstones. */
  struct slot* slot = find(s, (const char*)args, length, planted == BUG_SEQUENCE);
  if (!slot) return reply(s, "missing");
  struct entry* e = slot->entry;
  const size_t value_length = *(volatile size_t*)&e->length; /* freed under the sequence bug */
  if (slot->tombstone) {
    fputs("guided: read a deleted entry\n", stderr);
    abort(); /* planted: use after free, made fatal without ASan too */
  }
  unsigned char out[6 + largest_payload];
  memcpy(out, "value ", 6);
  memcpy(out + 6, e->value, value_length);
  return send_frame(s->fd, out, 6 + value_length);
}

/* "del KEY" (undocumented, only with the sequence bug): `args` is "KEY". */
static int do_del(struct session* s, const unsigned char* args, size_t length) {
  struct slot* slot = find(s, (const char*)args, length, 0);
  if (!slot) return reply(s, "missing");
  free(slot->entry->value);
  free(slot->entry);
  slot->tombstone = 1; /* planted: the slot stays, pointing at freed memory */
  return reply(s, "deleted");
}

/* One frame. 0: close the connection. */
static int handle(struct session* s, const unsigned char* payload, size_t length) {
  /* The command word, NUL-terminated (an embedded NUL ends it too). */
  char word[16];
  size_t n = 0;
  while (n < length && payload[n] != ' ' && n < sizeof word - 1) {
    word[n] = (char)payload[n];
    ++n;
  }
  word[n] = '\0';
  const unsigned char* args = payload + n + (n < length && payload[n] == ' ');
  const size_t args_length = length - (size_t)(args - payload);

  if (strcmp(word, "auth") == 0) {
    const int good = args_length == 6 && memcmp(args, "s3cret", 6) == 0;
    if (good) s->authenticated = 1;
    return reply(s, good ? "ok" : "denied");
  }
  if (!s->authenticated) return reply(s, "denied");
  if (strcmp(word, "set") == 0) return do_set(s, args, args_length);
  if (strcmp(word, "get") == 0) return do_get(s, args, args_length);
  if (planted == BUG_SEQUENCE && strcmp(word, "del") == 0) return do_del(s, args, args_length);
  if (strcmp(word, "quit") == 0) {
    reply(s, "bye");
    return 0;
  }
  if (planted == BUG_COMMAND && strncmp(word, "xyzzy", 5) == 0) {
    fputs("guided: xyzzy\n", stderr);
    abort(); /* planted: an undocumented debug command */
  }
  return reply(s, "error");
}

static void serve(int fd) {
  struct session* s = calloc(1, sizeof *s);
  if (!s) return;
  s->fd = fd;
  if (reply(s, "hello kv")) {
    unsigned char payload[largest_payload];
    for (;;) {
      unsigned char header[2];
      if (!recv_all(fd, header, 2)) break;
      const size_t length = big_endian_u16(header);
      if (length > largest_payload) break;
      if (!recv_all(fd, payload, length)) break;
      if (!handle(s, payload, length)) break;
    }
  }
  forget(s);
  free(s);
}

static void* serve_thread(void* arg) {
  const int fd = (int)(intptr_t)arg;
  serve(fd);
  close(fd);
  return NULL;
}

static int usage(const char* why) {
  fprintf(stderr,
          "guided_server: %s\n"
          "usage: guided_server --bug none|magic|nested|command|sequence|reply [--port N] "
          "[--fork]\n",
          why);
  return 2;
}

int main(int argc, char** argv) {
  long port = 0;
  int forking = 0;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (strcmp(arg, "--fork") == 0) {
      forking = 1;
      continue;
    }
    if (i + 1 >= argc) {
      char why[128];
      snprintf(why, sizeof why, "missing a value after %s", arg);
      return usage(why);
    }
    const char* value = argv[++i];
    if (strcmp(arg, "--bug") == 0) {
      size_t k = 0;
      while (k < sizeof bug_names / sizeof bug_names[0] && strcmp(value, bug_names[k]) != 0)
        ++k;
      if (k == sizeof bug_names / sizeof bug_names[0]) return usage("unknown bug");
      planted = (enum bug)k;
    } else if (strcmp(arg, "--port") == 0) {
      char* end = NULL;
      errno = 0;
      port = strtol(value, &end, 10);
      if (errno || !*value || *end || port < 0 || port > 65535) return usage("bad port");
    } else {
      return usage("unknown option");
    }
  }

  const int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) {
    perror("guided_server: socket");
    return 1;
  }
  const int on = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons((uint16_t)port);
  socklen_t size = sizeof address;
  if (bind(listen_fd, (const struct sockaddr*)&address, sizeof address) != 0 ||
      listen(listen_fd, 128) != 0 ||
      getsockname(listen_fd, (struct sockaddr*)&address, &size) != 0) {
    perror("guided_server: bind/listen");
    return 1;
  }
  printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(address.sin_port));
  fflush(stdout);
  /* Forked workers are reaped by the kernel. */
  if (forking) signal(SIGCHLD, SIG_IGN);

  for (;;) {
    const int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue; /* EINTR, ECONNABORTED, EMFILE: try again */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    const struct timeval idle = {idle_seconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle);
    if (forking) {
      const pid_t child = fork();
      if (child == 0) {
        close(listen_fd);
        serve(fd);
        close(fd);
        exit(0); /* exit, not _exit: atexit handlers (coverage) run */
      }
      if (child < 0) perror("guided_server: fork");
      close(fd);
      continue;
    }
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&thread, &attributes, serve_thread, (void*)(intptr_t)fd) != 0) close(fd);
    pthread_attr_destroy(&attributes);
  }
}

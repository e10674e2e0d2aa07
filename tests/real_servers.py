#!/usr/bin/env python3
"""Starts one of Debian's servers on 127.0.0.1:PORT, in the foreground, for `tcpcheck check`.

  python3 tests/real_servers.py NAME PORT
  tcpcheck check S.tcs --spawn "python3 tests/real_servers.py NAME {port}"

NAME is one of: mosquitto, postgres, dovecot, dnsmasq, beanstalkd.

Each server gets a fresh temporary directory with a minimal configuration,
listens on 127.0.0.1:PORT only, keeps nothing (no persistence, no pid files
outside the directory, logs on stderr) and runs in the foreground as a child
of this launcher. SIGTERM, SIGINT or SIGHUP to the launcher (tcpcheck sends
SIGTERM to the whole process group) stops the server; the launcher then
removes the directory and exits. If the server dies on its own, the launcher
exits the same way (same exit code, or killed by the same signal), so that
tcpcheck reports the server's death as it happened. If the launcher itself
is killed, the server is killed too (PR_SET_PDEATHSIG).

Runs as root (no systemd needed); servers that refuse root are run as their
package's user. Needs: mosquitto, postgresql-15, dovecot-imapd, dnsmasq-base,
beanstalkd (ci/install-deps.sh). docs/real-servers.md has the details.
"""
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def child_setup(user=None):
    """A preexec_fn: become USER (if given), then die with the launcher."""
    def setup():
        if user is not None:
            pw = pwd.getpwnam(user)
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)  # clears the death signal, so it is set after
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return setup


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# Each function prepares DIR and returns (argv, user to run as, signal that
# stops the server quickly).

def mosquitto(tmp, port):
    conf = os.path.join(tmp, "mosquitto.conf")
    write(conf, f"""\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
connection_messages false
""")
    # Started as root, mosquitto drops to the user 'mosquitto' by itself.
    return ["mosquitto", "-c", conf], None, signal.SIGTERM


# PostgreSQL listens on its TCP port some 30-150 ms before it can serve:
# until its startup process is done, a connection gets FATAL 57P03 "the
# database system is starting up". The tests spawn it with tcpcheck's
# --ready-when "ready to accept connections", the line it logs (on stderr,
# as logging_collector is off) once it serves.


def postgres(tmp, port):
    # PostgreSQL refuses to run as root: initdb and postgres run as 'postgres'.
    pw = pwd.getpwnam("postgres")
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    os.chmod(tmp, 0o700)
    data = os.path.join(tmp, "data")
    subprocess.run([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
                    "--no-instructions"],
                   preexec_fn=child_setup("postgres"), cwd=tmp,
                   stdout=subprocess.DEVNULL, check=True)
    argv = [os.path.join(PG_BIN, "postgres"), "-D", data, "-p", str(port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", f"unix_socket_directories={tmp}",
            "-c", "ssl=off",                # an SSLRequest gets 'N'
            "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
            "-c", "max_connections=200",    # check runs 64 conversations at once
            "-c", "shared_buffers=16MB",
            "-c", "logging_collector=off"]
    # SIGTERM is a "smart" shutdown that waits for clients; SIGINT is "fast".
    return argv, "postgres", signal.SIGINT


def dovecot(tmp, port):
    base = os.path.join(tmp, "run")
    home = os.path.join(tmp, "home")
    os.makedirs(base)
    os.makedirs(home)
    nobody = pwd.getpwnam("nobody")
    os.chown(home, nobody.pw_uid, nobody.pw_gid)  # mail is stored as 'nobody'
    os.chmod(tmp, 0o755)  # login and mail processes reach the sockets in base_dir
    conf = os.path.join(tmp, "dovecot.conf")
    # Any user name logs in with the password "pass"; the scripts use "test".
    write(conf, f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {base}
state_dir = {tmp}/state
instance_name = tcpcheck-{port}
log_path = /dev/stderr
info_log_path = /dev/null
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_process_limit = 300
default_client_limit = 2000
passdb {{
  driver = static
  args = password=pass
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={home}/%n
}}
mail_location = maildir:~/Maildir
mail_fsync = never
# With the mailbox list index (the default), about 1 CREATE in 64 made at
# once by one user answers "NO [ALREADYEXISTS]" for a name nobody else used
# (dovecot 2.3.19.1); the scripts create a mailbox per run.
mailbox_list_index = no
protocol imap {{
  mail_max_userip_connections = 1000
}}
# Long-lived processes: a login process and an imap process per connection
# (the defaults) cost about 60 ms a conversation.
service imap-login {{
  service_count = 0
  process_min_avail = 2
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service imap {{
  service_count = 0
  client_limit = 1
  process_min_avail = 4
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
    return ["dovecot", "-F", "-c", conf], None, signal.SIGTERM


def dnsmasq(tmp, port):
    # --keep-in-foreground, not --no-daemon: in debug mode dnsmasq answers
    # TCP connections one at a time instead of forking for each.
    return ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
            f"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--no-poll",
            "--address=/example.test/10.0.0.1",
            "--max-tcp-connections=100",
            "--log-facility=-", f"--pid-file={tmp}/dnsmasq.pid",
            "--user=nobody", "--group=nogroup"], None, signal.SIGTERM


def beanstalkd(tmp, port):
    # No -b: no binlog, jobs live in memory only.
    return ["beanstalkd", "-l", "127.0.0.1", "-p", str(port)], None, signal.SIGTERM


SERVERS = {f.__name__: f for f in (mosquitto, postgres, dovecot, dnsmasq, beanstalkd)}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SERVERS or not sys.argv[2].isdigit():
        print(f"usage: {sys.argv[0]} {{{'|'.join(SERVERS)}}} PORT", file=sys.stderr)
        return 2
    name, port = sys.argv[1], int(sys.argv[2])

    child = None
    stop = {"signal": signal.SIGTERM, "asked": False}

    def on_signal(signum, _frame):
        stop["asked"] = True
        if child is not None and child.poll() is None:
            try:
                child.send_signal(stop["signal"])
            except ProcessLookupError:
                pass

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    tmp = tempfile.mkdtemp(prefix=f"tcpcheck-{name}-")
    try:
        argv, user, stop["signal"] = SERVERS[name](tmp, port)
        if stop["asked"]:
            return 0
        child = subprocess.Popen(argv, preexec_fn=child_setup(user), cwd=tmp)
        if stop["asked"]:  # the signal came while starting it
            child.send_signal(stop["signal"])
        status = child.wait()
    except subprocess.CalledProcessError as e:
        print(f"real_servers.py: {name}: {e}", file=sys.stderr)
        return 1
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    if stop["asked"]:
        return 0
    if status < 0:  # died of a signal: so does the launcher
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    print(f"real_servers.py: {name} exited with status {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())

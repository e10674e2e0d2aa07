#!/usr/bin/env bash
# Installs everything tcpcheck needs to build, test and fuzz on Debian 12.
# Idempotent: packages already present are left alone, so a second run is a no-op.
#
#   ci/install-deps.sh               everything: build, tests, benchmarks, fuzzing
#   ci/install-deps.sh --build-only  what ci/build-package.sh needs (the Dockerfile)
set -euo pipefail

# What building the Debian package takes: the compiler, the libraries, help2man
# for the man pages; dpkg-dev (in build-essential) for cpack's dependency list.
# GoogleTest is there so that the package has the testing library.
build_packages=(
  build-essential cmake ninja-build pkg-config
  libasio-dev libcli11-dev libre2-dev nlohmann-json3-dev
  # `tcpcheck import` reads captures and reassembles TCP streams with libtins
  libtins-dev libpcap-dev
  googletest libgtest-dev libgmock-dev
  help2man
)

packages=(
  "${build_packages[@]}"
  libbenchmark-dev
  clang-14 libclang-rt-14-dev clang-format
  # real servers and the seed articles' Python servers, for corpus/scripts/
  # (docs/real-servers.md); the tests start their own instances on free ports
  redis-server memcached python3
  # the GitHub Action's test reads action.yml and downloads a release (from loopback)
  python3-yaml curl
  # the import tests capture loopback traffic with tcpdump
  tcpdump
  # binary-protocol servers for corpus/scripts/real-servers/ (MQTT, PostgreSQL,
  # IMAP, DNS over TCP, beanstalkd), started by tests/real_servers.py on free
  # loopback ports; dnsmasq-base is the daemon without the service package
  mosquitto postgresql-15 dovecot-imapd dnsmasq-base beanstalkd
  # the HTML report's tests render it in a real headless browser
  chromium
)

case "${1:-}" in
  "") ;;
  --build-only) packages=("${build_packages[@]}") ;;
  *) echo "install-deps: unknown argument '$1' (--build-only, or nothing)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Step 1 of the tcpcheck GitHub Action (action.yml): installs tcpcheck from its
# Debian package.
#
# Environment (action.yml passes the inputs through env, never into the
# script's text, so that no input can become shell code):
#   TCPCHECK_VERSION       the release to install (default below: the release
#                          this copy of the action belongs to). With
#                          TCPCHECK_PACKAGE, checked only when given.
#   TCPCHECK_PACKAGE       a .deb to install instead of the released one: a path,
#                          or an http(s) URL (self-hosted runners, tests)
#   TCPCHECK_REPOSITORY    owner/name whose GitHub release holds the package
#                          (action.yml sets it from github.action_repository)
#   TCPCHECK_INSTALL_ROOT  unpack the package under this directory instead of
#                          installing it into the system, and put its usr/bin on
#                          the PATH (tests; runners without root). The runtime
#                          libraries the package depends on must be there already.
#
# Writes `version=...` to $GITHUB_OUTPUT and, with TCPCHECK_INSTALL_ROOT, the
# bin directory to $GITHUB_PATH.
#
# The package is built on Debian 12 and depends on Debian 12's runtime
# libraries (libre2-9 among them): run the job in `container: debian:12`.
set -euo pipefail

# The release this copy of the action installs by default. Keep it equal to
# project(tcpcheck VERSION ...) in CMakeLists.txt: tests/action_steps_test.sh
# fails when the two differ.
default_version=0.1.0

# shellcheck source=ci/action/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say() { echo "tcpcheck install: $*"; }
die() {
  error_message "tcpcheck install" "$*"
  exit 1
}

version="${TCPCHECK_VERSION:-}"
package="${TCPCHECK_PACKAGE:-}"
root="${TCPCHECK_INSTALL_ROOT:-}"
repository="${TCPCHECK_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"

# A version is a version number, nothing else: it goes into a URL and a
# comparison. A leading v (as in the tag) is forgiven.
version="${version#v}"
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([~+.-][0-9A-Za-z.~+-]*)?$ ]]; then
  die "version '$version' is not a version number such as $default_version"
fi

# root or sudo, for apt-get; decided lazily, since TCPCHECK_INSTALL_ROOT needs neither.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing the package needs root, and sudo is not here: run the job as root" \
        "(in 'container: debian:12' it is), or set TCPCHECK_INSTALL_ROOT to unpack it instead"
  fi
}

apt_updated=0
apt_update() {
  if ((apt_updated == 0)); then
    # A fresh debian:12 container has no package lists at all.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
      die "apt-get update failed (above): the runtime libraries cannot be fetched"
    apt_updated=1
  fi
}

# curl or wget; a fresh debian:12 container has neither, so curl is installed
# then (with the CA certificates that https needs).
download() {
  local url="$1" file="$2"
  if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    if [ -n "$root" ] || ! command -v apt-get >/dev/null 2>&1; then
      die "neither curl nor wget is installed, and this runner cannot install them: install one," \
          "or give the package with 'package:'"
    fi
    say "installing curl to download the package"
    apt_update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      curl ca-certificates >/dev/null || die "could not install curl to download the package"
  fi
  say "downloading $url"
  local status=0
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --retry 5 --retry-delay 3 --retry-connrefused \
      --output "$file" "$url" || status=$?
  else
    wget --quiet --tries=5 --waitretry=3 --output-document="$file" "$url" || status=$?
  fi
  if ((status != 0)); then
    die "could not download $url (exit $status). Is there a release v${version:-?} with this" \
        "file? Check 'version:', or give the package with 'package:' (a path or URL)."
  fi
}

command -v dpkg-deb >/dev/null 2>&1 ||
  die "dpkg-deb is not here: the package is a Debian package; run the job in 'container: debian:12'"

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tcpcheck-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt reads a local package as its unprivileged _apt user; a private
# directory would make it warn and fall back to root.
chmod 755 "$work"

# 1. Find the package: given, or the release's.
if [ -n "$package" ]; then
  if [[ "$package" =~ ^https?:// ]]; then
    deb="$work/$(basename "${package%%\?*}")"
    [[ "$deb" == *.deb ]] || deb="$work/tcpcheck.deb"
    download "$package" "$deb"
  else
    [ -f "$package" ] || die "package '$package' does not exist (a path is relative to $PWD)"
    deb="$(cd "$(dirname "$package")" && pwd)/$(basename "$package")"
  fi
else
  version="${version:-$default_version}"
  if [ -z "$repository" ]; then
    die "cannot tell which repository this action came from, so not where its releases are:" \
        "set TCPCHECK_REPOSITORY=owner/name, or give the package with 'package:'"
  fi
  name="tcpcheck_${version}_${arch}.deb"
  deb="$work/$name"
  download "${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/v$version/$name" "$deb"
fi

# 2. Is it tcpcheck's package, for this machine?
package_name="$(dpkg-deb --field "$deb" Package 2>/dev/null)" ||
  die "'${package:-$deb}' is not a Debian package (dpkg-deb cannot read it)"
[ "$package_name" = tcpcheck ] ||
  die "'${package:-$deb}' is the package '$package_name', not tcpcheck"
package_version="$(dpkg-deb --field "$deb" Version)"
package_arch="$(dpkg-deb --field "$deb" Architecture)"
if [ "$package_arch" != "$arch" ] && [ "$package_arch" != all ]; then
  die "the package is built for $package_arch, this machine is $arch"
fi
if [ -n "$version" ] && [ "$package_version" != "$version" ]; then
  die "the package is version $package_version, but version $version was asked for"
fi
say "package tcpcheck $package_version ($package_arch)"

# 3. Install it, or unpack it.
if [ -n "$root" ]; then
  mkdir -p "$root"
  root="$(cd "$root" && pwd)"
  dpkg-deb --extract "$deb" "$root"
  bin="$root/usr/bin"
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin" >>"$GITHUB_PATH"
  else
    say "GITHUB_PATH is not set: add $bin to PATH yourself"
  fi
  say "unpacked into $root (not installed: its runtime libraries must be present)"
else
  command -v apt-get >/dev/null 2>&1 ||
    die "apt-get is not here: the package is built for Debian 12; run the job in 'container: debian:12'"
  # The package's dependencies are Debian 12's libraries. On another system apt
  # fails to resolve them; say why before it does.
  os="$( (. /etc/os-release 2>/dev/null && echo "${ID:-?} ${VERSION_ID:-?}") || echo unknown)"
  if [ "$os" != "debian 12" ]; then
    warning_message "tcpcheck install" "this is '$os', the package is built for Debian 12;
if apt cannot satisfy its dependencies, run the job in 'container: debian:12'"
  fi
  apt_update
  # apt-get (not dpkg -i) so that the runtime libraries come along;
  # --allow-downgrades so that the version asked for is the one installed.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    --allow-downgrades "$deb" ||
    die "apt-get could not install the package (above). It is built for Debian 12 and needs" \
        "Debian 12's libraries: run the job in 'container: debian:12'"
  bin=/usr/bin
fi

# 4. Does it run, and is it the version asked for?
got="$("$bin/tcpcheck" --version 2>&1)" ||
  die "$bin/tcpcheck does not run (missing runtime libraries? it is built for Debian 12): $got"
got_version="${got##* }"
if [ "$got_version" != "$package_version" ]; then
  die "$bin/tcpcheck says '$got', expected version $package_version"
fi
if [ -z "$root" ] && [ "$(command -v tcpcheck || true)" != "$bin/tcpcheck" ]; then
  warning_message "tcpcheck install" \
    "'$(command -v tcpcheck || echo nothing)' comes first on the PATH, not $bin/tcpcheck"
fi
say "$got installed: $bin/tcpcheck"
set_output version "$got_version"

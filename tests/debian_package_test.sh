#!/usr/bin/env bash
# The Debian package as a user gets it: built from the test build tree with
# the cpack call of ci/build-package.sh, its metadata and contents checked
# (dpkg-deb -I, -c), then unpacked into a scratch root whose tcpcheck runs
# the demo, with its man pages, completion, library and docs in place.
#
#   tests/debian_package_test.sh BUILD_DIR TCPCHECK WORK_DIR
set -euo pipefail
build_dir="$1"
tcpcheck="$2"
work="$3"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# ok SUMMARY: the summary of a part of the test, said "ok" only when the
# part failed nothing.
reported=0
ok() {
  if ((failures == reported)); then echo "ok: $*"; else echo "(with failures above): $*"; fi
  reported=$failures
}

rm -rf "$work"
mkdir -p "$work"
cpack --config "$build_dir/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  exit 1
}
version="$("$tcpcheck" --version | awk '{print $2}')"
arch="$(dpkg --print-architecture)"
deb="$work/tcpcheck_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "FAIL: no $deb; cpack made: $(ls "$work")"; exit 1; }
ok "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# --- Metadata --------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = tcpcheck ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version '$(field Version)', tcpcheck says $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture '$(field Architecture)'"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends="$(field Depends)"
# Runtime packages only, each one that Debian 12 has (it is installed here,
# where the executable was built and runs).
IFS=',' read -ra dependencies <<<"$depends"
((${#dependencies[@]} >= 3)) || fail "Depends lists too little: '$depends'"
for dependency in "${dependencies[@]}"; do
  name="$(awk '{print $1}' <<<"$dependency")"
  [[ "$name" == *-dev ]] && fail "Depends on a development package: $name"
  dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' ||
    fail "Depends on $name, which is not a Debian package installed here"
done
grep -q 'libre2' <<<"$depends" || fail "Depends does not name RE2's runtime: '$depends'"
ok "metadata: Version $version, Depends: $depends"
# apt resolves the package as the Dockerfile installs it (simulated: the
# system is left as it is).
apt-get -s install "$deb" >"$work/apt.log" 2>&1 && grep -q '^Inst tcpcheck ' "$work/apt.log" ||
  fail "apt-get cannot install the package: $(tail -3 "$work/apt.log")"
ok "apt-get -s install resolves its dependencies"

# --- Contents --------------------------------------------------------------
contents="$(dpkg-deb -c "$deb" | awk '{print $6}')"
has() { grep -qxF "./$1" <<<"$contents" || fail "the package has no /$1"; }
has usr/bin/tcpcheck
has usr/share/bash-completion/completions/tcpcheck
has usr/share/man/man1/tcpcheck.1.gz
mapfile -t subcommands < <("$tcpcheck" __complete "")
for sub in "${subcommands[@]}"; do has "usr/share/man/man1/tcpcheck-$sub.1.gz"; done
has usr/lib/cmake/tcpcheck/tcpcheckConfig.cmake
has usr/lib/cmake/tcpcheck/tcpcheckConfigVersion.cmake
has usr/lib/pkgconfig/tcpcheck.pc
has usr/lib/pkgconfig/tcpcheck-coverage.pc
has usr/lib/libtcpcheck_core.a
has usr/lib/libtcpcheck-coverage.a
has usr/include/tcpcheck/version.hpp
has usr/include/tcpcheck/coverage.h
has usr/share/doc/tcpcheck/README.md
has usr/share/doc/tcpcheck/CHANGELOG.md
has usr/share/doc/tcpcheck/docs/check.md
# Nothing outside /usr, nothing of the build or the tests.
grep -vE '^\./(usr/.*)?$' <<<"$contents" && fail "files outside /usr"
grep -E 'tests?/|bench|\.o$|CMakeFiles' <<<"$contents" && fail "build or test files packaged"
ok "contents: $(grep -c . <<<"$contents") entries"

# --- Unpacked: tcpcheck runs from the scratch root ---------------------------
root="$work/root"
dpkg-deb -x "$deb" "$root"
unpacked="$root/usr/bin/tcpcheck"
[ "$("$unpacked" --version)" = "tcpcheck $version" ] || fail "unpacked --version: $("$unpacked" --version)"
(cd "$work" && "$unpacked" demo --soak 100 >"$work/demo.log" 2>&1) || {
  status=$?
  tail -20 "$work/demo.log"
  fail "the unpacked tcpcheck demo exited $status"
}
grep -q "naive-greeting" "$work/demo.log" || fail "the demo's output names no naive server"
ok "the unpacked tcpcheck ran the demo"
# The unpacked library's CMake package says the same version.
grep -q "set(PACKAGE_VERSION \"$version\")" "$root/usr/lib/cmake/tcpcheck/tcpcheckConfigVersion.cmake" ||
  fail "tcpcheckConfigVersion.cmake does not say $version"
grep -q "inline constexpr std::string_view version = \"$version\"" "$root/usr/include/tcpcheck/version.hpp" ||
  fail "version.hpp does not say $version"
# The unpacked completion answers through the unpacked executable.
completion="$(PATH="$root/usr/bin:$PATH" bash -c "
  source '$root/usr/share/bash-completion/completions/tcpcheck'
  COMP_WORDS=(tcpcheck fu); COMP_CWORD=1; _tcpcheck; echo \"\${COMPREPLY[*]}\"")"
[ "$completion" = fuzz ] || fail "the packaged completion of 'fu' gave '$completion'"
ok "the packaged completion completes 'fu' to fuzz"

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "the package is complete and its tcpcheck runs"

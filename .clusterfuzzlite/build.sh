#!/bin/bash -eu
# Builds tcpcheck's libFuzzer targets for ClusterFuzzLite (docs/ci.md), inside
# the image of .clusterfuzzlite/Dockerfile, once per sanitizer.
#
# ClusterFuzzLite sets $CC/$CXX (its clang), $CFLAGS/$CXXFLAGS (the sanitizer
# of this build: address, undefined, memory or coverage, with
# -fsanitize=fuzzer-no-link, and libc++), $LIB_FUZZING_ENGINE (libFuzzer),
# $SRC, $WORK and $OUT. Those flags must be the only ones: so tcpcheck::core is
# built by CMake with $CXXFLAGS and TCPCHECK_FUZZ=OFF (which would add ASan and
# UBSan to every build), and each fuzz target is compiled and linked here,
# against the core, with $CXXFLAGS and $LIB_FUZZING_ENGINE.
#
# The core needs RE2 (the scripts' `expect regex`). RE2 is built here too, from
# $SRC/re2 (the Dockerfile clones it), with the same compiler and flags: a
# distribution's libre2 is built against libstdc++, not ClusterFuzzLite's
# libc++, and without the sanitizer (MemorySanitizer needs every library
# instrumented). Without $SRC/re2 (a local run on Debian, as docs/ci.md
# shows), the system's RE2 is used through pkg-config.
#
# Output, for each target of fuzz/CMakeLists.txt: $OUT/<target>_fuzzer, and
# $OUT/<target>_fuzzer_seed_corpus.zip holding corpus/<target>/ (regression/
# included): the seed corpus must be named after the fuzzer binary.

src="$SRC/tcpcheck"
build="$WORK/tcpcheck-build"

# The targets, as fuzz/CMakeLists.txt lists them (one list, no drift).
targets=$(sed -n 's/^set(TCPCHECK_FUZZ_TARGETS \(.*\))$/\1/p' "$src/fuzz/CMakeLists.txt")
if [ -z "$targets" ]; then
  echo "build.sh: no set(TCPCHECK_FUZZ_TARGETS ...) line in fuzz/CMakeLists.txt" >&2
  exit 1
fi

# FuzzedDataProvider.h ships with clang, in <resource-dir>/include/fuzzer/;
# the targets include it as <FuzzedDataProvider.h>.
fdp_dir="$("$CXX" -print-resource-dir)/include/fuzzer"
if [ ! -f "$fdp_dir/FuzzedDataProvider.h" ]; then
  fdp_dir="$(dirname "$(find /usr/local/lib /usr/lib -name FuzzedDataProvider.h -path '*/fuzzer/*' -print -quit 2>/dev/null)")"
fi
if [ ! -f "$fdp_dir/FuzzedDataProvider.h" ]; then
  echo "build.sh: FuzzedDataProvider.h not found (looked in $("$CXX" -print-resource-dir)/include/fuzzer)" >&2
  exit 1
fi

# RE2 into $WORK/re2-install, built in a copy so the source stays clean; its
# `static-install` writes the re2.pc that the core's pkg_check_modules reads.
if [ -d "$SRC/re2" ]; then
  re2_prefix="$WORK/re2-install"
  rm -rf "$WORK/re2-src" "$re2_prefix"
  cp -r "$SRC/re2" "$WORK/re2-src"
  make -C "$WORK/re2-src" -j"$(nproc)" static-install prefix="$re2_prefix" \
    CXX="$CXX" CXXFLAGS="$CXXFLAGS" >/dev/null
  export PKG_CONFIG_PATH="$re2_prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
if ! pkg-config --exists re2; then
  echo "build.sh: RE2 not found: no \$SRC/re2 to build, and pkg-config finds no re2" >&2
  exit 1
fi

# The core only. The CLI (CLI11), harness (Asio), tests (GoogleTest) and
# benchmarks are off, and so not configured.
# No CMAKE_BUILD_TYPE: the optimization and debug flags are ClusterFuzzLite's.
cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_BUILD_TYPE= \
  -DTCPCHECK_BUILD_CLI=OFF -DTCPCHECK_BUILD_TESTS=OFF -DTCPCHECK_BUILD_BENCH=OFF \
  -DTCPCHECK_FUZZ=OFF -DTCPCHECK_SANITIZE=OFF
cmake --build "$build" --target tcpcheck_core -j"$(nproc)"
core_lib="$build/core/libtcpcheck_core.a"

for target in $targets; do
  fuzzer="${target}_fuzzer"
  echo "== $fuzzer"
  # The flags are word lists, split on purpose.
  # shellcheck disable=SC2086,SC2046
  $CXX $CXXFLAGS -std=c++20 \
    -I"$src/core/include" -I"$src/fuzz" -isystem "$fdp_dir" \
    "$src/fuzz/$fuzzer.cpp" -o "$OUT/$fuzzer" \
    $LIB_FUZZING_ENGINE "$core_lib" $(pkg-config --libs re2)

  # Seed corpus: every file under corpus/<target>/, flattened into one zip;
  # a file in a subdirectory (regression/) is named after its path, so that
  # it cannot collide with a file above it.
  corpus="$src/corpus/$target"
  seeds="$WORK/seeds/$fuzzer"
  rm -rf "$seeds" "$OUT/${fuzzer}_seed_corpus.zip"
  mkdir -p "$seeds"
  (cd "$corpus" 2>/dev/null && find . -type f -print) | while IFS= read -r file; do
    name="${file#./}"
    cp "$corpus/$name" "$seeds/${name//\//-}"
  done
  if [ -n "$(ls -A "$seeds")" ]; then
    zip -q -j -r "$OUT/${fuzzer}_seed_corpus.zip" "$seeds"
  fi
done

#!/usr/bin/env bash
# The man pages made from --help (cmake/generate_man_pages.cmake): one per
# subcommand the executable has, each with a real NAME line, the version,
# every option its --help lists, and a pointer to its guide.
#
#   tests/man_pages_test.sh TCPCHECK MAN_DIR
set -euo pipefail
tcpcheck="$1"
man_dir="$2"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# roff as text: help2man writes '-' as '\-' and fonts as \fB..\fR.
page_text() { zcat "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(CW//g' -e 's/\\,//g' -e 's/\\\///g'; }

version="$("$tcpcheck" --version | awk '{print $2}')"
mapfile -t subcommands < <("$tcpcheck" __complete "")
((${#subcommands[@]} >= 10)) || fail "only ${#subcommands[@]} subcommands: ${subcommands[*]}"

for page in tcpcheck "${subcommands[@]/#/tcpcheck-}"; do
  file="$man_dir/$page.1.gz"
  if [ ! -f "$file" ]; then
    fail "$page: no $file"
    continue
  fi
  text="$(page_text "$file")"
  upper="$(tr a-z A-Z <<<"$page")"
  grep -q "^\.TH $upper \"1\"" <<<"$text" || fail "$page: title is not $upper(1)"
  grep -q "\"tcpcheck $version\"" <<<"$text" || fail "$page: no version $version"
  # NAME must be the table's line, not help2man's fallback (the bare name).
  name_line="$(sed -n '/^\.SH NAME/{n;p;q}' <<<"$text")"
  [[ "$name_line" == "$page - "* && ${#name_line} -gt $((${#page} + 15)) ]] ||
    fail "$page: NAME is '$name_line'"
  grep -q '^\.SH "SEE ALSO"' <<<"$text" || fail "$page: no SEE ALSO"
  grep -q '/usr/share/doc/tcpcheck/' <<<"$text" || fail "$page: no guide named"

  # Every long option of --help appears in the page: they cannot drift.
  if [ "$page" = tcpcheck ]; then help="$("$tcpcheck" --help)"; else
    help="$("$tcpcheck" "${page#tcpcheck-}" --help)"; fi
  mapfile -t options < <(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
  for option in "${options[@]}"; do
    grep -qF -- "$option" <<<"$text" || fail "$page: --help has $option, the page has not"
  done
  echo "ok: $page (${#options[@]} options)"
done

# Every page renders without a warning from groff (groff-base, in every
# Debian install, is what man uses).
for file in "$man_dir"/*.1.gz; do
  warnings="$(zcat "$file" | groff -man -Tutf8 -ww -z 2>&1 || true)"
  [ -z "$warnings" ] || fail "groff warns about $(basename "$file"): $warnings"
done

if ((failures)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "all ${#subcommands[@]} subcommand pages and tcpcheck(1) are complete"

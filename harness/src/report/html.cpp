// The HTML writer: one self-contained page for a report document (the
// matrix as a grid, each failure with a sequence diagram, findings,
// coverage over time), readable from a file with scripts off.
#include "html.hpp"

#include "tcpcheck/escape.hpp"
#include "tcpcheck/report/writers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "text.hpp"

namespace tcpcheck::report {

namespace html {

namespace {

void append_hex(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

bool is_c0_control(unsigned char c) {
  return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F;
}

// U+0080..U+009F, which valid UTF-8 writes as C2 80..C2 9F.
bool is_c1_control(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size() &&
         static_cast<unsigned char>(s[i + 1]) <= 0x9F;
}

} // namespace

std::string text(std::string_view s) {
  const std::string utf8 = detail::valid_utf8(s);
  std::string out;
  out.reserve(utf8.size() + utf8.size() / 8);
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"') {
      out += "&quot;";
    } else if (c == '\'') {
      out += "&#39;";
    } else if (is_c0_control(c)) {
      append_hex(out, c);
    } else if (is_c1_control(utf8, i)) {
      append_hex(out, c);
      append_hex(out, static_cast<unsigned char>(utf8[++i]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string bytes(byte_view b, std::size_t limit) {
  std::string shown;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const std::string one = escape(b.subspan(i, 1)); // escapes are per byte
    if (shown.size() + one.size() > limit) return text(shown) + "...";
    shown += one;
  }
  return text(shown);
}

std::string shortened(std::string_view s, std::size_t limit) {
  std::string utf8 = detail::valid_utf8(s);
  if (utf8.size() <= limit) return text(utf8);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80)
    --end; // back to the start of the sequence it would cut
  utf8.resize(end);
  return text(utf8) + "...";
}

std::string time_text(std::chrono::microseconds at) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "+%.3f ms", static_cast<double>(at.count()) / 1000.0);
  return buf;
}

std::string number(double v, const char* format) {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

void fact(std::ostream& out, std::string_view name, std::string_view value_html) {
  if (value_html.empty()) return;
  out << "<dt>" << name << "</dt><dd>" << value_html << "</dd>\n";
}

std::string code(std::string_view s) {
  return s.empty() ? "" : "<code>" + text(s) + "</code>";
}

} // namespace html

namespace {

using html::code;
using html::fact;
using html::number;
using html::text;

// Failing cases drawn in full; beyond them a case gets its summary only, so
// a matrix that fails everywhere still makes a page a browser opens.
constexpr std::size_t max_cases_in_full = 50;
// Bytes of a server's stderr or sanitizer report shown per case.
constexpr std::size_t max_stderr_bytes = 64 * 1024;

// The page's one script: copy buttons and a filter for the grid. It reads
// the DOM only, never model data, and the Content-Security-Policy allows
// this script and no other (its SHA-256 below; tests/render_html.py checks
// that it matches and that the script ran).
constexpr std::string_view page_script = R"js(
"use strict";
document.documentElement.classList.add("js");
function say(button, word) {
  button.textContent = word;
  setTimeout(function () { button.textContent = "copy"; }, 1500);
}
function copyBySelection(text) {
  const area = document.createElement("textarea");
  area.value = text;
  document.body.appendChild(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  return done;
}
for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", function () {
    const text = document.getElementById(button.dataset.copy).textContent;
    const fallback = function () { say(button, copyBySelection(text) ? "copied" : "select and copy"); };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { say(button, "copied"); }, fallback);
    else fallback();
  });
}
const filter = document.getElementById("problems-only");
if (filter) filter.addEventListener("change", function () {
  document.body.classList.toggle("problems-only", filter.checked);
});
)js";
constexpr std::string_view page_script_sha256 =
    "sha256-Em9W3z/EvBSO8Ov2ZgEdYELjA4haCvw0CxaIVmGXRrs=";

constexpr std::string_view page_style = R"css(
:root { --pass: #2e7d32; --fail: #c62828; --flaky: #e65100; --warn: #f9a825; --not_run: #8d8d8d; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1240px; padding: 16px 24px; color: #1b1b1b; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f6f6f6; border: 1px solid #e2e2e2; padding: 8px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 28em; margin: 4px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.counts span { margin-right: 14px; font-weight: 600; }
.pass-text { color: var(--pass); } .fail-text { color: var(--fail); } .flaky-text { color: var(--flaky); }
.warn-text { color: #8a6d00; } .not_run-text { color: var(--not_run); }
.banner { padding: 8px 12px; border-radius: 4px; background: #fdecea; border: 1px solid #f5c2c0; margin: 8px 0; }
.area h3 { margin-bottom: 2px; }
.area-counts { color: #555; font-size: 13px; margin: 0 0 6px; }
.grid { display: flex; flex-wrap: wrap; gap: 4px; }
.cell { display: block; width: 12em; padding: 4px 6px; border-radius: 3px; color: #fff; text-decoration: none; font: 11px ui-monospace, monospace; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cell.pass { background: var(--pass); } .cell.fail { background: var(--fail); } .cell.flaky { background: var(--flaky); }
.cell.warn { background: var(--warn); color: #000; } .cell.not_run { background: var(--not_run); }
.problems-only .cell.pass, .problems-only .cell.not_run { display: none; }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: 12px; background: var(--not_run); }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.flaky { background: var(--flaky); } .badge.warn { background: var(--warn); color: #000; }
section.case { border: 1px solid #ddd; border-left: 6px solid var(--not_run); border-radius: 4px; padding: 6px 14px 10px; margin: 14px 0; }
section.case.fail { border-left-color: var(--fail); } section.case.flaky { border-left-color: var(--flaky); } section.case.warn { border-left-color: var(--warn); }
dl.failure { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dl.failure dt { font-weight: 600; }
dl.failure dd { margin: 0; min-width: 0; }
.timing { color: #666; font-weight: 400; font-size: 12px; margin-left: 8px; }
.plots { display: flex; flex-wrap: wrap; gap: 8px 24px; }
.plot-figure { margin: 4px 0; }
.plot-figure figcaption { font-weight: 600; font-size: 13px; }
pre.expected:empty::after, pre.got:empty::after { content: "(nothing)"; color: #888; }
.meaning { background: #fff8e1; border: 1px solid #ffe082; padding: 6px 10px; border-radius: 4px; }
.replay { display: flex; gap: 8px; align-items: flex-start; }
.replay pre { flex: 1; }
html:not(.js) .needs-js { display: none; }
ol.steps li.failed { color: var(--fail); font-weight: 600; } ol.steps li.not_run { color: var(--not_run); }
figure.diagram { margin: 8px 0; overflow-x: auto; }
figure.diagram figcaption { color: #555; font-size: 12px; }
svg.sequence { font: 12px ui-monospace, monospace; background: #fcfcfc; border: 1px solid #eee; }
svg.sequence text { text-anchor: middle; fill: #1b1b1b; }
svg.sequence .lane rect { fill: #eef2f7; stroke: #8a9bb0; }
svg.sequence .lane line { stroke: #8a9bb0; stroke-dasharray: 4 4; }
svg.sequence .lane-title { font-weight: 700; }
svg.sequence text.time { text-anchor: start; fill: #666; }
svg.sequence .arrow line { stroke-width: 1.5; }
svg.sequence .arrow.write line { stroke: #1565c0; } svg.sequence .arrow.write polygon { fill: #1565c0; }
svg.sequence .arrow.read line { stroke: #2e7d32; } svg.sequence .arrow.read polygon { fill: #2e7d32; }
svg.sequence .arrow.connect line { stroke: #777; stroke-dasharray: 5 3; } svg.sequence .arrow.connect polygon { fill: #777; }
svg.sequence .arrow.fault line { stroke: #c62828; stroke-width: 2.5; } svg.sequence .arrow.fault polygon, svg.sequence .arrow.fault text { fill: #c62828; }
svg.sequence .mark circle { fill: #555; } svg.sequence .mark text { text-anchor: start; }
svg.sequence .mark.error circle, svg.sequence .mark.error text { fill: #c62828; }
svg.sequence .cut line { stroke: #e65100; stroke-dasharray: 2 2; } svg.sequence .cut text { fill: #e65100; text-anchor: end; }
svg.sequence .pause text { fill: #777; font-style: italic; }
svg.sequence text.omitted, p.omitted { fill: #c62828; color: #c62828; }
svg.plot { font: 11px system-ui, sans-serif; }
svg.plot .axis line { stroke: #555; } svg.plot polyline { fill: none; stroke: #1565c0; stroke-width: 2; }
svg.plot circle { fill: #1565c0; } svg.plot text.end { text-anchor: end; } svg.plot text.middle { text-anchor: middle; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; vertical-align: top; }
td code { overflow-wrap: anywhere; }
)css";

std::string ms_text(std::chrono::microseconds us) {
  return detail::duration_text(std::chrono::duration_cast<std::chrono::milliseconds>(us));
}

// The page's own names, not name_of(): CSS and tests key on them.
const char* status_class(status s) {
  switch (s) {
  case status::pass:
    return "pass";
  case status::fail:
    return "fail";
  case status::flaky:
    return "flaky";
  case status::warn:
    return "warn";
  case status::not_run:
  case status::skipped: // drawn as not run; its summary says why
    return "not_run";
  }
  return "unknown";
}

std::string status_words(status s) {
  if (s == status::skipped) return "skipped";
  return s == status::not_run ? "not run" : status_class(s);
}

// Anchors by position: unique and safe whatever a case id holds.
std::string section_anchor(std::size_t index) {
  return "case-" + std::to_string(index);
}
std::string row_anchor(std::size_t index) {
  return "row-" + std::to_string(index);
}

bool shown_in_full(const test_case& c) {
  return is_problem(c.state) || c.failed.has_value() || c.death.has_value();
}

// Cases drawn in full, in document order, at most max_cases_in_full.
std::vector<std::size_t> full_cases(const document& doc) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < doc.cases.size() && out.size() < max_cases_in_full; ++i)
    if (shown_in_full(doc.cases[i])) out.push_back(i);
  return out;
}

bool contains(const std::vector<std::size_t>& v, std::size_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// --- head and summary ------------------------------------------------------

std::string page_title(const document& doc) {
  const counts n = count(doc.cases);
  std::string title = "tcpcheck " + doc.command;
  if (!doc.script.empty()) title += " " + doc.script;
  const std::size_t problems = n.fail + n.flaky;
  title += problems ? ": " + std::to_string(problems) + " failing" : ": no failures";
  return title;
}

void write_head(std::ostream& out, const document& doc) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
         "script-src '"
      << page_script_sha256 << "'\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"tcpcheck\">\n<title>" << text(page_title(doc))
      << "</title>\n<style>" << page_style << "</style>\n</head>\n";
}

void write_counts(std::ostream& out, const document& doc) {
  const counts n = count(doc.cases);
  out << "<p class=\"counts\" id=\"counts\">" << doc.cases.size()
      << (doc.cases.size() == 1 ? " case: " : " cases: ") << "<span class=\"pass-text\">" << n.pass
      << " pass</span><span class=\"fail-text\">" << n.fail
      << " fail</span><span class=\"flaky-text\">" << n.flaky
      << " flaky</span><span class=\"warn-text\">" << n.warn
      << " warn</span><span class=\"not_run-text\">" << n.not_run << " not run</span>";
  if (n.skipped) out << "<span class=\"not_run-text\">" << n.skipped << " skipped</span>";
  out << "</p>\n";
}

void write_banners(std::ostream& out, const document& doc) {
  const bool unreachable =
      (doc.check && doc.check->unreachable) || (doc.fuzz && doc.fuzz->unreachable);
  if (unreachable)
    out << "<p class=\"banner unreachable\">The target could not be reached: no case could "
           "tell anything about the server.</p>\n";
  // The rule check follows: a failed (or unstarted) baseline runs nothing
  // else; a flaky one lets the matrix run.
  const bool baseline_failed =
      doc.check && (doc.check->baseline_status == name_of(status::fail) ||
                    doc.check->baseline_status == name_of(status::not_run));
  if (baseline_failed)
    out << "<p class=\"banner baseline\">The baseline (the normal conversation, unchanged) "
           "did not pass: "
        << text(doc.check->baseline_status)
        << ". Nothing else is meaningful until it does, so the other cases were not run.</p>\n";
}

void write_overview(std::ostream& out, const document& doc) {
  out << "<header>\n<h1>" << text(page_title(doc)) << "</h1>\n<dl class=\"facts\">\n";
  fact(out, "command", code("tcpcheck " + doc.command));
  fact(out, "script", code(doc.script));
  fact(out, "target", text(doc.target));
  fact(out, "framing", code(doc.framing));
  if (doc.seed) fact(out, "seed", std::to_string(*doc.seed));
  fact(out, "elapsed", text(detail::duration_text(doc.elapsed)));
  out << "</dl>\n";
  write_counts(out, doc);
  write_banners(out, doc);
  out << "</header>\n";
}

std::string resources_text(const harness::resource_sample& r) {
  return std::to_string(r.rss_kib) + " KiB resident, " + std::to_string(r.open_fds) +
         " open descriptors, " + std::to_string(r.threads) + " threads";
}

void write_check_facts(std::ostream& out, const check_facts& facts) {
  out << "<dl class=\"facts check-facts\">\n";
  if (!facts.baseline_status.empty())
    fact(out, "baseline", text(facts.baseline_status) + " in " + ms_text(facts.baseline_elapsed));
  if (facts.serves_one_connection) fact(out, "server", text(std::string(one_connection_note)));
  if (facts.resources_before) fact(out, "server before", resources_text(*facts.resources_before));
  if (facts.resources_after) fact(out, "server after", resources_text(*facts.resources_after));
  out << "</dl>\n";
}

// --- the grid --------------------------------------------------------------

std::chrono::milliseconds area_time(const document& doc, const std::string& area) {
  if (doc.check)
    for (const auto& [name, time] : doc.check->area_times)
      if (name == area) return time;
  std::chrono::microseconds sum{0};
  for (const std::size_t i : cases_in(doc.cases, area))
    sum += doc.cases[i].elapsed;
  return std::chrono::duration_cast<std::chrono::milliseconds>(sum);
}

counts count_of(const document& doc, const std::vector<std::size_t>& members) {
  counts n;
  for (const std::size_t i : members) {
    const status s = doc.cases[i].state;
    n.pass += s == status::pass;
    n.fail += s == status::fail;
    n.flaky += s == status::flaky;
    n.warn += s == status::warn;
    n.not_run += s == status::not_run;
    n.skipped += s == status::skipped;
  }
  return n;
}

std::string area_counts_text(const counts& n) {
  std::string s;
  const auto add = [&](std::size_t k, const char* what) {
    if (k) s += (s.empty() ? "" : ", ") + std::to_string(k) + " " + what;
  };
  add(n.pass, "pass");
  add(n.fail, "fail");
  add(n.flaky, "flaky");
  add(n.warn, "warn");
  add(n.not_run, "not run");
  add(n.skipped, "skipped");
  return s;
}

// The id without its area ("bytewise" in the segmentation area), or, for
// an id that does not start with its area (a script's path), its last part.
std::string_view short_name(const test_case& c) {
  std::string_view id = c.id;
  if (id.size() > c.area.size() + 1 && id.substr(0, c.area.size()) == c.area &&
      id[c.area.size()] == '/')
    return id.substr(c.area.size() + 1);
  const std::size_t slash = id.find_last_of('/');
  return slash == std::string_view::npos || slash + 1 == id.size() ? id : id.substr(slash + 1);
}

void write_cell(std::ostream& out, const test_case& c, std::size_t index, bool has_section) {
  const std::string tooltip =
      c.id + ": " + status_words(c.state) + (c.summary.empty() ? "" : " \xe2\x80\x94 " + c.summary);
  out << "<a class=\"cell " << status_class(c.state) << "\" href=\"#"
      << (has_section ? section_anchor(index) : row_anchor(index)) << "\" data-case-id=\""
      << text(c.id) << "\" data-status=\"" << status_class(c.state) << "\" title=\""
      << text(tooltip) << "\">" << text(short_name(c)) << "</a>\n";
}

void write_grid(std::ostream& out, const document& doc, const std::vector<std::size_t>& full) {
  if (doc.cases.empty()) return;
  out << "<section id=\"matrix\">\n<h2>" << (doc.command == "check" ? "The matrix" : "Cases")
      << "</h2>\n<p class=\"needs-js\"><label><input type=\"checkbox\" id=\"problems-only\"> "
         "only cases that did not pass</label></p>\n";
  for (const std::string& area : areas_of(doc.cases)) {
    const std::vector<std::size_t> members = cases_in(doc.cases, area);
    out << "<div class=\"area\" data-area=\"" << text(area) << "\">\n<h3>" << text(area)
        << "</h3>\n<p class=\"area-counts\">" << members.size()
        << (members.size() == 1 ? " case: " : " cases: ")
        << area_counts_text(count_of(doc, members)) << " \xc2\xb7 "
        << text(detail::duration_text(area_time(doc, area))) << "</p>\n<div class=\"grid\">\n";
    for (const std::size_t i : members)
      write_cell(out, doc.cases[i], i, contains(full, i));
    out << "</div>\n</div>\n";
  }
  out << "</section>\n";
}

// --- one case in full ------------------------------------------------------

// "line 7: the reply differs", or what of it is known.
std::string where_text(const failure& f) {
  std::string where = f.line ? "line " + std::to_string(f.line) : std::string();
  if (!f.reason.empty()) where += (where.empty() ? "" : ": ") + f.reason;
  return where;
}

// Whether a case's summary only repeats where its failure happened.
bool says_the_same(const std::string& summary, const failure& f) {
  return summary == f.reason || summary == where_text(f);
}

void write_failure(std::ostream& out, const failure& f) {
  out << "<dl class=\"failure\">\n";
  const std::string where = where_text(f);
  if (!where.empty()) out << "<dt>where</dt><dd class=\"reason\">" << text(where) << "</dd>\n";
  out << "<dt>expected</dt><dd><pre class=\"expected\">" << text(f.expected)
      << "</pre></dd>\n<dt>got</dt><dd><pre class=\"got\">" << text(f.got) << "</pre></dd>\n"
      << "</dl>\n";
}

void write_death(std::ostream& out, const test_case& c) {
  if (!c.death) return;
  out << "<p class=\"death\"><strong>The " << text(c.death->who) << " died:</strong> "
      << text(c.death->how) << "</p>\n";
  std::string said = death_report(c);
  if (said.empty()) return;
  const bool cut = said.size() > max_stderr_bytes;
  if (cut) said.resize(max_stderr_bytes);
  out << "<h4>"
      << (c.death->sanitizer.empty() ? "The " + text(c.death->who) + "'s stderr"
                                     : std::string("Sanitizer report"))
      << "</h4>\n<pre class=\"stderr\">" << text(said) << "</pre>\n";
  if (cut) out << "<p class=\"omitted\">Cut at " << max_stderr_bytes << " bytes.</p>\n";
}

void write_finding_facts(std::ostream& out, const finding_facts& f) {
  out << "<dl class=\"facts finding-facts\">\n";
  fact(out, "kind", text(f.kind));
  fact(out, "signature", code(f.signature));
  fact(out, "detail", text(f.detail));
  fact(out, "found at run", std::to_string(f.run));
  fact(out, "confirmed", f.confirmed ? "yes, alone on a fresh server" : "no");
  fact(out, "duplicates", std::to_string(f.duplicates));
  fact(out, "sends",
       std::to_string(f.sends_found) + " as found, " + std::to_string(f.sends_minimized) +
           " minimized (" + std::to_string(f.minimize_replays) + " replays)");
  fact(out, "mutations", text(f.mutations));
  fact(out, "stderr excerpt", code(f.stderr_file));
  out << "</dl>\n";
}

void write_run_facts(std::ostream& out, const script_run_facts& r) {
  out << "<dl class=\"facts run-facts\">\n";
  fact(out, "script", code(r.script));
  fact(out, "target", text(r.target));
  fact(out, "framing", code(r.framing));
  fact(out, "plan", code(r.plan));
  if (r.unreachable) fact(out, "unreachable", "the target refused or never answered");
  out << "</dl>\n";
}

void write_steps(std::ostream& out, const std::vector<step_line>& steps) {
  if (steps.empty()) return;
  out << "<h4>Steps</h4>\n<ol class=\"steps\">\n";
  for (const auto& s : steps)
    out << "<li class=\"" << name_of(s.state) << "\"><code>line " << s.line << ": " << text(s.text)
        << "</code> <span class=\"mark\">"
        << (s.state == step_line::mark::not_run ? "not run" : name_of(s.state)) << "</span></li>\n";
  out << "</ol>\n";
}

void write_script_text(std::ostream& out, const test_case& c) {
  if (c.script_text.empty() && c.script_file.empty()) return;
  out << "<h4>" << (c.kind == case_kind::finding ? "Minimized script" : "Script");
  if (!c.script_file.empty()) out << " <code>" << text(c.script_file) << "</code>";
  out << "</h4>\n";
  if (!c.script_text.empty()) out << "<pre class=\"script\">" << text(c.script_text) << "</pre>\n";
}

void write_replay(std::ostream& out, const test_case& c, std::size_t index) {
  if (c.replay.empty()) return;
  const std::string id = "replay-" + std::to_string(index);
  out << "<h4>Replay</h4>\n<div class=\"replay\"><pre><code id=\"" << id << "\">" << text(c.replay)
      << "</code></pre><button type=\"button\" class=\"copy needs-js\" "
      << "data-copy=\"" << id << "\">copy</button></div>\n";
}

void write_conversation(std::ostream& out, const test_case& c, const document& doc) {
  if (c.wire_log.empty()) return;
  out << "<h4>The conversation</h4>\n<figure class=\"diagram\">\n";
  html::write_sequence_diagram(out, c.wire_log, doc.target);
  out << "<figcaption>Time runs down. Blue: the client's writes; green: what it read; red: "
         "closes, resets and errors; &quot;cut&quot;: a write right after another with no read "
         "between (a send the plan cut into pieces, or sends in a row)."
      << "</figcaption>\n</figure>\n";
  html::write_wire_table(out, c.wire_log);
}

void write_case_heading(std::ostream& out, const test_case& c) {
  out << "<h3><span class=\"badge " << status_class(c.state) << "\">" << status_words(c.state)
      << "</span> <code class=\"case-id\">" << text(c.id) << "</code>";
  if (!c.title.empty() && c.title != c.id) out << " " << text(c.title);
  out << " <span class=\"timing\">" << ms_text(c.elapsed);
  if (c.attempts > 1) out << ", " << c.attempts << " attempts";
  out << "</span></h3>\n";
}

void write_case(std::ostream& out, const test_case& c, std::size_t index, const document& doc) {
  out << "<section class=\"case " << status_class(c.state) << "\" id=\"" << section_anchor(index)
      << "\" data-case-id=\"" << text(c.id) << "\" data-status=\"" << status_class(c.state)
      << "\">\n";
  write_case_heading(out, c);
  if (!c.summary.empty() && !(c.failed && says_the_same(c.summary, *c.failed)))
    out << "<p class=\"summary\">" << text(c.summary) << "</p>\n";
  if (!c.details.empty()) {
    out << "<ul class=\"details\">\n";
    for (const auto& d : c.details)
      out << "<li>" << text(d) << "</li>\n";
    out << "</ul>\n";
  }
  if (c.finding) write_finding_facts(out, *c.finding);
  if (c.run) write_run_facts(out, *c.run);
  if (c.failed) write_failure(out, *c.failed);
  if (!c.meaning.empty())
    out << "<p class=\"meaning\"><strong>What this usually means:</strong> " << text(c.meaning)
        << "</p>\n";
  write_death(out, c);
  write_steps(out, c.steps);
  write_script_text(out, c);
  write_replay(out, c, index);
  write_conversation(out, c, doc);
  out << "</section>\n";
}

void write_full_cases(std::ostream& out, const document& doc, const std::vector<std::size_t>& full,
                      bool findings, const char* heading) {
  std::vector<std::size_t> chosen;
  for (const std::size_t i : full)
    if ((doc.cases[i].kind == case_kind::finding) == findings) chosen.push_back(i);
  if (chosen.empty()) return;
  out << "<section id=\"" << (findings ? "findings" : "failures") << "\">\n<h2>" << heading
      << "</h2>\n";
  for (const std::size_t i : chosen)
    write_case(out, doc.cases[i], i, doc);
  out << "</section>\n";
}

void write_left_out_note(std::ostream& out, const document& doc,
                         const std::vector<std::size_t>& full) {
  std::size_t wanted = 0;
  for (const auto& c : doc.cases)
    wanted += shown_in_full(c) ? 1 : 0;
  if (wanted > full.size())
    out << "<p class=\"omitted\">" << wanted - full.size() << " more failing cases of " << wanted
        << " are not shown in full; the table of all cases lists them.</p>\n";
}

// --- warnings and the table of every case -----------------------------------

void write_warnings(std::ostream& out, const document& doc, const std::vector<std::size_t>& full) {
  std::vector<std::size_t> warned;
  for (std::size_t i = 0; i < doc.cases.size(); ++i)
    if (doc.cases[i].state == status::warn && !contains(full, i)) warned.push_back(i);
  if (warned.empty()) return;
  out << "<section id=\"warnings\">\n<h2>Warnings</h2>\n";
  for (const std::size_t i : warned) {
    const test_case& c = doc.cases[i];
    out << "<section class=\"case warn\" id=\"warn-" << i << "\" data-case-id=\"" << text(c.id)
        << "\" data-status=\"warn\">\n";
    write_case_heading(out, c);
    out << "<p class=\"summary\">" << text(c.summary) << "</p>\n";
    for (const auto& d : c.details)
      out << "<p class=\"detail\">" << text(d) << "</p>\n";
    if (!c.meaning.empty()) out << "<p class=\"meaning\">" << text(c.meaning) << "</p>\n";
    out << "</section>\n";
  }
  out << "</section>\n";
}

void write_case_table(std::ostream& out, const document& doc,
                      const std::vector<std::size_t>& full) {
  if (doc.cases.empty()) return;
  out << "<section id=\"all-cases\">\n<details><summary>All " << doc.cases.size()
      << " cases</summary>\n<table><thead><tr><th>case</th><th>status</th><th>time</th>"
         "<th>attempts</th><th>summary</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < doc.cases.size(); ++i) {
    const test_case& c = doc.cases[i];
    out << "<tr id=\"" << row_anchor(i) << "\" class=\"" << status_class(c.state) << "\"><td>";
    if (contains(full, i))
      out << "<a href=\"#" << section_anchor(i) << "\"><code>" << text(c.id) << "</code></a>";
    else
      out << "<code>" << text(c.id) << "</code>";
    out << "</td><td class=\"" << status_class(c.state) << "-text\">" << status_words(c.state)
        << "</td><td>" << ms_text(c.elapsed) << "</td><td>" << c.attempts << "</td><td>"
        << text(c.summary) << "</td></tr>\n";
  }
  out << "</tbody></table>\n</details>\n</section>\n";
}

} // namespace

void write_html(std::ostream& out, const document& doc) {
  const std::vector<std::size_t> full = full_cases(doc);
  write_head(out, doc);
  out << "<body>\n";
  write_overview(out, doc);
  if (doc.check) write_check_facts(out, *doc.check);
  write_grid(out, doc, full);
  if (doc.fuzz) html::write_fuzzing(out, *doc.fuzz);
  write_full_cases(out, doc, full, true, "Findings");
  write_full_cases(out, doc, full, false, "Failures");
  write_left_out_note(out, doc, full);
  write_warnings(out, doc, full);
  write_case_table(out, doc, full);
  out << "<script>" << page_script << "</script>\n</body>\n</html>\n";
}

} // namespace tcpcheck::report

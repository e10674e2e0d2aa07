// The HTML report's fuzzing section: the run's facts, coverage, reply
// states and executions per second over time as inline SVG plots.
#include <algorithm>
#include <cstdint>

#include "html.hpp"
#include "text.hpp"

namespace tcpcheck::report::html {

namespace {

// Rows of the coverage samples table.
constexpr std::size_t max_sample_rows = 500;

struct point {
  double x = 0, y = 0;
};

// A plot's size and margins, and its scale: from 0 to the largest x and y.
struct plot_frame {
  double width = 520, height = 180;
  double left = 56, right = 16, top = 12, bottom = 34;
  double max_x = 1, max_y = 1;

  double x(double v) const { return left + v / max_x * (width - left - right); }
  double y(double v) const { return height - bottom - v / max_y * (height - top - bottom); }
};

void write_axes(std::ostream& out, const plot_frame& f) {
  out << "<g class=\"axis\"><line x1=\"" << number(f.left) << "\" y1=\"" << number(f.top)
      << "\" x2=\"" << number(f.left) << "\" y2=\"" << number(f.y(0)) << "\"/><line x1=\""
      << number(f.left) << "\" y1=\"" << number(f.y(0)) << "\" x2=\"" << number(f.x(f.max_x))
      << "\" y2=\"" << number(f.y(0)) << "\"/></g>\n<text class=\"end\" x=\"" << number(f.left - 6)
      << "\" y=\"" << number(f.top + 8) << "\">" << number(f.max_y, "%.0f")
      << "</text><text class=\"end\" x=\"" << number(f.left - 6) << "\" y=\"" << number(f.y(0) + 4)
      << "\">0</text><text class=\"end\" x=\"" << number(f.x(f.max_x)) << "\" y=\""
      << number(f.y(0) + 16) << "\">" << number(f.max_x) << " s</text><text class=\"middle\" x=\""
      << number(f.x(f.max_x / 2)) << "\" y=\"" << number(f.y(0) + 16) << "\">time</text>\n";
}

// A line plot of `points` (x in seconds), as SVG in a figure.
void write_plot(std::ostream& out, std::string_view css_class, std::string_view title,
                const std::vector<point>& points) {
  plot_frame f;
  for (const auto& p : points) {
    f.max_x = std::max(f.max_x, p.x);
    f.max_y = std::max(f.max_y, p.y);
  }
  out << "<figure class=\"plot-figure\"><figcaption>" << title << "</figcaption><svg class=\"plot "
      << css_class << "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << number(f.width)
      << "\" height=\"" << number(f.height) << "\" viewBox=\"0 0 " << number(f.width) << ' '
      << number(f.height) << "\" role=\"img\" aria-label=\"" << title << "\">\n";
  write_axes(out, f);
  out << "<polyline class=\"series\" points=\"";
  for (std::size_t i = 0; i < points.size(); ++i)
    out << (i ? " " : "") << number(f.x(points[i].x)) << ',' << number(f.y(points[i].y));
  out << "\"/>\n";
  if (!points.empty()) // the last value, and the only one of a short run
    out << "<circle cx=\"" << number(f.x(points.back().x)) << "\" cy=\""
        << number(f.y(points.back().y)) << "\" r=\"3\"/>\n";
  out << "</svg></figure>\n";
}

double seconds_of(std::chrono::milliseconds ms) {
  return static_cast<double>(ms.count()) / 1000.0;
}

// Executions per second between one sample and the one before it (the
// start of the run, for the first).
std::vector<point> rates_of(const std::vector<harness::coverage_sample>& samples) {
  std::vector<point> out;
  std::chrono::milliseconds at{0};
  std::uint64_t runs = 0;
  for (const auto& s : samples) {
    if (s.at > at && s.runs >= runs)
      out.push_back({seconds_of(s.at), static_cast<double>(s.runs - runs) / seconds_of(s.at - at)});
    at = s.at;
    runs = s.runs;
  }
  return out;
}

void write_plots(std::ostream& out, const harness::guidance_summary& g) {
  const auto& samples = g.over_time;
  if (samples.empty()) {
    out << "<p>No coverage samples were taken (the run was shorter than a sample's period).</p>\n";
    return;
  }
  std::vector<point> edges, states;
  if (samples.front().at.count() > 0) { // nothing is covered before the first run
    edges.push_back({0, 0});
    states.push_back({0, 0});
  }
  bool any_edges = false;
  for (const auto& s : samples) {
    edges.push_back({seconds_of(s.at), static_cast<double>(s.edges)});
    states.push_back({seconds_of(s.at), static_cast<double>(s.states)});
    any_edges = any_edges || s.edges > 0;
  }
  out << "<div class=\"plots\">\n";
  if (any_edges || g.feedback == harness::feedback_kind::coverage)
    write_plot(out, "coverage edges", "Edges of the server covered", edges);
  write_plot(out, "coverage states", "Reply states seen", states);
  write_plot(out, "rate", "Executions per second", rates_of(samples));
  out << "</div>\n";
}

void write_sample_table(std::ostream& out, const std::vector<harness::coverage_sample>& samples) {
  if (samples.empty()) return;
  const std::size_t listed = std::min(samples.size(), max_sample_rows);
  out << "<details class=\"samples\"><summary>" << samples.size()
      << " samples</summary>\n<table><thead><tr><th>time</th><th>runs</th><th>edges</th>"
         "<th>states</th><th>transitions</th><th>corpus</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < listed; ++i) {
    const auto& s = samples[i];
    out << "<tr><td>" << number(seconds_of(s.at)) << " s</td><td>" << s.runs << "</td><td>"
        << s.edges << "</td><td>" << s.states << "</td><td>" << s.transitions << "</td><td>"
        << s.corpus << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (listed < samples.size())
    out << "<p class=\"omitted\">" << samples.size() - listed << " more samples not listed.</p>\n";
  out << "</details>\n";
}

std::string feedback_words(const harness::guidance_summary& g) {
  std::string words(harness::name_of(g.feedback));
  if (!g.why.empty()) words += " (" + g.why + ")";
  return words;
}

void write_guidance_facts(std::ostream& out, const harness::guidance_summary& g) {
  fact(out, "feedback", text(feedback_words(g)));
  if (g.edges_total)
    fact(out, "edges", std::to_string(g.edges_covered) + " of " + std::to_string(g.edges_total));
  fact(out, "reply states",
       std::to_string(g.states) + ", " + std::to_string(g.transitions) + " transitions");
  if (g.functions_total)
    fact(out, "functions reached",
         std::to_string(g.functions_reached) + " of " + std::to_string(g.functions_total));
  if (g.processes_seen) fact(out, "server processes", std::to_string(g.processes_seen));
  if (g.learned_words) fact(out, "learned words", std::to_string(g.learned_words));
  if (!g.command_words.empty()) {
    std::string list;
    for (const auto& w : g.command_words)
      list += (list.empty() ? "" : " ") + code(w);
    fact(out, "commands learned", list);
  }
  if (g.attribution_runs)
    fact(out, "attribution",
         std::to_string(g.attribution_runs) + " runs in " +
             detail::duration_text(g.attribution_time));
}

void write_unreached(std::ostream& out, const std::vector<std::string>& names) {
  if (names.empty()) return;
  out << "<details class=\"unreached\"><summary>" << names.size()
      << " functions never reached</summary><ul>\n";
  for (const auto& n : names)
    out << "<li><code>" << text(n) << "</code></li>\n";
  out << "</ul></details>\n";
}

} // namespace

void write_fuzzing(std::ostream& out, const fuzz_facts& f) {
  out << "<section id=\"fuzzing\">\n<h2>Fuzzing</h2>\n<dl class=\"facts fuzz-facts\">\n";
  fact(out, "runs", std::to_string(f.runs));
  fact(out, "exec/s", number(f.exec_per_second));
  fact(out, "stopped", text(f.stopped));
  fact(out, "corpus", std::to_string(f.corpus) + " entries");
  write_guidance_facts(out, f.guidance);
  out << "</dl>\n";
  write_plots(out, f.guidance);
  write_sample_table(out, f.guidance.over_time);
  write_unreached(out, f.guidance.unreached_functions);
  out << "</section>\n";
}

} // namespace tcpcheck::report::html

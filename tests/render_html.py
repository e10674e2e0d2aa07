#!/usr/bin/env python3
"""Renders tcpcheck's HTML report in a real headless browser and checks the DOM.

  render_html.py --html FILE [checks] [--screenshot PNG] [--expect-exit N -- COMMAND...]
      runs COMMAND first (it writes FILE) and wants exit code N, then loads
      FILE in Debian's chromium (--headless=new), dumps the DOM the browser
      built, checks it, and takes a screenshot (1280x2000) of nonzero size
  render_html.py --hostile-server PORT
      a server that answers every connection with markup, script, invalid
      UTF-8, NUL and control characters, then closes: what a report must
      show as text and never run

Checks on every page: the browser ran the page's one script (its SHA-256
is the one the Content-Security-Policy allows, and <html> got class "js"),
and the DOM holds no element or attribute the writer does not write (no
<img>, no on* handler, no second <script>): whatever a server sent stayed
text. Then, as asked:
  --expect-case ID       a failing case's section (data-case-id=ID, status
                         fail or flaky) is in the DOM
  --expect-failures      at least one failing case's section is
  --expect-diagram       a failing case has a sequence diagram with a client
                         lane, a server lane and arrows (--arrow KIND: a
                         g.arrow.KIND, e.g. write, read, fault)
  --expect-finding       a finding's section, with its minimized script
  --expect-plot          a coverage plot with at least one point
  --expect-text TEXT     TEXT is in the page's text (as text, not markup)

Chromium missing is a failure, not a skip: ci/install-deps.sh installs it.
"""
import argparse
import base64
import hashlib
import html.parser
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

HOSTILE = (b"</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>"
           b"<svg onload=alert(2)>\"' onclick=alert(3) \xff\xfe\xc3\x28\x00\x1b[31m\r\x7f\n")

# The elements and attributes tcpcheck's HTML writer writes; the browser's
# DOM may add nothing else.
KNOWN_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "dl",
    "dt", "dd", "p", "span", "section", "div", "a", "label", "input", "pre", "code", "ul", "li",
    "ol", "strong", "em", "details", "summary", "table", "thead", "tbody", "tr", "th", "td",
    "button", "figure", "figcaption", "svg", "g", "rect", "text", "line", "polygon", "circle",
    "polyline", "script"}
KNOWN_ATTRIBUTES = {
    "lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "title", "type",
    "xmlns", "width", "height", "viewbox", "role", "aria-label", "x", "y", "x1", "y1", "x2", "y2",
    "cx", "cy", "r", "rx", "points"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = []

    def classes(self):
        return set((self.attrs.get("class") or "").split())

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def all_text(self):
        return "".join(e for el in self.walk() for e in el.text)


class DomReader(html.parser.HTMLParser):
    """The dumped DOM as a tree of Elements (it is serialized HTML, so
    html.parser reads it as the browser wrote it)."""
    VOID = {"meta", "input", "br", "img", "link", "hr", "source", "area", "base", "col", "embed",
            "wbr", "track", "param"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        e = Element(tag, attrs, self.current)
        self.current.children.append(e)
        if tag not in self.VOID:
            self.current = e

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.text.append(data)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, args, timeout=120):
    # A profile of its own: ctest runs several of these at once.
    with tempfile.TemporaryDirectory(prefix="tcpcheck-chromium-") as profile:
        command = [browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                   "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}"] + args
        print("+", " ".join(command), flush=True)
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)


def script_hash_problems(raw):
    """The page's inline script must be the one its CSP allows."""
    scripts = re.findall(r"<script>(.*?)</script>", raw, re.S)
    csp = re.search(r"script-src '(sha256-[A-Za-z0-9+/=]+)'", raw)
    if len(scripts) != 1:
        return [f"{len(scripts)} inline scripts in the file, expected 1"]
    if not csp:
        return ["no script-src hash in the Content-Security-Policy"]
    digest = "sha256-" + base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    if digest != csp.group(1):
        return [f"the CSP allows {csp.group(1)} but the script's hash is {digest}: update "
                "page_script_sha256 in harness/src/report/html.cpp"]
    return []


def injection_problems(dom):
    problems = []
    scripts = 0
    for e in dom.walk():
        if e.tag == "#document":
            continue
        if e.tag not in KNOWN_TAGS:
            problems.append(f"unexpected element <{e.tag}> in the DOM")
        scripts += e.tag == "script"
        for a, v in e.attrs.items():
            if a.startswith("on") or a not in KNOWN_ATTRIBUTES and not a.startswith("data-"):
                problems.append(f"unexpected attribute {a}={v!r} on <{e.tag}>")
            if v and v.strip().lower().startswith("javascript:"):
                problems.append(f"a javascript: URL in {a} of <{e.tag}>")
    if scripts != 1:
        problems.append(f"{scripts} <script> elements in the DOM, expected 1")
    html_element = next((e for e in dom.walk() if e.tag == "html"), None)
    if html_element is None or "js" not in html_element.classes():
        problems.append("the page's script did not run (no class js on <html>)")
    return problems


def failing_sections(dom):
    return [e for e in dom.walk() if e.tag == "section" and "case" in e.classes()
            and e.attrs.get("data-status") in ("fail", "flaky")]


def diagram_problems(dom, arrows):
    for section in failing_sections(dom):
        for svg in (e for e in section.walk() if e.tag == "svg" and "sequence" in e.classes()):
            groups = [e for e in svg.walk() if e.tag == "g"]
            kinds = {k for g in groups if "arrow" in g.classes() for k in g.classes()}
            lanes = {k for g in groups if "lane" in g.classes() for k in g.classes()}
            if {"client", "server"} <= lanes and all(a in kinds for a in arrows) and \
                    any(g.attrs.get("data-connection") for g in groups):
                print(f"ok: {section.attrs.get('data-case-id')}: lanes {sorted(lanes)}, "
                      f"arrows {sorted(kinds - {'arrow'})}")
                return []
    return [f"no failing case has a sequence diagram with client and server lanes and "
            f"arrows {arrows}"]


def finding_problems(dom):
    for e in dom.walk():
        if e.tag == "section" and e.attrs.get("id") == "findings":
            cases = [s for s in e.walk() if s.tag == "section" and "case" in s.classes()]
            scripts = [p for p in e.walk() if p.tag == "pre" and "script" in p.classes()]
            if cases and scripts:
                print(f"ok: {len(cases)} findings, first {cases[0].attrs.get('data-case-id')}")
                return []
    return ["no findings section with a case and its minimized script"]


def plot_problems(dom):
    for svg in (e for e in dom.walk() if e.tag == "svg" and "plot" in e.classes()):
        for line in (e for e in svg.walk() if e.tag == "polyline"):
            if (line.attrs.get("points") or "").strip():
                return []
    return ["no plot with a polyline of at least one point"]


def check_dom(raw, dom, args):
    problems = script_hash_problems(raw) + injection_problems(dom)
    ids = {s.attrs.get("data-case-id") for s in failing_sections(dom)}
    for wanted in args.expect_case:
        if wanted not in ids:
            problems.append(f"no failing case {wanted!r} in the DOM; failing: {sorted(ids)}")
    if args.expect_failures and not ids:
        problems.append("no failing case in the DOM")
    if args.expect_diagram:
        problems += diagram_problems(dom, args.arrow or ["write", "read"])
    if args.expect_finding:
        problems += finding_problems(dom)
    if args.expect_plot:
        problems += plot_problems(dom)
    body_text = dom.all_text()
    for text in args.expect_text:
        if text not in body_text:
            problems.append(f"{text!r} is not in the page's text")
    return problems


def hostile_server(port):
    with socket.create_server(("127.0.0.1", port)) as server:
        while True:
            client, _ = server.accept()
            with client:
                try:
                    client.sendall(HOSTILE)
                except OSError:
                    pass


def run_command(args):
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        return []
    print("+", " ".join(command), flush=True)
    done = subprocess.run(command, timeout=900)
    if args.expect_exit is not None and done.returncode != args.expect_exit:
        return [f"exit code {done.returncode}, expected {args.expect_exit}"]
    return []


def render(args, browser):
    problems = run_command(args)
    if not os.path.isfile(args.html):
        return problems + [f"{args.html} was not written"]
    with open(args.html, encoding="utf-8") as f:  # fails loudly on invalid UTF-8
        raw = f.read()
    url = "file://" + os.path.abspath(args.html)
    dumped = chromium(browser, ["--dump-dom", url])
    if dumped.returncode != 0 or not dumped.stdout:
        return problems + [f"chromium --dump-dom failed ({dumped.returncode}): "
                           f"{dumped.stderr.decode(errors='replace')[-2000:]}"]
    reader = DomReader()
    reader.feed(dumped.stdout.decode("utf-8"))
    problems += check_dom(raw, reader.root, args)
    if args.screenshot:
        if os.path.exists(args.screenshot):
            os.remove(args.screenshot)
        chromium(browser, [f"--screenshot={os.path.abspath(args.screenshot)}",
                           "--window-size=1280,2000", url])
        if not os.path.isfile(args.screenshot) or os.path.getsize(args.screenshot) == 0:
            problems.append(f"no screenshot written to {args.screenshot}")
        else:
            print(f"ok: screenshot {args.screenshot} ({os.path.getsize(args.screenshot)} bytes)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hostile-server", type=int, metavar="PORT")
    parser.add_argument("--html")
    parser.add_argument("--screenshot")
    parser.add_argument("--expect-exit", type=int)
    parser.add_argument("--expect-case", action="append", default=[])
    parser.add_argument("--expect-failures", action="store_true")
    parser.add_argument("--expect-diagram", action="store_true")
    parser.add_argument("--arrow", action="append")
    parser.add_argument("--expect-finding", action="store_true")
    parser.add_argument("--expect-plot", action="store_true")
    parser.add_argument("--expect-text", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.hostile_server is not None:
        hostile_server(args.hostile_server)
        return 0
    if not args.html:
        parser.error("--html FILE is needed")
    browser = find_chromium()
    if browser is None:
        print("FAIL: chromium is not installed; the HTML report is tested in a real browser "
              "(ci/install-deps.sh installs Debian's chromium)")
        return 1
    problems = render(args, browser)
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print(f"ok: {args.html}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

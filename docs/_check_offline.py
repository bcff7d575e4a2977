"""Fail when a built HTML page would load anything from the network.

The documentation must work on a compute node without internet access: every script,
stylesheet, font and image the pages load has to ship with them. ``make docs`` runs this on
``docs/_build/html`` after Sphinx, so a theme option or an extension that brings back a CDN
(MathJax is the usual one) fails the build.

Usage: ``python docs/_check_offline.py docs/_build/html``.

Links (``<a href="https://...">``) are fine: a reader follows them on purpose. Only what the
browser fetches by itself while rendering counts.
"""
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

# absolute (http:, https:) or protocol-relative (//host/...) URLs
_EXTERNAL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
# <link rel=...> values the browser fetches without a click
_FETCHED_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon", "manifest"}
# url(...) and @import in CSS
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.IGNORECASE)
# a script URL written into inline JavaScript (a loader configured to fetch from a CDN)
_INLINE_JS_URL = re.compile(r"""['"]((?:https?:)?//[^'"\s]+\.m?js(?:\?[^'"\s]*)?)['"]""", re.IGNORECASE)


def _external(url):
    return url is not None and bool(_EXTERNAL.match(url))


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in a
            if _external(a.get("src")):
                self.found.append(f"<script src={a['src']}>")
        elif tag == "link":
            rels = set((a.get("rel") or "").lower().split())
            if rels & _FETCHED_RELS and _external(a.get("href")):
                self.found.append(f"<link rel={a.get('rel')} href={a['href']}>")
        elif tag in ("img", "iframe", "embed", "source", "audio", "video", "track", "input"):
            if _external(a.get("src")):
                self.found.append(f"<{tag} src={a['src']}>")
        elif tag == "object" and _external(a.get("data")):
            self.found.append(f"<object data={a['data']}>")
        self.found += [f"style url({u})" for u in _CSS_URL.findall(a.get("style") or "")]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.found += [f"inline script loads {u}" for u in _INLINE_JS_URL.findall(data)]
        # <style> blocks arrive here too; only url()/@import matter there
        self.found += [f"css url({u})" for u in _CSS_URL.findall(data)]


def external_resources(html):
    """Return a description of every resource the page ``html`` would fetch from the network.

    Parameters
    ----------
    html : str
        The text of one HTML page.

    Returns
    -------
    list of str
        One entry per external script, stylesheet, image, frame or CSS ``url()``; empty when the
        page renders offline.

    Examples
    --------
    >>> external_resources('<script src="https://cdn.example.org/mathjax/tex-chtml.js"></script>')
    ['<script src=https://cdn.example.org/mathjax/tex-chtml.js>']
    >>> external_resources('<script src="_static/mathjax/tex-chtml.js"></script><a href="https://x.org">x</a>')
    []
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found


def check_tree(root):
    """Scan every ``.html`` and ``.css`` file under ``root``.

    Parameters
    ----------
    root : str or pathlib.Path
        The HTML output directory of the docs build.

    Returns
    -------
    list of (str, str)
        ``(relative path, resource)`` for every external resource found.
    """
    root = Path(root)
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"no index.html in {root}: build the docs first (make docs)")
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix == ".html":
            found = external_resources(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".css":
            found = [f"css url({u})" for u in _CSS_URL.findall(path.read_text(encoding="utf-8", errors="replace"))]
        else:
            continue
        problems += [(str(path.relative_to(root)), f) for f in found]
    return problems


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else "docs/_build/html")
    problems = check_tree(root)
    for page, what in problems:
        print(f"{page}: loads from the network: {what}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} external resource(s) in {root}: the docs would not render offline", file=sys.stderr)
        return 1
    n = sum(1 for p in root.rglob("*.html"))
    print(f"offline check: {n} pages in {root} load nothing from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())

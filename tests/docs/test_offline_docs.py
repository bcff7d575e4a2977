"""The offline check that ``make docs`` runs on the built pages catches what a CDN would break.

``docs/_check_offline.py`` is not part of the package (docs/ is not importable), so it is loaded
from its path. ``make docs`` runs it on every build; these tests show it can fail.
"""
import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _load_checker():
    spec = importlib.util.spec_from_file_location("_check_offline", DOCS / "_check_offline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_checker()

# What Sphinx writes for math when mathjax_path is left at its default (a CDN).
CDN_MATHJAX_PAGE = """<!DOCTYPE html><html><head>
<script src="_static/documentation_options.js?v=5929fcd5"></script>
<script>window.MathJax = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}</script>
<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<link rel="stylesheet" type="text/css" href="_static/pygments.css" />
</head><body><p><span class="math notranslate nohighlight">\\(w \\mathrel{+}= \\eta\\)</span></p></body></html>
"""

# The same page as the offline build writes it.
OFFLINE_PAGE = CDN_MATHJAX_PAGE.replace(
    "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js", "_static/mathjax/tex-chtml.js")


def test_cdn_mathjax_script_is_reported():
    assert check.external_resources(CDN_MATHJAX_PAGE) == [
        "<script src=https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js>"]


def test_page_with_local_mathjax_and_outgoing_links_is_clean():
    page = OFFLINE_PAGE.replace("<p>", '<p><a href="https://brian2.readthedocs.io">Brian2</a>')
    assert check.external_resources(page) == []


@pytest.mark.parametrize("tag, expected", [
    ('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">', "fonts.googleapis.com"),
    ('<link rel="preload" as="script" href="//cdn.example.org/x.js">', "//cdn.example.org/x.js"),
    ('<script src="HTTP://cdn.example.org/jquery.js"></script>', "jquery.js"),
    ('<img src="https://img.shields.io/badge/ci-passing-green.svg">', "img.shields.io"),
    ('<style>@import "https://fonts.example.org/a.css";</style>', "fonts.example.org"),
    ('<div style="background: url(https://example.org/bg.png)"></div>', "example.org/bg.png"),
    ("<script>var s = document.createElement('script'); s.src = 'https://cdn.example.org/mj.js';</script>",
     "cdn.example.org/mj.js"),
])
def test_every_kind_of_fetched_resource_is_reported(tag, expected):
    found = check.external_resources(f"<html><head>{tag}</head><body></body></html>")
    assert len(found) == 1 and expected in found[0], found


def test_local_resources_are_not_reported():
    page = ('<link rel="stylesheet" href="_static/styles/furo.css?v=1"><link rel="icon" href="_static/favicon.ico">'
            '<script src="../_static/mathjax/tex-chtml.js"></script><img src="../_images/sphx_glr_plot_001.png">'
            '<link rel="canonical" href="https://example.org/page.html">')
    assert check.external_resources(page) == []


def test_tree_check_fails_on_a_cdn_page_and_names_it(tmp_path, capsys):
    (tmp_path / "index.html").write_text(OFFLINE_PAGE)
    (tmp_path / "scales").mkdir()
    (tmp_path / "scales" / "network.html").write_text(CDN_MATHJAX_PAGE)
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "theme.css").write_text("body { font-family: x; }")
    assert check.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "scales/network.html" in err and "cdn.jsdelivr.net" in err and "index.html" not in err


def test_tree_check_passes_an_offline_tree(tmp_path, capsys):
    (tmp_path / "index.html").write_text(OFFLINE_PAGE)
    assert check.main([str(tmp_path)]) == 0
    assert "1 pages" in capsys.readouterr().out


def test_tree_check_refuses_a_missing_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="make docs"):
        check.check_tree(tmp_path)


def test_docstring_examples_of_the_checker():
    import doctest
    assert doctest.testmod(check).failed == 0

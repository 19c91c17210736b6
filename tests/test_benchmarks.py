"""The benchmarks' own inputs are sound: the synthetic knowledge base the scale benchmark
builds is deterministic and is a valid site for our build (-W: every front matter, link,
label and formula passes the gate), and the page benchmark's server compresses as the real
host does."""

from __future__ import annotations

import filecmp
import gzip
import subprocess
import sys
import urllib.request

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_pages import serve  # noqa: E402
from bench_scale import prepare_ours  # noqa: E402
from synthetic_kb import generate  # noqa: E402

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")


def test_synthetic_corpus_is_deterministic(tmp_path):
    for flavor in ("myst", "mkdocs"):
        first = generate(tmp_path / f"{flavor}-a", 12, flavor)
        second = generate(tmp_path / f"{flavor}-b", 12, flavor)
        assert first == second and len(first) == 12
        compared = filecmp.dircmp(tmp_path / f"{flavor}-a", tmp_path / f"{flavor}-b")
        assert not compared.diff_files and not compared.left_only and not compared.right_only


def test_synthetic_corpus_builds_without_a_warning(tmp_path):
    src = prepare_ours(tmp_path, 12)
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-n",
                           str(src), str(tmp_path / "html")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    articles = sorted((tmp_path / "html").glob("*/a0*.html"))
    assert len(articles) == 12
    html = articles[0].read_text(encoding="utf-8")
    assert "<mjx-container" in html and "相关文章" in html  # math rendered, our navigation added


def test_page_server_compresses_text_like_the_real_host(tmp_path):
    (tmp_path / "page.html").write_text("<p>" + "知识库" * 500 + "</p>", encoding="utf-8")
    server, base = serve(tmp_path)
    try:
        request = urllib.request.Request(base + "page.html", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body = response.read()
        assert gzip.decompress(body).decode("utf-8").count("知识库") == 500
        assert len(body) < (tmp_path / "page.html").stat().st_size / 10
    finally:
        server.shutdown()

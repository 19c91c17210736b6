"""The tag vocabulary (sphinx_kb/data/tags.yaml): one spelling per tag, new tags allowed."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURE_SITE, ROOT, article_files, build_site
from sphinx_kb import tagvocab
from sphinx_kb.metadata import parse_front_matter

# these tests build the fixture site or pages of their own: a warm run reruns them when code changes,
# not when an article does (tests/passcache.py)
pytestmark = pytest.mark.inputs("code")


@pytest.fixture(scope="module")
def vocab() -> tagvocab.Vocabulary:
    return tagvocab.load()


def test_the_vocabulary_is_clean_and_every_entry_is_described(vocab):
    assert vocab.problems == []
    assert len(vocab.names) >= 50
    assert set(vocab.descriptions) == set(vocab.names.values())


@pytest.mark.inputs("everything")
def test_every_article_uses_the_canonical_spellings(vocab):
    refused = []
    for path in article_files():
        docname = str(path.relative_to(ROOT).with_suffix(""))
        article, problems = parse_front_matter(path.read_text(encoding="utf-8"), docname)
        assert problems == [], (docname, problems)
        refused += [(docname, tag, message) for tag in article.tags
                    for verdict, message in [vocab.check(tag)] if verdict == "refused"]
    assert refused == []


@pytest.mark.parametrize("tag, canonical", [
    ("allreduce", "AllReduce"), ("ALLREDUCE", "AllReduce"), ("All Reduce", "AllReduce"),
    ("Pixel Shuffle", "PixelShuffle"), ("pixel_shuffle", "PixelShuffle"), ("kv-cache", "KV Cache"),
    ("KVCache", "KV Cache"), ("ＤＤＰ", "DDP"), ("ｐｙｔｏｒｃｈ", "PyTorch"), ("qk norm", "QK-Norm"),
    ("Layer-Norm", "LayerNorm"), ("在线softmax", "在线 softmax"), ("Focal-Loss", "Focal Loss"),
])
def test_a_near_duplicate_of_a_known_tag_is_refused_naming_it(vocab, tag, canonical):
    verdict, message = vocab.check(tag)
    assert verdict == "refused" and f"write '{canonical}'" in message


@pytest.mark.parametrize("alias, canonical", [
    ("激活重计算", "梯度检查点"), ("autograd", "自动求导"), ("Packing", "序列打包"), ("SPP", "空间金字塔池化"),
    ("Dilated Convolution", "空洞卷积"), ("dilated-convolution", "空洞卷积"),
])
def test_an_alias_is_refused_naming_the_tag_it_was_merged_into(vocab, alias, canonical):
    verdict, message = vocab.check(alias)
    assert verdict == "refused" and f"merged into '{canonical}'" in message


@pytest.mark.parametrize("tag", [
    # likely tags of articles being written (normalization, ViT): known or new, never refused
    "归一化", "BatchNorm", "LayerNorm", "RMSNorm", "ViT", "Vision Transformer", "patch", "MAE", "DeiT",
    "自注意力", "Transformer", "多模态", "图像分类", "自监督学习",
])
def test_tags_of_coming_articles_are_accepted(vocab, tag):
    assert vocab.check(tag)[0] in ("ok", "new")


def test_mistakes_in_the_vocabulary_file_are_reported_with_their_line(tmp_path):
    path = tmp_path / "tags.yaml"
    path.write_text("- name: 显存\n  description: 一句话\n"
                    "- name: 显 存\n"  # line 3: the same tag
                    "- {name: DDP, aliases: [ddp]}\n"  # line 4: an alias that is the name itself
                    "- 没有 name 的条目\n"  # line 5
                    "- {name: LoRA, colour: red}\n", encoding="utf-8")  # line 6: unknown key
    vocab = tagvocab.load(path)
    lines = {line: message for line, message in vocab.problems}
    assert sorted(lines) == [3, 4, 5, 6], vocab.problems
    assert "'显 存' is the same tag as '显存' (line 1)" in lines[3]
    assert "'ddp' is the same tag as 'DDP' (line 4)" in lines[4]
    assert "each tag entry is '- name: 标签'" in lines[5]
    assert vocab.check("显存") == ("ok", None) and vocab.check("DDP") == ("ok", None)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- name: [\n", encoding="utf-8")
    assert tagvocab.load(broken).problems[0][1].startswith("the tag vocabulary is not valid YAML")


def test_a_site_can_use_its_own_vocabulary(tmp_path):
    """kb_tag_vocabulary (relative to conf.py): its spellings are enforced, its mistakes fail
    the build at their line, its descriptions appear on the tags page."""
    src = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, src)
    (src / "tags.yaml").write_text("- name: 显存\n  description: 训练时显存花在哪里\n"
                                   "- name: 混合 精度\n"  # line 3: the fixture writes 混合精度
                                   "- name: 显-存\n", encoding="utf-8")  # line 4: a duplicate
    with open(src / "conf.py", "a", encoding="utf-8") as conf:
        conf.write('\nkb_tag_vocabulary = "tags.yaml"\n')
    site = build_site(src, tmp_path / "out")
    assert site.returncode != 0
    assert any(f"{src / 'tags.yaml'}:4: ERROR: '显-存' is the same tag as '显存' (line 1)" in w
               for w in site.warnings), site.warnings
    assert any("large-model/memory.md:4: ERROR: the tag '混合精度' is written '混合 精度' in the tag vocabulary"
               in w for w in site.warnings), site.warnings
    tags_page = site.html("tags/index.html")
    assert '<p class="kb-tag-description">训练时显存花在哪里</p>' in tags_page

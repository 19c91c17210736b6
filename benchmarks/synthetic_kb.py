"""A deterministic synthetic knowledge base of N articles shaped like ours, for scale benchmarks.

The scale benchmark builds the same corpus of 30, 300 and 1000 articles with our Sphinx site
and with MkDocs Material, so this module writes one corpus in two flavors:

* ``myst``: sources for our site (``index.md`` and the folders ``python/``, ``large-model/``,
  ``computer-vision/``, each with an ``index.md`` and the articles ``aNNNN.md``). Build it by
  linking ``conf.py``, ``sphinx_kb``, ``_static``, ``_templates``, ``locale`` and
  ``node_modules`` from the repository into the folder and making it a git repository (the
  "last updated" dates come from git); the build passes with ``-W -n``.
* ``mkdocs``: ``mkdocs.yml`` and a ``docs/`` folder with the same pages as plain Markdown
  (MyST roles become Markdown links, labelled math becomes ``$$`` blocks, listings become link
  lists); ``mkdocs build --strict`` passes. Install ``jieba`` next to mkdocs-material, or
  Material indexes Chinese text without word segmentation.

Each article looks like one of ours: front matter that passes ``sphinx_kb.metadata``, one H1,
an opening paragraph, 4-6 ``##`` sections of about 3,000 Chinese characters in all, inline and
labelled display math (varied per article, as our build caches rendered formulas by their
text), 2-3 Python blocks, a Mermaid flowchart in about a third of the articles, links to
other articles, a ``{ref}`` to a section label, and a reference list.

Everything comes from ``random.Random`` seeded with the seed and the article number, so the
same arguments always give byte-identical files.

Usage: ``python benchmarks/synthetic_kb.py DEST -n 300 --flavor myst|mkdocs [--seed 0]``
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import posixpath
import random
import re
import sys
import textwrap
from pathlib import Path
from string import Template

FLAVORS = ("myst", "mkdocs")
MIN_ARTICLES = 10  # every category needs a few articles to link between


# --- the shape of the site -------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Category:
    folder: str
    label: str  # exactly the label sphinx_kb.metadata.CATEGORIES gives the folder
    share: int  # percent of the articles
    intro: str
    subtopics: tuple[str, ...]
    topics: tuple[str, ...]  # what the articles of the category are about, for titles and prose


CATEGORIES = (
    Category("python", "Python", 20,
             "PyTorch 与 Python 的机制:分布式数据并行、自动求导、模块与函数式接口、进程与线程,以及框架源码中的设计。",
             ("分布式与并发", "PyTorch 机制", "框架源码"),
             ("自动求导", "计算图", "分布式数据并行", "进程与线程", "模块钩子", "张量视图", "数据加载器",
              "混合精度", "编译模式", "算子注册", "随机数种子", "显存分配器")),
    Category("large-model", "Large Model", 45,
             "大模型的训练与架构:显存、通信、注意力内核、优化器,以及 Transformer 与多模态模型。",
             ("训练与优化", "注意力与序列", "网络基础", "多模态模型"),
             ("自注意力", "旋转位置编码", "混合专家", "梯度检查点", "张量并行", "流水线并行", "KV 缓存",
              "学习率预热", "权重衰减", "序列打包", "视觉语言模型", "激活函数", "层归一化", "低比特量化")),
    Category("computer-vision", "Computer Vision", 35,
             "计算机视觉:检测与分割、卷积与感受野、上采样、姿态估计与相机几何。",
             ("目标检测", "分割", "卷积与特征图", "姿态与人脸"),
             ("锚框", "非极大值抑制", "特征金字塔", "空洞卷积", "感受野", "实例分割", "语义分割",
              "关键点热图", "人脸识别", "上采样", "交并比损失", "标签分配")),
)

SITE_TITLE = "深度学习知识库"
FIRST_DATE = dt.date(2024, 1, 1)
LAST_DATE = dt.date(2026, 11, 1)

# The words the prose is made of; also the tag pool.
TERMS = (
    "梯度", "反向传播", "学习率", "权重衰减", "批归一化", "层归一化", "残差连接", "自注意力", "多头注意力",
    "位置编码", "激活函数", "损失函数", "交叉熵", "优化器", "动量", "显存", "通信", "张量并行", "数据并行",
    "流水线并行", "梯度检查点", "混合精度训练", "量化", "蒸馏", "微调", "预训练", "卷积", "感受野", "特征图",
    "上采样", "池化", "锚框", "非极大值抑制", "交并比", "语义分割", "实例分割", "关键点", "热图", "相机标定",
    "数据增强", "Transformer", "Adam", "AdamW", "SGD", "LoRA", "ZeRO", "FlashAttention", "KV Cache", "RoPE",
    "MoE", "GELU", "SwiGLU", "RMSNorm", "BatchNorm", "ResNet", "ViT", "DETR", "YOLO", "FPN", "U-Net", "CUDA",
    "NCCL", "AllReduce", "自动求导", "DDP", "FSDP", "bf16", "fp16",
)
CODE_NAMES = (
    "torch.autograd.grad", "nn.Module", "F.scaled_dot_product_attention", "torch.autocast",
    "DistributedDataParallel", "register_forward_hook", "torchvision.ops.nms", "torch.compile",
    "torch.utils.checkpoint", "dist.all_reduce", "nn.functional.interpolate", "torch.backends.cudnn",
    "optimizer.zero_grad", "torch.no_grad", "Tensor.contiguous",
)
ASPECTS = ("从公式到实现", "原理与推导", "常见误区", "显存与速度的权衡", "数值稳定性", "一个最小实现",
           "实验与分析", "设计取舍", "源码阅读", "边界情况", "工程实践", "再谈细节")
HEADINGS = ("问题从哪里来", "核心思想", "公式推导", "一个最小实现", "与 PyTorch 实现对照", "复杂度分析",
            "数值稳定性", "实验设置", "结果与分析", "常见误区", "工程上的取舍", "与相关方法的比较")
LAST_HEADING = "小结"
FLOW_STEPS = ("数据加载", "数据增强", "前向计算", "损失函数", "反向传播", "梯度同步", "梯度裁剪", "参数更新",
              "特征提取", "候选框生成", "非极大值抑制", "输出结果", "显存回收", "日志记录")


# --- prose ------------------------------------------------------------------------------------
# Sentences are written without spaces around the slots; space_mixed() then puts one space
# between Chinese and Latin text, numbers, code, math and links, as our articles do.
# Punctuation follows our articles too: ASCII , : ; ( ) with Chinese 。 and 、.

OPENINGS = (
    "本文讨论{t}。",
    "本文从{a}出发,逐步推导{t}的核心公式,并给出可以直接运行的代码。",
    "很多资料只给出{t}的结论,却没有说明它与{b}之间的依赖关系,这正是本文要补上的部分。",
    "读完之后,你应该能说清{t}与{b}的区别,并知道在什么场景下选择哪一种。",
    "文中的数字要么出自论文,要么在文中推导,要么由文章自己的代码测得。",
)
SENTENCES = (
    "{t}要解决的核心问题是:在不改变模型输出的前提下,降低{a}带来的额外开销。",
    "直观地看,{a}决定了每一步能走多远,而{b}决定了方向是否可靠。",
    "以{m}为例,当序列长度翻倍时,计算量大约变为原来的四倍,显存占用则取决于是否保存中间结果。",
    "很多资料只给出结论,却没有说明{a}和{b}之间的依赖关系,这正是本节要补上的部分。",
    "在 PyTorch 中,对应的接口是{c},它在内部完成了{a}的大部分工作。",
    "如果把{a}换成{b},结果在数值上几乎一致,但训练速度会提高约{p}。",
    "需要注意的是,{m}只在批大小足够大时才近似成立,小批量下误差会明显变大。",
    "从实现上看,{t}并不复杂,难点在于让它与{a}、{b}同时正确地工作。",
    "论文给出的默认设置是{m},后续工作大多沿用了这一取值。",
    "我们在{n}张 GPU 上重复了这个实验,每组配置运行三次并取中位数。",
    "这一步的代价主要来自{a}:每个元素都要读写一次显存,带宽而不是算力成为瓶颈。",
    "换一个角度,{t}可以看作对{a}的一种近似,近似误差由{m}控制。",
    "当{a}与{b}同时开启时,两者的交互往往被忽视,下面用一个小例子说明。",
    "对初学者来说,最容易混淆的是{a}的作用范围:它影响前向计算,却不直接改变梯度。",
    "实验表明,在相同的训练步数下,采用{t}的模型损失下降更平稳,最终精度相差不到{p}。",
    "调用{c}之前,先确认输入张量位于同一设备上,否则会在运行时抛出异常。",
    "这里的关键观察是:{m},因此可以把计算拆成若干块依次完成。",
    "如果只关心推理,{a}可以完全省略;训练时则必须保留,以便反向传播使用。",
    "工程上常见的做法是把{a}放在{b}之后,这样既能复用缓存,又能减少一次同步。",
    "当模型规模增加到数十亿参数时,{a}占用的显存甚至超过参数本身。",
    "把上式展开,可以看到每一项都只依赖前一步的状态,这使得{t}天然适合增量计算。",
    "与{b}相比,{a}的优势在于实现简单、超参数少,缺点是对学习率更敏感。",
    "社区实现之间的差别主要在边界处理上,例如填充、截断以及{a}的初始化方式。",
    "为了排除随机性的影响,所有实验都固定了随机种子,并关闭了{c}中非确定性的算法。",
    "不难验证,当{m}时,上述结论退化为经典情形。",
    "{a}在{b}中的地位类似于地基:平时感觉不到,一旦出问题就会影响全局。",
    "如果训练出现损失尖峰,首先检查{a}是否溢出,其次检查{b}的设置。",
    "在多卡训练中,{a}需要在各个进程之间同步,通信量与参数量成正比。",
    "读源码时可以从{c}入手,顺着调用栈就能找到{t}的核心逻辑。",
    "这种写法的好处是可读性高,代价是多了一次内存拷贝,对大张量而言并不便宜。",
    "总结起来,{t}的收益取决于{a}在整体开销中所占的比例。",
    "若把{a}视为常数,复杂度可以写成{m},这与直觉相符。",
    "表面上看这只是一个实现细节,但它决定了{a}能否与{b}组合使用。",
    "值得一提的是,{a}最早并不是为{b}设计的,而是在别的任务上被偶然发现有效。",
    "把批大小从{n}增加到{n2}后,吞吐量提升了约{p},而收敛所需的步数几乎不变。",
    "换成{b}之后,{a}的行为基本不变,只是数值范围更大,需要相应地调整{m}。",
)
BEFORE_MATH = (
    "把上面的讨论写成公式:",
    "{a}的更新可以写成:",
    "按定义展开,得到:",
    "对{t}而言,关键的关系是:",
)
AFTER_EQ = (
    "式 {e} 中的每一项都有直观含义:第一项来自{a},第二项来自{b}。",
    "由式 {e} 可知,{a}的影响随步数衰减,这解释了前面的实验现象。",
    "式 {e} 说明,只要{m}成立,就可以放心地把{a}与{b}组合使用。",
)
BEFORE_CODE = (
    "下面的代码用最少的行数复现了这一过程,便于逐行对照公式:",
    "用 PyTorch 写出来只需要十几行:",
    "一个可以直接运行的例子:",
)
BEFORE_FLOW = ("整个流程如下图所示:", "各个步骤之间的关系如下:")
DOC_LINKS = (
    "关于{a}的更多细节,见{L}。",
    "这一点与{L}中讨论的情形相同。",
    "完整的推导可以参考{L}。",
    "如果还不熟悉{a},可以先读{L}。",
)
REF_LINKS = ("其中的推导过程见{L}一节。", "相关的分析见{L}。")
SUMMARY = (
    "本文介绍了{t}的动机、公式与实现,并用实验说明了它与{a}的关系。",
    "实际使用时,先确认{a}是否真的是瓶颈,再决定是否引入{t}。",
    "{t}与{b}并不冲突,多数训练框架允许同时开启两者。",
)

SUMMARY_HAN = 110  # about what the 小结 section adds after the last budget

CJK = "\u4e00-\u9fff"
# Pieces the spacing pass keeps whole: link placeholders, inline math and inline code.
_ATOM = re.compile(r"(⟦[^⟧]+⟧|\$[^$]+\$|`[^`]+`)")


def space_mixed(text: str) -> str:
    """One space between Chinese and Latin text, numbers, code, math and links."""
    parts = _ATOM.split(text)
    for i in range(0, len(parts), 2):  # plain text; the odd parts are atoms
        parts[i] = re.sub(rf"([{CJK}])([A-Za-z0-9])", r"\1 \2", parts[i])
        parts[i] = re.sub(rf"([A-Za-z0-9%])([{CJK}])", r"\1 \2", parts[i])
    for i in range(1, len(parts), 2):
        if re.search(rf"[{CJK}]$", parts[i - 1]):
            parts[i - 1] += " "
        if re.match(rf"[{CJK}]", parts[i + 1]):
            parts[i + 1] = " " + parts[i + 1]
    return "".join(parts)


def han_count(text: str) -> int:
    return len(re.findall(f"[{CJK}]", text))


# --- math and code ----------------------------------------------------------------------------
# Formulas are templates whose symbols and constants are drawn per article; every display
# template has one constant from a wide range ($u), so that display formulas are nearly all
# distinct, as in our articles (the Sphinx build renders each distinct formula text once).

DISPLAY_MATH = (
    r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left( \frac{Q K^{\top}}{\sqrt{d_{$sub}}} + M \right) V, "
    r"\quad M_{ij} = -\infty \ (j > i + $u)",
    r"\mathcal{L}(\theta) = -\frac{1}{$u} \sum_{i=1}^{$u} \log p_{\theta}\left( y_{i} \mid x_{i} \right) "
    r"+ \frac{$lam}{2} \lVert \theta \rVert_{2}^{2}",
    r"\theta_{t} = \theta_{t-1} - \frac{$u \times 10^{-$e} \, \hat{m}_{t}}{\sqrt{\hat{v}_{t}} + \epsilon}, "
    r"\quad \hat{m}_{t} = \frac{m_{t}}{1 - 0.$b^{t}}",
    r"y_{i} = \gamma \frac{x_{i} - \mu}{\sqrt{\sigma^{2} + 10^{-$e}}} + \beta, "
    r"\quad \mu = \frac{1}{$u} \sum_{j=1}^{$u} x_{j}",
    r"r_{$l} = r_{$lm} + \left( k_{$l} - 1 \right) \prod_{i=1}^{$lm} s_{i}, \quad s_{i} = $s, \ r_{0} = $u",
    r"H_{\mathrm{out}} = \left\lfloor \frac{H_{\mathrm{in}} + 2 \times $p - $dil \times \left( $k - 1 \right) - 1}"
    r"{$s} \right\rfloor + 1, \quad H_{\mathrm{in}} = $u",
    r"\mathrm{GIoU} = \frac{\left| A \cap B \right|}{\left| A \cup B \right|} "
    r"- \frac{\left| C \setminus \left( A \cup B \right) \right|}{\left| C \right|}, "
    r"\quad \mathcal{L}_{\mathrm{box}} = \frac{$u}{1000} \left( 1 - \mathrm{GIoU} \right)",
    r"M_{\mathrm{total}} = \left( 2 + 2 + $K \right) \Phi + $L \cdot b \cdot s \cdot h "
    r"\cdot \left( 34 + \frac{$a \, a s}{h} \right), \quad \Phi = $u \times 10^{6}",
    r"\begin{pmatrix} q'_{2i} \\ q'_{2i+1} \end{pmatrix} = \begin{pmatrix} \cos m\theta_{i} & -\sin m\theta_{i} "
    r"\\ \sin m\theta_{i} & \cos m\theta_{i} \end{pmatrix} \begin{pmatrix} q_{2i} \\ q_{2i+1} \end{pmatrix}, "
    r"\quad \theta_{i} = $u^{-2i/$d}",
    r"T_{\mathrm{ring}} = 2 \left( $P - 1 \right) \alpha + \frac{2 \left( $P - 1 \right)}{$P} \cdot \frac{n}{B}, "
    r"\quad n = $u \ \mathrm{MB}",
    r"\mathrm{FL}(p_{t}) = -\frac{$u}{10^{4}} \left( 1 - p_{t} \right)^{$g} \log\left( p_{t} \right)",
    r"\bar{x}_{t} = \sum_{i=1}^{t} 0.$b^{\,t-i} \left( 1 - 0.$b \right) x_{i} "
    r"\approx \left( 1 - 0.$b^{t} \right) \mathbb{E}[x], \quad t \le $u",
)
INLINE_MATH = (  # a few recurring symbols, most with a constant of their own (ours: 63% distinct)
    r"\mathcal{O}($N^{2} d)", r"\beta_{1} = 0.$b", r"d_{k} = $u", r"x_{t} \in \mathbb{R}^{$u}",
    r"\lambda = $lam", r"\eta = $k \times 10^{-$e}", r"k = $u", r"\frac{1}{\sqrt{$u}}",
    r"\lVert g \rVert_{2} \le $u", r"$N \times $N", r"s_{$l} = $u", r"\sum_{i=1}^{$u} w_{i} = 1",
)


def math_values(rng: random.Random) -> dict[str, object]:
    lm = rng.randint(1, 8)
    return {
        "u": rng.randint(2, 99999), "sub": rng.choice("khqv"), "k": rng.randint(1, 9), "e": rng.randint(4, 9),
        "N": rng.choice(("N", "T", "B", "L", rng.randint(8, 4096))), "lam": rng.choice(("\\lambda", "0.1", "0.01")),
        "b": rng.randint(50, 999), "d": rng.choice((64, 128, 256, 768, 1024, 4096)),
        "l": lm + 1, "lm": lm, "s": rng.randint(1, 4), "p": rng.randint(0, 3), "dil": rng.randint(1, 6),
        "K": rng.choice((4, 8, 12, 16)), "L": rng.randint(12, 96), "a": rng.randint(3, 7),
        "P": rng.choice(("p", 4, 8, 16, 64)), "g": rng.randint(1, 5),
    }


def display_math(rng: random.Random, template: str) -> str:
    return Template(template).substitute(math_values(rng))


def inline_math(rng: random.Random) -> str:
    return "$" + Template(rng.choice(INLINE_MATH)).substitute(math_values(rng)) + "$"


CODE = (
    """\
    import torch
    import torch.nn.functional as F

    torch.manual_seed($seed)
    batch, heads, seq, dim = $b, $h, $s, $d
    q = torch.randn(batch, heads, seq, dim)
    k = torch.randn(batch, heads, seq, dim)
    v = torch.randn(batch, heads, seq, dim)

    scores = q @ k.transpose(-2, -1) / dim ** 0.5
    mask = torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1)
    out = scores.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    print(torch.allclose(out, ref, atol=1e-5))
    """,
    """\
    import torch
    from torch import nn

    torch.manual_seed($seed)
    model = nn.Sequential(nn.Linear($d, $h), nn.GELU(), nn.Linear($h, $c))
    opt = torch.optim.AdamW(model.parameters(), lr=$lr, weight_decay=0.$wd)
    x, y = torch.randn($b, $d), torch.randint(0, $c, ($b,))

    for step in range($steps):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
    print(f"final loss: {loss.item():.4f}")
    """,
    """\
    import numpy as np

    def iou(a, b):
        # boxes as (x1, y1, x2, y2)
        x1, y1 = np.maximum(a[:, None, :2], b[None, :, :2]).transpose(2, 0, 1)
        x2, y2 = np.minimum(a[:, None, 2:], b[None, :, 2:]).transpose(2, 0, 1)
        inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
        area = lambda r: (r[:, 2] - r[:, 0]) * (r[:, 3] - r[:, 1])
        return inter / (area(a)[:, None] + area(b)[None, :] - inter)

    rng = np.random.default_rng($seed)
    xy = rng.uniform(0, $s, size=($b, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(8, $h, size=($b, 2))], axis=1)
    print(iou(boxes, boxes).round(3)[:3, :3])
    """,
    """\
    def receptive_field(layers):
        # layers: (kernel, stride, dilation) from input to output
        r, jump = 1, 1
        for k, s, d in layers:
            r += (k - 1) * d * jump
            jump *= s
        return r

    layers = [(3, 1, 1)] * $c + [(3, 2, 1)] + [(3, 1, $dil)] * $h2
    print("receptive field:", receptive_field(layers))
    print("with stride-2 stem:", receptive_field([(7, 2, 1), (3, 2, 1)] + layers))
    """,
    """\
    import torch

    torch.manual_seed($seed)
    x = torch.randn($b, $d, requires_grad=True)
    w = torch.randn($d, $h, requires_grad=True)
    grads = {}

    def save(name):
        def hook(grad):
            grads[name] = grad.norm().item()
        return hook

    y = x @ w
    y.register_hook(save("y"))
    (y.relu() ** 2).mean().backward()
    print({k: round(v, 4) for k, v in grads.items()}, w.grad.shape)
    """,
    """\
    def training_memory_gb(params_billion, layers=$L, hidden=$d, seq=$s, batch=$b, k=$K):
        params = params_billion * 1e9
        states = (2 + 2 + k) * params  # fp16 weights and grads, fp32 optimizer states
        # activations per layer without recomputation (Korthikanti et al., 2022)
        acts = layers * seq * batch * hidden * (34 + 5 * $h2 * seq / hidden)
        return states / 2**30, acts / 2**30

    for size in ($p1, $p2, $p3):
        states, acts = training_memory_gb(size)
        print(f"{size:>5} B params: states {states:8.1f} GiB, activations {acts:8.1f} GiB")
    """,
    """\
    import torch
    import torch.distributed as dist

    def average_gradients(model, world_size):
        # what DDP does after backward(), minus bucketing and overlap with computation
        for p in model.parameters():
            if p.grad is None:
                continue
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad /= world_size

    def train_step(model, batch, opt, world_size=$P):
        loss = model(batch).float().pow(2).mean() * $lr
        loss.backward()
        average_gradients(model, world_size)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.detach()
    """,
)


def code_block(rng: random.Random, template: str) -> str:
    values = {
        "seed": rng.randint(0, 9999), "b": rng.choice((2, 4, 8, 16, 32)), "h": rng.choice((32, 64, 128, 256)),
        "s": rng.choice((64, 128, 256, 512)), "d": rng.choice((16, 32, 64, 128)), "c": rng.randint(2, 10),
        "lr": rng.choice(("1e-3", "3e-4", "5e-4", "1e-2")), "wd": rng.choice(("01", "05", "1")),
        "steps": rng.choice((20, 50, 100, 200)), "dil": rng.randint(2, 6), "h2": rng.randint(1, 4),
        "L": rng.choice((24, 32, 40, 80)), "K": rng.choice((8, 12, 16)), "P": rng.choice((2, 4, 8)),
        "p1": rng.choice((1, 3, 7)), "p2": rng.choice((13, 14, 30)), "p3": rng.choice((65, 70, 175)),
    }
    return Template(textwrap.dedent(template)).substitute(values).rstrip("\n")


def flowchart(rng: random.Random) -> str:
    steps = rng.sample(FLOW_STEPS, rng.randint(4, 6))
    lines = ["flowchart LR"]
    for i in range(1, len(steps)):
        # mostly a chain, sometimes a branch back to an earlier step, as in our diagrams
        source = i - 1 if i < 3 or rng.random() < 0.7 else rng.randrange(i - 1)
        left = f'N{source}["{steps[source]}"]' if source == 0 and i == 1 else f"N{source}"
        lines.append(f'    {left} --> N{i}["{steps[i]}"]')
    return "\n".join(lines)


# --- references -------------------------------------------------------------------------------

FIRST_NAMES = ("Ashish", "Kaiming", "Tri", "Ilya", "Diederik", "Noam", "Xiangyu", "Alexey", "Hugo", "Jimmy",
               "Ross", "Tsung-Yi", "Olaf", "Yann", "Jianlin", "Mike", "Sergey", "Zhuang")
LAST_NAMES = ("Vaswani", "He", "Dao", "Loshchilov", "Kingma", "Shazeer", "Zhang", "Dosovitskiy", "Touvron",
              "Ba", "Girshick", "Lin", "Ronneberger", "LeCun", "Su", "Lewis", "Ioffe", "Liu")
TITLE_WORDS = (("Efficient", "Scalable", "Robust", "Simple", "Decoupled", "Dense", "Sparse", "Unified"),
               ("Attention", "Optimization", "Normalization", "Detection", "Segmentation", "Representations",
                "Parallelism", "Quantization"),
               ("for Long Sequences", "at Scale", "in Deep Networks", "with Transformers", "for Dense Prediction",
                "without Labels", "on Commodity GPUs"))
VENUES = ("NeurIPS", "ICML", "ICLR", "CVPR", "ICCV", "ECCV", "ACL", "EMNLP")


def reference(rng: random.Random) -> str:
    names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 3))]
    authors = ", ".join(names) + (", et al" if rng.random() < 0.4 else "")
    title = " ".join(rng.choice(words) for words in TITLE_WORDS)
    year = rng.randint(2015, 2025)
    arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"
    return (f"{authors}. *{title}*. {rng.choice(VENUES)}, {year}. "
            f"[arXiv:{arxiv}](https://arxiv.org/abs/{arxiv})")


# --- the corpus plan --------------------------------------------------------------------------

@dataclasses.dataclass
class Plan:
    """What other pages need to know about an article: names, titles, dates, headings."""

    docname: str
    category: Category
    title: str
    date: str
    subtopic: str
    tags: list[str]
    related: list[str]
    headings: list[str]  # the content sections; the second one carries the label

    @property
    def stem(self) -> str:
        return self.docname.split("/")[1]

    @property
    def section_label(self) -> str:
        return f"{self.stem}-sec-2"


def article_counts(n: int) -> list[int]:
    """Articles per category, in the order of CATEGORIES (the last one takes the rest)."""
    counts = [n * c.share // 100 for c in CATEGORIES[:-1]]
    return counts + [n - sum(counts)]


def plan_corpus(n: int, seed: int) -> list[Plan]:
    docnames, categories = [], []
    for category, count in zip(CATEGORIES, article_counts(n)):
        for _ in range(count):
            docnames.append(f"{category.folder}/a{len(docnames):04d}")
            categories.append(category)
    days = (LAST_DATE - FIRST_DATE).days
    plans = []
    for i, (docname, category) in enumerate(zip(docnames, categories)):
        rng = random.Random(f"{seed}:{i}:plan")
        others = docnames[:i] + docnames[i + 1:]
        headings = sorted(rng.sample(range(len(HEADINGS)), rng.randint(3, 5)))  # keep a natural order
        plans.append(Plan(
            docname=docname,
            category=category,
            title=f"{rng.choice(category.topics)}:{rng.choice(ASPECTS)}(笔记 {i + 1})",
            date=(FIRST_DATE + dt.timedelta(days=rng.randint(0, days))).isoformat(),
            subtopic=rng.choice(category.subtopics),
            tags=rng.sample(TERMS, rng.randint(3, 5)),
            related=rng.sample(others, rng.randint(2, 4)),
            headings=[HEADINGS[h] for h in headings] + [LAST_HEADING],
        ))
    return plans


# --- article bodies, independent of the flavor ------------------------------------------------
# A body is a list of blocks; text holds placeholders ⟦doc:…⟧, ⟦ref:…⟧ and ⟦eq:…⟧ that each
# flavor renders in its own syntax, so both flavors carry exactly the same corpus.

@dataclasses.dataclass
class Block:
    kind: str  # para, heading, math, code, mermaid, list
    text: str = ""
    label: str = ""  # heading label or equation label
    number: int = 0  # equation number, as Sphinx numbers labelled equations of a page
    items: list[str] = dataclasses.field(default_factory=list)


class Prose:
    """Sentences for one article: its topic, and terms, numbers, code and math drawn at random."""

    def __init__(self, rng: random.Random, topic: str):
        self.rng = rng
        self.topic = topic

    def fill(self, template: str, **extra: str) -> str:
        rng = self.rng
        a, b = rng.sample(TERMS, 2)
        n = rng.choice((2, 4, 8, 16, 32, 64))
        values = dict(t=self.topic, a=a, b=b, c=f"`{rng.choice(CODE_NAMES)}`", m=inline_math(rng), n=str(n),
                      n2=str(n * rng.choice((2, 4, 8))), p=f"{rng.randint(2, 40)}%")
        values.update(extra)
        return template.format(**values)

    def paragraph(self, count: int | None = None, extra: list[str] | None = None) -> str:
        count = count or self.rng.randint(3, 5)
        sentences = [self.fill(s) for s in self.rng.sample(SENTENCES, count)]
        for sentence in extra or []:
            sentences.insert(self.rng.randint(1, len(sentences)), sentence)
        return space_mixed("".join(sentences))


def han_count_blocks(blocks: list[Block]) -> int:
    return sum(han_count(b.text) for b in blocks if b.kind in ("para", "heading"))


def compose_body(plan: Plan, plans: list[Plan], seed: int, index: int) -> list[Block]:
    rng = random.Random(f"{seed}:{index}:body")
    prose = Prose(rng, plan.title.split(":")[0])
    content = plan.headings[:-1]  # the sections before 小结 carry the figures and links
    target_han = rng.randint(2600, 3300)  # Chinese characters; ours have 2,600-4,400

    # what goes into which section
    specials: list[list[str]] = [[] for _ in content]
    for kind in ["math"] * rng.randint(2, 3) + ["dmath"] + ["code"] * rng.randint(2, 3) + (
            ["mermaid"] if rng.random() < 1 / 3 else []):
        specials[rng.randrange(len(content))].append(kind)
    links: list[list[str]] = [[] for _ in content]
    others = [p for p in plans if p.docname != plan.docname]
    for target in rng.sample(others, rng.randint(2, 4)):
        links[rng.randrange(len(content))].append(
            prose.fill(rng.choice(DOC_LINKS), L=f"⟦doc:{target.docname}⟧"))
    target = rng.choice(others)
    links[rng.randrange(len(content))].append(
        prose.fill(rng.choice(REF_LINKS), L=f"⟦ref:{target.docname}⟧"))

    opening = [OPENINGS[i] for i in sorted(rng.sample(range(len(OPENINGS)), 3))]
    blocks = [Block("para", space_mixed("".join(prose.fill(s) for s in opening)))]
    equations = 0
    formulas = iter(rng.sample(DISPLAY_MATH, 4))  # no formula twice in one article
    codes = iter(rng.sample(CODE, 3))
    for s, heading in enumerate(content):
        # the sections share what is left of the target, so an overshoot in one is made up later
        budget = (target_han - SUMMARY_HAN - han_count_blocks(blocks)) // (len(content) - s)
        start = len(blocks)
        blocks.append(Block("heading", heading, label=plan.section_label if s == 1 else ""))
        blocks.append(Block("para", prose.paragraph(extra=links[s])))
        for kind in specials[s]:
            if kind in ("math", "dmath"):
                blocks.append(Block("para", space_mixed(prose.fill(rng.choice(BEFORE_MATH)))))
                if kind == "math":
                    equations += 1
                    label = f"{plan.stem}-eq-{equations}"
                    blocks.append(Block("math", display_math(rng, next(formulas)), label=label, number=equations))
                    after = prose.fill(rng.choice(AFTER_EQ), e=f"⟦eq:{label}⟧")
                    blocks.append(Block("para", prose.paragraph(2, extra=[after])))
                else:
                    blocks.append(Block("math", display_math(rng, next(formulas))))
            elif kind == "code":
                blocks.append(Block("para", space_mixed(rng.choice(BEFORE_CODE))))
                blocks.append(Block("code", code_block(rng, next(codes))))
            else:
                blocks.append(Block("para", space_mixed(rng.choice(BEFORE_FLOW))))
                blocks.append(Block("mermaid", flowchart(rng)))
        while han_count_blocks(blocks[start:]) < budget:
            blocks.append(Block("para", prose.paragraph()))
    blocks.append(Block("heading", LAST_HEADING))
    blocks.append(Block("para", space_mixed("".join(prose.fill(s) for s in SUMMARY))))
    blocks.append(Block("heading", "参考资料"))
    blocks.append(Block("list", items=[reference(rng) for _ in range(2)]))
    return blocks


# --- rendering --------------------------------------------------------------------------------

class Renderer:
    """Writes blocks, front matter and listings in one flavor's syntax."""

    def __init__(self, flavor: str, plans: list[Plan]):
        self.flavor = flavor
        self.plans = {p.docname: p for p in plans}
        self.equations: dict[str, int] = {}  # label -> number, for {eq} in the mkdocs flavor

    def link(self, fromdoc: str, docname: str, text: str, anchor: str = "") -> str:
        path = posixpath.relpath(docname + ".md", posixpath.dirname(fromdoc) or ".")
        return f"[{text}]({path}{'#' + anchor if anchor else ''})"

    def inline(self, text: str, fromdoc: str) -> str:
        def replace(match: re.Match) -> str:
            kind, target = match.group(1), match.group(2)
            if self.flavor == "myst":
                if kind == "doc":
                    return f"{{doc}}`/{target}`"
                if kind == "ref":
                    return f"{{ref}}`{self.plans[target].section_label}`"
                return f"{{eq}}`{target}`"
            if kind == "doc":
                return self.link(fromdoc, target, self.plans[target].title)
            if kind == "ref":
                plan = self.plans[target]
                return self.link(fromdoc, target, plan.headings[1], plan.section_label)
            return f"({self.equations[target]})"

        return re.sub(r"⟦(doc|ref|eq):([^⟧]+)⟧", replace, text)

    def block(self, block: Block, fromdoc: str) -> str:
        myst = self.flavor == "myst"
        if block.kind == "para":
            return self.inline(block.text, fromdoc)
        if block.kind == "heading":
            if not block.label:
                return f"## {block.text}"
            # MkDocs: attr_list gives the heading the same id our label gives the section
            return f"({block.label})=\n\n## {block.text}" if myst else f"## {block.text} {{ #{block.label} }}"
        if block.kind == "math":
            if not block.label:
                return f"$$\n{block.text}\n$$"
            if myst:
                return f"```{{math}}\n:label: {block.label}\n\n{block.text}\n```"
            self.equations[block.label] = block.number
            return f"$$\n{block.text} \\tag{{{block.number}}}\n$$"
        if block.kind == "code":
            return f"```python\n{block.text}\n```"
        if block.kind == "mermaid":
            return f"```{{mermaid}}\n{block.text}\n```" if myst else f"```mermaid\n{block.text}\n```"
        if block.kind == "list":
            return "\n".join(f"{i}. {item}" for i, item in enumerate(block.items, 1))
        raise ValueError(f"unknown block kind {block.kind!r}")

    def article(self, plan: Plan, body: list[Block]) -> str:
        # equation numbers are per page; blocks render in order, so an equation is numbered
        # before the paragraph that cites it
        self.equations = {}
        lines = ["---", f"date: {plan.date}", f"category: {plan.category.label}", f"subtopic: {plan.subtopic}",
                 "tags:", *(f"  - {t}" for t in plan.tags), "related:", *(f"  - {r}" for r in plan.related),
                 "---", "", f"# {plan.title}"]
        return "\n".join(lines) + "\n\n" + "\n\n".join(self.block(b, plan.docname) for b in body) + "\n"

    def home(self, plans: list[Plan]) -> str:
        intro = (f"# {SITE_TITLE}\n\n合成的中文深度学习知识库,共 {len(plans)} 篇文章,由 "
                 "`benchmarks/synthetic_kb.py` 生成,用于比较不同站点生成器在同一语料上的构建时间。"
                 "每篇文章都有公式、代码、文章之间的链接和参考资料,篇幅与真实文章相当。\n\n## 最近更新\n\n")
        if self.flavor == "myst":
            folders = "\n".join(f"{c.folder}/index" for c in CATEGORIES)
            return (intro + "```{kb-latest}\n:limit: 5\n```\n\n"
                    f"```{{toctree}}\n:maxdepth: 2\n:caption: 分类\n\n{folders}\n```\n")
        latest = sorted(sorted(plans, key=lambda p: (p.title, p.docname)), key=lambda p: p.date, reverse=True)[:5]
        items = "\n".join(f"- {self.link('index', p.docname, p.title)} {p.date}" for p in latest)
        categories = "\n".join(f"- {self.link('index', c.folder + '/index', c.label)}" for c in CATEGORIES)
        return intro + items + "\n\n## 分类\n\n" + categories + "\n"

    def category_index(self, category: Category, plans: list[Plan]) -> str:
        head = f"# {category.label}\n\n{category.intro}\n\n"
        if self.flavor == "myst":
            return (head + f"```{{kb-articles}}\n:order: {', '.join(category.subtopics)}\n```\n\n"
                    "```{toctree}\n:hidden:\n:glob:\n\n*\n```\n")
        # grouped and ordered as {kb-articles} shows them: by sub-topic, newest first
        mine = sorted(sorted((p for p in plans if p.category == category), key=lambda p: p.title),
                      key=lambda p: p.date, reverse=True)
        sections = []
        for subtopic in category.subtopics:
            group = [p for p in mine if p.subtopic == subtopic]
            if group:
                fromdoc = f"{category.folder}/index"
                items = "\n".join(f"- {self.link(fromdoc, p.docname, p.title)} {p.date}" for p in group)
                sections.append(f"## {subtopic}\n\n{items}\n")
        return head + "\n".join(sections)


MKDOCS_YML = """\
# Generated by benchmarks/synthetic_kb.py: the synthetic corpus for MkDocs Material.
site_name: {site_name}
use_directory_urls: false
theme:
  name: material
  language: zh
  features:
    - navigation.sections
    - navigation.indexes
plugins:
  # Material's search; with lang zh (and jieba installed) Chinese text is segmented at build time
  - search:
      lang: zh
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - toc:
      permalink: true
  - pymdownx.arithmatex:
      generic: true
  - pymdownx.highlight
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
# --strict then also fails on links to missing headings, as sphinx -n does for {{ref}}
validation:
  anchors: warn
"""


# --- generation -------------------------------------------------------------------------------

def generate(dest: Path, n: int, flavor: str, seed: int = 0) -> list[str]:
    """Write the corpus of n articles into dest (which must be empty or absent); returns the
    article docnames, e.g. ``large-model/a0042``."""
    if flavor not in FLAVORS:
        raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, not {flavor!r}")
    if n < MIN_ARTICLES:
        raise ValueError(f"n must be at least {MIN_ARTICLES}")
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        # stale articles from a bigger corpus would break links and skew the benchmark
        raise FileExistsError(f"{dest} is not empty")
    plans = plan_corpus(n, seed)
    renderer = Renderer(flavor, plans)
    root = dest / "docs" if flavor == "mkdocs" else dest
    pages = {"index": renderer.home(plans)}
    for category in CATEGORIES:
        pages[f"{category.folder}/index"] = renderer.category_index(category, plans)
    for i, plan in enumerate(plans):
        pages[plan.docname] = renderer.article(plan, compose_body(plan, plans, seed, i))
    for docname, text in pages.items():
        path = root / f"{docname}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))  # bytes: no platform newline translation
    if flavor == "mkdocs":
        site_name = f"{SITE_TITLE}(合成,{n} 篇)"
        (dest / "mkdocs.yml").write_bytes(MKDOCS_YML.format(site_name=site_name).encode("utf-8"))
    return [p.docname for p in plans]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="output folder (created; must be empty)")
    parser.add_argument("-n", type=int, default=30, help="number of articles (default 30)")
    parser.add_argument("--flavor", choices=FLAVORS, default="myst")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        docnames = generate(args.dest, args.n, args.flavor, args.seed)
    except (ValueError, FileExistsError) as err:
        parser.error(str(err))
    print(f"wrote {len(docnames)} articles ({args.flavor}) to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

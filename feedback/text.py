"""Words of a feedback text: Chinese segmented by rjieba (the binding of jieba-rs,
chosen over jieba in bench/bench_themes.py), English and digits split on word
boundaries and lower-cased. One tokenizer for the dictionary match and the
unsupervised grouping, so a keyword and a text are cut the same way."""
from __future__ import annotations

import re

import rjieba

# A run of CJK ideographs (segmented), or a run of Latin letters/digits (one word).
_RUN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z0-9][A-Za-z0-9'’-]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# Words that say nothing about what a text is about (for grouping and labels).
STOPWORDS = frozenset(
    "的 了 很 也 都 就 还 又 和 与 及 或 是 在 有 我 我们 你 你们 您 他 她 它 这 那 这个 那个 一些 一下 一次 "
    "但是 但 而且 并且 因为 所以 如果 希望 能否 能 可以 可能 比较 非常 有点 已经 还是 没有 不 没 吗 呢 吧 啊 "
    "请 请尽快 尽快 处理 问题 一直 经常 偶尔 整体 几次 "
    "a an the and or but of to in on at for with is are was were be been it this that we you i my our "
    "your they them very too not no please can could would should will just so".split())

def tokens(text: str) -> list[str]:
    """Every word of ``text`` in order (punctuation dropped, English lower-cased)."""
    out: list[str] = []
    for run in _RUN.findall(text or ""):
        if _CJK.match(run):
            out.extend(w for w in rjieba.cut(run) if w.strip())
        else:
            out.append(_stem(run.lower().strip("'’-")))
    return [w for w in out if w]


def _stem(word: str) -> str:
    """English plurals folded ("invoices" → "invoice"), enough for keyword matching."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith(("xes", "ches", "shes", "sses", "zes")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1]


def content_tokens(text: str) -> list[str]:
    """The words that carry meaning: no stop words, no single Latin letters."""
    return [w for w in tokens(text) if w not in STOPWORDS and not (len(w) == 1 and w.isascii())]


def phrase_in(phrase: list[str], words: list[str]) -> bool:
    """Whether the words of ``phrase`` occur in ``words`` next to each other; a
    one-word Chinese keyword also inside a compound word ("发票" in "开发票"), never
    across two words (so "价格" is not found in "性价比" nor "包装" in "打包 装车")."""
    n = len(phrase)
    if not n:
        return False
    if n == 1 and _CJK.match(phrase[0]):
        return any(phrase[0] in w for w in words)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))

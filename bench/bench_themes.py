#!/usr/bin/env python
"""Chinese word segmentation for the feedback themes: jieba 0.42.1 against rjieba
0.2.2 (the binding of jieba-rs), both with their default dictionaries.

    .venv/bin/python bench/bench_themes.py --texts 100000

Speed: a corpus of short feedback texts made from the demo generators' own
phrases (survey reasons and suggestions, ticket subjects and descriptions,
follow-up feedback) joined two or three at a time, as customers write them;
each segmenter cuts every text once (after a warm-up that loads its dictionary).
Quality: word precision, recall and F1 against ``GOLD``, a hand-labelled set of
feedback sentences (the words a reader would mark), counted by character spans.
jieba is needed only here (``pip install jieba==0.42.1``); it is skipped when missing."""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Hand-labelled: each sentence as its words, separated by spaces.
GOLD = [
    "物流 太 慢 了 ， 包装 也 破损 了",
    "客服 态度 很 好 ， 但是 退款 流程 太 复杂",
    "发票 问题 拖 了 一周 才 处理",
    "系统 数据 同步 经常 延迟",
    "打 了 几次 电话 都 没 人 跟进",
    "交付 比 承诺 晚 了 两周",
    "希望 增加 批量 导出 功能",
    "希望 每月 有 一次 回访",
    "工单 进度 能否 短信 通知",
    "价格 偏高 ， 希望 再 优惠 一些",
    "售后 响应 速度 太 慢",
    "客户 经理 很 专业 ， 沟通 顺畅",
    "产品 稳定 ， 性价比 高",
    "打印机 卡纸 ， 请 尽快 处理",
    "设备 无法 开机",
    "软件 升级 后 报错",
    "服务 人员 未 按时 到达",
    "发票 抬头 有误",
    "账单 金额 不符",
    "退款 未 到账",
    "多次 维修 仍 未 解决",
    "接口 返回 超时",
    "希望 增加 培训",
    "对 售后 响应 速度 不满",
    "上门 安装 预约 了 三 天 还 没 来",
    "新品 价格 有 疑问",
    "系统 登录 失败 ， 无法 使用",
    "配件 缺失 ， 需要 补发",
    "重复 扣款 ， 请 尽快 退回",
    "月结 账单 缺少 明细",
]


def corpus(n: int, seed: int = 42) -> list[str]:
    """``n`` short texts from the demo generators' phrases."""
    from crm.demo.words import FEEDBACK
    from surveys.demo import DETRACTOR_REASONS, PASSIVE_REASONS, PROMOTER_REASONS, SUGGESTIONS
    from tickets.demo import SUBJECTS

    phrases = [p for p in (*PROMOTER_REASONS, *PASSIVE_REASONS, *DETRACTOR_REASONS, *SUGGESTIONS, *FEEDBACK,
                           *(s for subjects in SUBJECTS.values() for s in subjects)) if p]
    rng = random.Random(seed)
    return ["，".join(rng.sample(phrases, rng.randint(1, 3))) + rng.choice(["。", "，请尽快处理。", "！", ""])
            for _ in range(n)]


def _spans(words: list[str]) -> set[tuple[int, int]]:
    out, at = set(), 0
    for w in words:
        out.add((at, at + len(w)))
        at += len(w)
    return out


def quality(cut) -> dict:
    hit = pred = gold = 0
    for line in GOLD:
        words = line.split()
        sentence = "".join(words)
        got = [w for w in cut(sentence) if w]
        assert "".join(got) == sentence
        g, p = _spans(words), _spans(got)
        hit, pred, gold = hit + len(g & p), pred + len(p), gold + len(g)
    precision, recall = hit / pred, hit / gold
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / (precision + recall)}


def speed(cut, texts: list[str]) -> dict:
    cut("预热")
    t0 = time.perf_counter()
    words = sum(len(cut(t)) for t in texts)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "texts_per_s": len(texts) / seconds, "words": words}


def segmenters() -> dict:
    import rjieba

    out = {}
    try:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        out["jieba 0.42.1"] = lambda s: jieba.lcut(s, HMM=True)
    except ImportError:
        print("jieba not installed: skipped", file=sys.stderr)
    out["rjieba 0.2.2"] = lambda s: rjieba.cut(s, hmm=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    import django

    import os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    texts = corpus(args.texts, args.seed)
    print(f"{len(texts)} texts, {sum(map(len, texts))} characters; {len(GOLD)} hand-labelled sentences")
    for name, cut in segmenters().items():
        t0 = time.perf_counter()
        cut("加载")
        load = time.perf_counter() - t0
        s, q = speed(cut, texts), quality(cut)
        print(f"{name}: load {load:.2f} s; {s['seconds']:.2f} s for the corpus ({s['texts_per_s']:,.0f} texts/s, "
              f"{s['words']} words); P {q['precision']:.3f} R {q['recall']:.3f} F1 {q['f1']:.3f}")


if __name__ == "__main__":
    main()

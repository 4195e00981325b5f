"""A generated archive shaped like the real one, for bench.py and compare.py.

Body sizes follow the real archive's distribution (issue 18): a median of about 2,000
characters, a mean of about 5,000, p90 13,800, p99 33,000 and the largest 53,500, with the
long tail of big pieces. Bodies are Chinese paragraphs (3 bytes a character in UTF-8); a
quarter are plain text with no markup, as in the real archive; the rest are HTML with the
Sina junk blocks (金融), images, an occasional heading, and the ``onclick`` handlers the
cleaner strips. Each file has 1-4 categories out of 20 and the archive's wrapper (a blank
line, ``---``, ``<div>`` and three spaces ... ``</div>`` and twelve spaces).

Every file is valid YAML front matter, so Hugo reads the same folder: Hugo stops at the
first file whose front matter is not (the real archive's unquoted ``@`` titles and quote
runs), so those defects are left out here; the ones Hugo reads are kept (``Invalid Date``,
titles that are only a mention, placeholder and junk thumbnails, empty bodies).
"""

from __future__ import annotations

import bisect
import math
import random
import statistics
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

TOPICS = ["金融", "科技", "新媒体", "二次元", "编程", "设计", "游戏", "图片", "学习", "博客"]
SOURCES = ["新浪财经", "36kr", "财联社", "掘金 - 热门", "Bangumi", "Hacker News", "少数派", "煎蛋",
           "证券时报网", "雪球"]  # fmt: skip
_WORDS = "市场 经济 数据 增长 企业 投资 政策 发展 技术 用户 平台 产品 行业 全球 中国 公司 研究 报告"
WORDS = _WORDS.split()
_ENGLISH = "the of and data model cache build latency query index server user release python rust"
ENGLISH = [*_ENGLISH.split(), "memory", "thread", "queue", "request", "design"]
JUNK = """
<!--article_adlist[<p cms-style="font-M">--><!-- news_keyword_pub,stock, -->
<!-- 文末二维码 start -->
<style>
.appendQr_wrap&#123;border:1px solid #E6E6E6;padding:8px;&#125;
.appendQr_normal img&#123;width:74px;&#125;
</style>
<div class="clearfix appendQr_wrap">
    <div class="appendQr_normal"><img src="https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"></div>
    <div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div>
</div>
<p class="article-editor">责任编辑：李墨轩 </p>
"""
# The real archive's body sizes in characters, as (quantile, size) knots; sizes between two
# knots are interpolated on a log scale. p10, p25 and p75 are not known: they are chosen so
# that the mean comes out at about 5,000 with the known median, p90, p99 and maximum.
SIZE_KNOTS = [(0.0, 40), (0.1, 500), (0.25, 1000), (0.5, 2000), (0.75, 5000), (0.9, 13_800),
              (0.99, 33_000), (1.0, 53_500)]  # fmt: skip
PLAIN_SHARE = 0.25  # bodies with no markup at all


def body_size(u: float) -> int:
    """The body size, in characters, at quantile ``u`` (0 <= u <= 1) of the real archive."""
    quantiles = [q for q, _ in SIZE_KNOTS]
    i = min(bisect.bisect_right(quantiles, u) - 1, len(SIZE_KNOTS) - 2)
    (q0, s0), (q1, s1) = SIZE_KNOTS[i], SIZE_KNOTS[i + 1]
    t = (u - q0) / (q1 - q0)
    return round(math.exp(math.log(s0) + t * (math.log(s1) - math.log(s0))))


def sentence(rng: random.Random, words: int) -> str:
    picked = rng.choices(WORDS, k=words)
    return "，".join("".join(picked[i : i + 3]) for i in range(0, len(picked), 3))


def english(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(ENGLISH, k=words))


def html_paragraph(rng: random.Random, i: int, words: int) -> str:
    """One block: Chinese or English text with links, a code block, or a figure.

    The real long pieces (知乎, 美团技术团队, 掘金, Hacker News) carry much markup, code and
    English: about 1.4 bytes a character rather than Chinese text's 3, hence the mix.
    """
    kind = rng.random()
    if kind < 0.4:
        text = sentence(rng, words)
        if rng.random() < 0.2:
            text = f'{text}<font cms-style="font-L strong-Bold">{rng.choice(WORDS)}数据</font>'
        if rng.random() < 0.5:
            target = f"https%3A//github.com/{rng.choice(ENGLISH)}/{rng.choice(ENGLISH)}"
            text += (
                f'<a href="https://link.zhihu.com/?target={target}" class=" wrap external"'
                f' target="_blank" rel="nofollow noreferrer">{english(rng, 2)}</a>'
            )
        pid = "".join(rng.choices("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=8))
        return f'<p data-pid="{pid}" cms-style="font-L">\u3000\u3000{text}。</p>'
    if kind < 0.8:
        return f"<p>{english(rng, words)}. <code>{rng.choice(ENGLISH)}()</code></p>"
    if kind < 0.95:
        lines = "\n".join(f"    {english(rng, 4).replace(' ', '_')} = {rng.randint(0, 99)}"
                          for _ in range(max(1, words // 8)))  # fmt: skip
        return f'<pre><code class="language-python">def f():\n{lines}\n</code></pre>'
    return f"<h2>{sentence(rng, 6)}</h2>"


def figure(rng: random.Random, i: int, at: int) -> str:
    image = f"https://pic{rng.randint(1, 4)}.zhimg.com/v2-{i:08x}{at:08x}"
    return (
        f'<figure data-size="normal"><img src="{image}_b.jpg" data-caption="" data-size="normal"'
        f' data-rawwidth="1080" data-rawheight="720" class="origin_image zh-lightbox-thumb"'
        f' width="1080" data-original="{image}_r.jpg" onclick="x()"/></figure>'
    )


def html_body(i: int, rng: random.Random, size: int, junk: bool) -> str:
    """Blocks up to ``size`` characters, with a figure every 3,000 characters or so."""
    parts: list[str] = []
    length = 0
    while length < size:
        words = min(rng.randint(20, 60), max(2, (size - length) // 3))
        if length and rng.random() < 0.08:
            part = figure(rng, i, length)
        else:
            part = html_paragraph(rng, i, words)
        parts.append(part)
        length += len(part) + 1
    if rng.random() < 0.5:
        parts.append(f'<p><img src="https://img.example.com/{i}.jpg" onclick="x()"></p>')
    if junk:
        parts.append(JUNK)
    return "\n".join(parts)


def plain_body(rng: random.Random, size: int) -> str:
    """Plain text lines up to ``size`` characters, as a quarter of the real bodies are."""
    lines: list[str] = []
    length = 0
    while length < size:
        line = sentence(rng, min(rng.randint(20, 60), max(2, (size - length) // 3))) + "。"
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines)


def article(i: int, rng: random.Random, date: str | None = None) -> str:
    """The ``i``-th article; dated in May 2022 (``date`` unless given) as ``i`` says."""
    topic = rng.choice(TOPICS)
    cats = [topic, *rng.sample(SOURCES, rng.randint(0, 3))]
    u = rng.random()
    size = body_size(u)
    # Plain bodies are the short ones (快讯, 电报, posts): drawn among the shortest 40%.
    if u < 0.4 and rng.random() < PLAIN_SHARE / 0.4:
        body = plain_body(rng, size)
    else:
        body = html_body(i, rng, size, junk=topic == "金融")
    thumb = (
        f"https://picsum.photos/400/300?random={i}" if i % 3 else f"https://img.example.com/{i}.jpg"
    )
    if date is None:
        date = f"Thu, {1 + i % 28:02d} May 2022 {i % 24:02d}:{i % 60:02d}:07 GMT"
        if i % 97 == 0:
            date = "Invalid Date"  # a defect the real archive has
    # A title that is only a mention: unquoted, as some real ones are, it is not YAML.
    title = f"'@用户{i} 关注了股票'" if i % 53 == 0 else f"'第{i}号新闻：{rng.choice(WORDS)}'"
    cat_lines = "".join(f" - {c}\n" for c in cats)
    return (
        f"\n---\ntitle: {title}\ncategories: \n{cat_lines}headimg: '{thumb}'\n"
        f"author: {cats[-1]}\ncomments: false\ndate: {date}\nthumbnail: '{thumb}'\n---\n\n"
        f"<div>   \n{body}\n</div>            "
    )


def new_article(n: int, k: int) -> str:
    """The ``k``-th article added to ``n`` generated ones, and the newest of all.

    Dated now, as a freshly scraped one is: generated dates end on 28 May 2022, but one
    article in 97 has an invalid date and is dated by its file's mtime, the time it was
    generated. Newer than all of them, it enters every feed it belongs to (its categories
    and the feed of all articles), and a one-new rebuild renders and writes those again.
    """
    date = datetime.now(UTC) + timedelta(seconds=k)
    return article(n + 1 + k, random.Random(k), format_datetime(date, usegmt=True))


def generate(n: int, folder: Path) -> dict[str, float]:
    """Write ``n`` articles under ``folder`` (100 subfolders); their body sizes' statistics."""
    rng = random.Random(n)
    sizes: list[int] = []
    total_bytes = 0
    for i in range(n):
        path = folder / f"{i % 100:02d}" / f"{i:06d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = article(i, rng)
        data = text.encode("utf-8")
        path.write_bytes(data)
        total_bytes += len(data)
        sizes.append(len(text.partition("\n---\n\n")[2]))
    return size_stats(sizes, total_bytes)


def size_stats(sizes: list[int], total_bytes: int) -> dict[str, float]:
    """Median, mean, p90, p99 and largest body in characters; the mean file in KB."""
    ordered = sorted(sizes)

    def at(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "median": at(0.5),
        "mean": round(statistics.fmean(ordered)),
        "p90": at(0.9),
        "p99": at(0.99),
        "max": ordered[-1],
        "file_kb": round(total_bytes / len(ordered) / 1000, 1),
    }

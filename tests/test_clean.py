"""Junk removal on the real seed and corpus samples, the meaning-keeping rewrites, rules."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.clean.body import DEFAULT_REMOVE, DEFAULT_REMOVE_TEXT, CleanedBody, check_clean_config
from feeds.clean.body import clean_body as clean
from feeds.clean.sanitize import sanitize_html
from feeds.config import CleanConfig, CleanRule
from feeds.errors import ConfigError
from tests.helpers import CORPUS, HTML_LIKE, SEED

POSTS = CORPUS / "source" / "_posts"
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
QR_CODE = "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"


def body_of(path: Path) -> str:
    """The body after the front matter (the real reader lives elsewhere)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    fences = [i for i, line in enumerate(lines) if line.strip() == "---"]
    return "\n".join(lines[fences[1] + 1 :])


def cleaned(relative: str, **kwargs: object) -> CleanedBody:
    return clean(body_of(CORPUS / relative), CleanConfig(**kwargs))  # type: ignore[arg-type]


def paragraphs(fragment: str) -> list[str]:
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [p.text_content() for p in root.iter("p")]


def strong_texts(fragment: str) -> list[str]:
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return [s.text_content() for s in root.iter("strong")]


# --- the seed ------------------------------------------------------------------------------


def test_seed_holds_exactly_its_news_paragraphs() -> None:
    (seed,) = SEED.glob("*.txt")
    result = clean(body_of(seed), CleanConfig())
    texts = paragraphs(result.html)
    assert len(texts) == 7
    assert texts[0] == "21世纪经济报道记者\xa0缴翼飞\xa0实习生战春阳\xa0北京报道"
    assert texts[1].startswith("5月26日，在“2022数博会”的“工业互联网赋能数字化转型”论坛上")
    assert texts[1].endswith("研制个性化解决方案。")
    assert texts[2].startswith("“当前工业互联网平台建设取得积极成效。”")
    assert texts[3].startswith("“随着云计算、大数据、人工智能、区块链等新一代信息技术")
    assert texts[4] == (
        "工信部最新数据显示，截至今年3月，规模以上工业企业关键工序数控化率和数字化研发设计"
        "工具普及率分别达到55.5%和75.0%。开展网络化协同的制造企业和服务型制造企业比例分别"
        "达到39.2%和29.9%。"
    )
    assert texts[5].startswith("王建伟透露，工信部接下来将通过提升平台的赋能水平")
    assert texts[6].startswith("对于被明确列入全国统一大市场中的数据市场，王建伟表示")
    assert texts[6].endswith("培育一批数据的交易服务商。")
    assert all(not t.startswith(("\u3000", " ")) for t in texts)  # indents trimmed
    assert strong_texts(result.html) == [
        "国家工业互联网大数据中心已初步建成，重庆、山东、浙江等区域分中心建设正在有序推进。"
        "同时，还在推动长三角、山东、广东、成渝地区创建工业互联网示范区，打造工业互联网发展高地。",
        "截至今年3月，规模以上工业企业关键工序数控化率和数字化研发设计工具普及率分别达到"
        "55.5%和75.0%。开展网络化协同的制造企业和服务型制造企业比例分别达到39.2%和29.9%。",
        "其中，将研制中小企业数字化转型指导文件，推动关键领域的标准研究，指导企业明确转型的"
        "路径，加快转型步伐， 同时鼓励平台面向传统产业，特别是中小企业，研制个性化解决方案。",
        "将加快建立数据资源的确权、交易流通、跨境传输和安全等基础制度和标准规范，健全数据产权"
        "交易和行业自律的机制，引导互联网企业、电信运营商、工业企业等开放数据，提升数据供给的"
        "数量和质量",
    ]
    for junk in (
        "article_adlist",
        "appendQr",
        "海量资讯",
        "责任编辑",
        "李墨轩",
        "<!--",
        "{",
        "cms-style",
    ):
        assert junk not in result.html
        assert junk not in result.text
    assert QR_CODE in result.junk_images
    assert QR_CODE not in result.images
    assert result.images == ()
    assert result.text.split("\n") == [" ".join(t.split()) for t in texts]


# --- corpus samples ------------------------------------------------------------------------


def test_juejin_drops_its_huge_inline_style_and_copy_buttons() -> None:
    result = cleaned("post/编程/掘金 - 热门/iOS写在定制相机之前.md")
    assert "markdown-body" not in result.html
    assert "word-break" not in result.html
    assert "复制代码" not in result.text
    assert "定制相机，绕不开的问题：UIImagePickerController中那块实时场景怎么搞？" in result.text
    # &#123; / &#125; are braces again, inside the code blocks.
    assert "+ (Class)layerClass {\n    return [AVCaptureVideoPreviewLayer class];\n}" in result.html


def test_bangumi_keeps_cover_and_links() -> None:
    result = cleaned("source/_posts/二次元/Bangumi/放送列表/CUE!｜CUE.md")
    assert result.images == (
        "https://cors.zfour.workers.dev/?http://lain.bgm.tv/pic/cover/l/8f/4d/318227_ad6A1.jpg",
    )
    assert '<a href="https://bangumi.tv/subject/318227"' in result.html
    assert result.text == "番组计划\n哔哩哔哩"


def test_36kr_flash_plain_text_becomes_one_paragraph() -> None:
    result = cleaned("source/_posts/新媒体/36kr/快讯/10月制造业PMI为492.md")
    assert result.html.startswith("<p>10月份，中国制造业采购经理指数（PMI）为49.2%")
    assert result.html.endswith("非制造业继续保持扩张。（证券时报）</p>")
    assert result.html.count("<p>") == 1
    assert result.images == ()


def test_36kr_article_drops_the_wechat_trailer() -> None:
    result = cleaned("source/_posts/新媒体/36kr/资讯/09%不是09%？拼多多的_砍一刀_为何没完没了.md")
    assert "本文来自" not in result.text
    assert "三易生活" not in result.text
    assert "mp.weixin.qq.com" not in result.html
    assert "“还好，拼多多至少承认了十进制”" in result.text
    assert len(result.images) == 8
    assert '<a href="https://36kr.com/projectDetails/81304"' in result.html
    assert "data-logo" not in result.html


def test_plain_text_blocks_become_paragraphs_with_line_breaks() -> None:
    result = cleaned("source/_posts/博客/Hexo/Yilia 主题博客/记一次Vue附件上传组件踩坑记.md")
    assert paragraphs(result.html)[0].endswith("这个组件有什么特点呢?")
    assert result.html.count("<p>") == 2
    assert "<br>这个项目包括移动端和桌面端" in result.html


def test_images_only_body() -> None:
    result = cleaned("source/_posts/二次元/AcFun/番剧/第1话 - 4点44分的仪式.md")
    assert result.images == ("https://tx-free-imgs.acfun.cn/content/2018_09_30/1538318935.png",)
    assert result.text == ""
    assert 'referrerpolicy="no-referrer"' in result.html


def test_adsbygoogle_removed_book_info_kept() -> None:
    result = cleaned("source/_posts/阅读/SoBooks/首页/一切境.md")
    assert "adsbygoogle" not in result.html
    assert "ca-pub" not in result.html
    assert "书名：一切境" in result.text
    assert "<strong>作者：</strong>庆山" in result.html
    assert result.images == ("https://img2.doubanio.com/lpic/s34031041.jpg",)


def test_hidden_inputs_removed_figures_kept() -> None:
    result = cleaned(
        "source/_posts/游戏/游戏时光/游戏时光新闻/美国研究小组开发了一款能「读懂」乐高说明书的AI.md"
    )
    assert "1175965" not in result.html
    assert "<input" not in result.html
    assert result.text.startswith("还能用于家具组装和在《我的世界》中搭建物品。\n由美国斯坦福大学")
    assert result.html.count("<figure>") == 4
    assert "<figcaption" not in result.html  # empty captions are gone
    assert len(result.images) == 4


def test_trs_hot_words_unwrapped_to_their_text() -> None:
    result = cleaned("source/_posts/金融/证券时报网/快讯/10只创业板股股东户数降超5%.md")
    assert "股东户数降幅较多的有采纳股份、亿纬锂能、三元生物等股。" in result.text
    assert "info.stcn.com" not in result.html
    assert "<a" not in result.html


def test_vimeo_and_youku_players_become_links() -> None:
    robots = cleaned("post/设计/Blow Studio/主页/Three Robots.md")
    assert robots.html.startswith(
        '<p><a href="https://vimeo.com/325625470" rel="noopener noreferrer nofollow">'
        "视频: https://vimeo.com/325625470</a></p>"
    )
    assert "<iframe" not in robots.html
    assert len(robots.images) == 12
    assert "Client: Netflix\nProduction Company: Blur Studio\n\nDirected by" in robots.html
    mod = cleaned(
        "source/_posts/游戏/3DMGame/新闻中心/《我的世界》新mod将允许服务器支持上千名玩家.md"
    )
    assert 'href="https://v.youku.com/v_show/id_XNTE5Nzc4MjM2MA.html"' in mod.html


def test_mastodon_toot_keeps_hashtag_and_picture() -> None:
    result = cleaned('source/_posts/社交媒体/Mastodon/实例公共时间线（本站）/@003_miss_ "(CW) ".md')
    assert '<a href="https://pawoo.net/tags/exp1h"' in result.html
    assert result.images == (
        "https://img.pawoo.net/media_attachments/files/037/393/334/original/f2fe17a8b31cbd1d.jpeg",
    )


def test_jianshu_lazy_original_src_is_used() -> None:
    result = cleaned("source/_posts/社交媒体/简书/首页/Python安装库太慢？配置好这个速度飞起.md")
    assert result.images == (
        "https://upload-images.jianshu.io/upload_images/13723999-e5b71766a56d689e.png",
    )
    assert "data-original" not in result.html


@pytest.mark.parametrize(
    "name",
    [
        '"倒查20年"，挽回损失523亿！.md',
        "0！北京昨日本土无新增.md",
        "1049元_斤！天价荔枝什么来头？.md",
    ],
)
def test_sina_samples_lose_qr_promo_and_editor(name: str) -> None:
    result = cleaned(f"source/_posts/金融/新浪财经/新浪财经－国內/{name}")
    assert "责任编辑" not in result.text
    assert "新浪财经APP" not in result.text
    assert result.junk_images == (QR_CODE,)
    assert QR_CODE not in result.images
    assert len(result.text) > 200


def test_whitespace_body_is_empty() -> None:
    assert clean("\n<div>   \n   \n</div>            ", CleanConfig()) == CleanedBody(
        "", "", (), ()
    )
    assert clean("", CleanConfig()) == CleanedBody("", "", (), ())


def test_every_corpus_sample_cleans_to_safe_embeddable_html() -> None:
    for path in sorted(CORPUS.rglob("*.md")):
        result = clean(body_of(path), CleanConfig())
        assert sanitize_html(result.html) == result.html, path
        assert not XML_ILLEGAL.search(result.html + result.text), path
        assert "<div" not in result.html and "<span" not in result.html, path


# --- rewrites ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attribute", ["data-src", "data-original", "_src", "real_src", "data-actualsrc"]
)
def test_lazy_images_get_a_real_src(attribute: str) -> None:
    body = (
        f'<p><img src="data:image/gif;base64,R0lGOD" {attribute}="//img.example.com/a b.jpg"></p>'
    )
    result = clean(body, CleanConfig())
    assert result.images == ("https://img.example.com/a%20b.jpg",)
    assert (
        '<img src="https://img.example.com/a%20b.jpg" referrerpolicy="no-referrer">' in result.html
    )


def test_an_image_with_only_a_srcset_keeps_its_first_candidate() -> None:
    result = clean(
        '<img srcset="https://i.example/s.jpg 1x, https://i.example/l.jpg 2x">', CleanConfig()
    )
    assert result.images == ("https://i.example/s.jpg",)


def test_relative_urls_resolve_against_the_article_link() -> None:
    body = '<p><a href="../next.html">下一页</a><img src="/pic/1.png"></p>'
    result = clean(body, CleanConfig(), base_url="https://news.example.com/2022/05/a.html")
    assert '<a href="https://news.example.com/2022/next.html"' in result.html
    assert result.images == ("https://news.example.com/pic/1.png",)
    # Without a link there is nothing to resolve against: the picture goes, the text stays.
    orphan = clean(body, CleanConfig())
    assert orphan.images == ()
    assert orphan.html == "<p>下一页</p>"


def test_bold_spans_become_strong_and_other_wrappers_go() -> None:
    body = (
        '<p><font cms-style="font-L strong-Bold">甲</font><span style="font-weight: bold">乙</span>'
        '<font color="red">丙</font><span class="x">丁</span></p>'
    )
    assert clean(body, CleanConfig()).html == "<p><strong>甲</strong><strong>乙</strong>丙丁</p>"


def test_braces_are_decoded_before_anything_reads_the_body() -> None:
    result = clean("<pre><code>fn main() &#123; x &#125;</code></pre>", CleanConfig())
    assert result.html == "<pre><code>fn main() { x }</code></pre>"
    assert result.text == "fn main() { x }"


def test_indents_empty_paragraphs_and_wrappers() -> None:
    body = (
        "<div><div><p>\u3000\u3000第一段</p><p> </p><p><br></p>"
        "<div class='w'><div></div></div><p>第二段<br>\u3000\u3000第二行</p></div></div>"
    )
    result = clean(body, CleanConfig())
    assert result.html == "<p>第一段</p>\n<p>第二段<br>\n第二行</p>"
    assert result.text == "第一段\n第二段\n第二行"


def test_text_only_wrappers_become_paragraphs() -> None:
    result = clean("<div>一</div><div>二<b>粗</b></div>", CleanConfig())
    assert result.html == "<p>一</p>\n<p>二<b>粗</b></p>"


@pytest.mark.parametrize(
    ("src", "page"),
    [
        (
            "//player.bilibili.com/player.html?aid=85450234&bvid=BV1L7411a7Zc&page=1",
            "https://www.bilibili.com/video/BV1L7411a7Zc",
        ),
        ("https://player.bilibili.com/player.html?aid=123", "https://www.bilibili.com/video/av123"),
        (
            "https://www.youtube.com/embed/dQw4w9WgXcQ?rel=0",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://player.vimeo.com/video/325625470", "https://vimeo.com/325625470"),
    ],
)
def test_video_iframes_become_links(src: str, page: str) -> None:
    result = clean(f'<iframe src="{src}" title="预告片"></iframe><p>正文</p>', CleanConfig())
    assert result.html == (
        f'<p><a href="{page}" rel="noopener noreferrer nofollow">视频: 预告片</a></p>\n<p>正文</p>'
    )


def test_other_iframes_and_hidden_blocks_vanish() -> None:
    body = (
        '<iframe src="https://ads.example.com/slot"></iframe><p>正文</p>'
        '<div style="display: none">隐藏</div><p hidden>也隐藏</p>'
    )
    result = clean(body, CleanConfig())
    assert result.html == "<p>正文</p>"


def test_image_proxy_rewrites_html_but_not_the_image_list() -> None:
    config = CleanConfig(image_proxy={"sinaimg.cn": "https://images.weserv.nl/?url={url_encoded}"})
    result = clean(
        '<p><img src="https://n.sinaimg.cn/a.jpg"><img src="https://b.example/c.jpg"></p>', config
    )
    assert result.images == ("https://n.sinaimg.cn/a.jpg", "https://b.example/c.jpg")
    assert 'src="https://images.weserv.nl/?url=https%3A%2F%2Fn.sinaimg.cn%2Fa.jpg"' in result.html
    assert 'src="https://b.example/c.jpg"' in result.html


def test_control_characters_never_reach_the_output() -> None:
    result = clean("<p>a\x00b\x0bc&#1;d&#xFFFE;e</p>\ufffe", CleanConfig())
    assert not XML_ILLEGAL.search(result.html + result.text)
    assert "abc" in result.text


# --- rules ---------------------------------------------------------------------------------


def test_default_rules_can_be_turned_off() -> None:
    body = '<p>正文</p><p class="article-editor">责任编辑：李墨轩</p>'
    assert "李墨轩" not in clean(body, CleanConfig()).text
    assert "李墨轩" in clean(body, CleanConfig(defaults=False)).text
    assert ".article-editor" in DEFAULT_REMOVE
    assert any("责任编辑" in pattern for pattern in DEFAULT_REMOVE_TEXT)


def test_global_and_per_category_rules() -> None:
    config = CleanConfig(
        remove=["p.share"],
        remove_text=[r"^（来源：.*）$"],
        rules=[
            CleanRule(categories=["新浪财经"], remove=["#related"], remove_text=["点击进入专题"])
        ],
    )
    body = (
        '<p>正文</p><p class="share">分享到微博</p><p>（来源：某报）</p>'
        '<div id="related"><p>相关阅读</p></div><p>点击进入专题：两会</p>'
    )
    other = clean(body, config, categories=["金融"])
    assert other.text == "正文\n相关阅读\n点击进入专题：两会"
    sina = clean(body, config, categories=["金融", "新浪财经"])
    assert sina.text == "正文"


def test_text_rules_see_a_block_with_its_whitespace_collapsed() -> None:
    config = CleanConfig(remove_text=["本文来自.*授权发布"])
    body = (
        "<p>正文</p><p>本文来自\n  <a href='https://mp.example/'>某公众号</a>，\n经授权发布。</p>"
    )
    assert clean(body, config).text == "正文"


def test_complex_selectors_work_too() -> None:
    config = CleanConfig(remove=["div.box > p:first-child", "ul li + li"])
    body = '<div class="box"><p>去掉</p><p>留下</p></div><ul><li>一</li><li>二</li></ul>'
    assert clean(body, config).text == "留下\n一"


def test_compiled_rules_are_shared_between_articles() -> None:
    from feeds.clean.body import _rules_for

    config = CleanConfig(remove=[".x"], rules=[CleanRule(categories=["A"], remove=[".y"])])
    assert _rules_for(config, ["B"]) is _rules_for(CleanConfig(remove=[".x"]), ["C"])
    assert _rules_for(config, ["A"]) is not _rules_for(config, ["B"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (CleanConfig(remove=["p..bad"]), "clean.remove: invalid CSS selector 'p..bad'"),
        (CleanConfig(remove_text=["(unclosed"]), "clean.remove_text: invalid regular expression"),
        (
            CleanConfig(rules=[CleanRule(categories=["A"], remove=["[="])]),
            "clean.rules[0].remove: invalid CSS selector",
        ),
    ],
)
def test_invalid_rules_are_config_errors(config: CleanConfig, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        check_clean_config(config)
    with pytest.raises(ConfigError):
        clean("<p>x</p>", config, categories=["A"])


# --- any input -----------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<br>",
        "<span style='font-weight:bold'>",
        "</span>",
        "<font cms-style='strong-Bold'>",
        "<img data-src='//i.example/a.jpg' src=x>",
        "<a href=",
        "'javascript:alert(1)'",
        "'/rel'",
        ">",
        "</a>",
        "<iframe src=//player.bilibili.com/p?bvid=B>",
        "<!-- c -->",
        "<style>",
        "</style>",
        "<script>",
        "<pre>",
        "</pre>",
        "\u3000\u3000",
        "&#123;",
        "&#125;",
        "&#0;",
        "&nbsp;",
        "\n\n",
        "\n",
        "责任编辑：某",
        "<table><td>",
        "<svg>",
        "<li>",
        "</body>",
        "<html>",
        "<input type=hidden value=1>",
        "<ins class=adsbygoogle>",
        "文",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join))
)
def test_any_body_cleans_without_error_to_embeddable_html(body: str) -> None:
    result = clean(body, CleanConfig(), categories=["金融"], base_url="https://example.com/a/")
    assert not XML_ILLEGAL.search(result.html)
    assert not XML_ILLEGAL.search(result.text)
    assert sanitize_html(result.html) == result.html
    assert all(
        url.startswith(("http://", "https://")) for url in result.images + result.junk_images
    )


# --- the light read ----------------------------------------------------------------------

_JUNKY = st.sampled_from(
    [
        '<div class="appendQr_wrap"><img src="https://x.cn/qr.png">扫码</div>',
        '<p style="display:none"><img src="/hidden.jpg">藏</p>',
        "<p>责任编辑：某某</p>",
        '<p><a href="javascript:alert(1)">链接</a><img src="data:image/png;base64,iVBOR"></p>',
        '<img data-src="//cdn.x.cn/a.jpg" src="placeholder.gif">'
        '<span style="font-weight:bold">粗</span>',
        '<img src="">　<iframe src="https://player.bilibili.com/player.html?bvid=BV1">',
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(HTML_LIKE, _JUNKY), min_size=1, max_size=6))
def test_a_light_read_finds_what_a_full_one_does(parts: list[str]) -> None:
    """A large build reads its articles light (``content=False``) and keeps their ids,
    dedupe keys and thumbnails from that: they must be those of the full clean."""
    body = "".join(parts)
    base = "https://example.com/news/a.html"
    full = clean(body, CleanConfig(), base_url=base)
    light = clean(body, CleanConfig(), base_url=base, content=False)
    assert light.images == full.images
    assert light.junk_images == full.junk_images
    assert "".join(light.text.split()) == "".join(full.text.split())

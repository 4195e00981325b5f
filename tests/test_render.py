"""Rendering: parse every format back (lxml + feedparser) and check what readers will see."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.config import FORMATS, Format, SiteConfig
from feeds.errors import BuildError
from feeds.models import Article, Feed
from feeds.publish.feeds import RENDERERS, publish_feeds, render_feed, xml_safe
from feeds.publish.names import EXTENSIONS, feed_url, output_name
from tests.helpers import make_article, make_config, make_feed

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "media": "http://search.yahoo.com/mrss/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
XML_FORMATS: tuple[Format, ...] = ("rss", "atom")
CST = timezone(timedelta(hours=8))
SITE = SiteConfig(
    title="测试站", url="https://feeds.example.com/out/", link="https://example.com/home"
)
CONTROL = "\x00\x0b\x1d\ufffe\uffff\ud800"


def numbered(n: int, **changes: Any) -> Article:
    """Article ``n`` of a 金融 feed: every field set, each value marked with ``n``."""
    fields: dict[str, Any] = {
        "guid": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
        "title": f"标题 {n} 📈",
        "categories": ("金融", "新浪财经"),
        "author": "新浪财经",
        "date": datetime(2024, 3, 20, 9, 30, tzinfo=CST) - timedelta(hours=n),
        "link": f"https://finance.sina.com.cn/{n}.shtml",
        "content_html": f"<p>正文 {n} <b>加粗</b></p>",
        "summary": f"摘要 {n}",
        "thumbnail": f"https://n.sinaimg.cn/{n}.png",
    }
    return make_article(f"post/{n}.md", **{**fields, **changes})


def xml(fmt: Format, feed: Feed, site: SiteConfig = SITE) -> Any:
    return etree.fromstring(render_feed(feed, fmt, site))  # strict parser: fails on bad XML


def parsed(fmt: Format, feed: Feed, site: SiteConfig = SITE) -> Any:
    result = feedparser.parse(render_feed(feed, fmt, site))
    assert not result.bozo, result.get("bozo_exception")
    return result


def json_feed(feed: Feed, site: SiteConfig = SITE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_feed(feed, "json", site))
    return data


def entries(fmt: Format, root: Any) -> list[Any]:
    return list(
        root.xpath("/rss/channel/item" if fmt == "rss" else "/atom:feed/atom:entry", namespaces=NS)
    )


def ids(fmt: Format, feed: Feed) -> list[str]:
    if fmt == "json":
        return [item["id"] for item in json_feed(feed)["items"]]
    return [entry.id for entry in parsed(fmt, feed).entries]


# --- names and URLs ---------------------------------------------------------------------------


def test_tables_cover_every_format() -> None:
    assert set(RENDERERS) == set(EXTENSIONS) == set(FORMATS)


def test_output_name() -> None:
    assert output_name("xinlang-caijing", "rss") == "xinlang-caijing.rss.xml"
    assert output_name("xinlang-caijing", "atom") == "xinlang-caijing.atom.xml"
    assert output_name("xinlang-caijing", "json") == "xinlang-caijing.json"


@pytest.mark.parametrize("url", ["https://x.org/feeds", "https://x.org/feeds/"])
def test_feed_url_with_or_without_final_slash(url: str) -> None:
    site = SiteConfig(url=url)
    assert feed_url(site, "jinrong", "atom") == "https://x.org/feeds/jinrong.atom.xml"


# --- order, dates, determinism ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_items_keep_the_given_order(fmt: Format) -> None:
    # Deliberately not newest first: the renderer must neither sort nor reverse (feedgen prepends).
    given_order = (numbered(2), numbered(0), numbered(5), numbered(1))
    assert ids(fmt, make_feed(*given_order)) == [a.guid for a in given_order]


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_deterministic_and_zone_independent(fmt: Format) -> None:
    feed = make_feed(numbered(0), numbered(1))
    same_in_utc = make_feed(
        *(dataclasses.replace(a, date=a.date.astimezone(UTC)) for a in feed.articles)
    )
    first = render_feed(feed, fmt, SITE)
    assert render_feed(feed, fmt, SITE) == first
    assert render_feed(same_in_utc, fmt, SITE) == first


def test_feed_updated_is_the_newest_article_date_not_the_first_or_now() -> None:
    def at(n: int, day: int) -> Article:
        return numbered(n, date=datetime(2023, 5, day, 8, 0, 0, 123456, tzinfo=CST))

    feed = make_feed(at(1, 2), at(2, 9), at(3, 5))
    atom = xml("atom", feed)
    assert atom.findtext("atom:updated", namespaces=NS) == "2023-05-09T00:00:00+00:00"
    rss = xml("rss", feed)
    assert rss.findtext("channel/lastBuildDate") == "Tue, 09 May 2023 00:00:00 +0000"


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_entry_dates_are_the_article_date_in_utc(fmt: Format) -> None:
    a = numbered(0, date=datetime(2024, 3, 20, 9, 30, tzinfo=CST))
    entry = parsed(fmt, make_feed(a)).entries[0]
    assert tuple(entry.published_parsed[:6]) == (2024, 3, 20, 1, 30, 0)
    if fmt == "atom":
        assert tuple(entry.updated_parsed[:6]) == (2024, 3, 20, 1, 30, 0)
        assert entries(fmt, xml(fmt, make_feed(a)))[0].findtext(
            "atom:published", namespaces=NS
        ) == ("2024-03-20T01:30:00+00:00")


def test_json_date_published_is_rfc3339_utc() -> None:
    item = json_feed(make_feed(numbered(0)))["items"][0]
    assert item["date_published"] == "2024-03-20T01:30:00+00:00"
    assert datetime.fromisoformat(item["date_published"]) == numbered(0).date


@pytest.mark.parametrize("fmt", FORMATS)
def test_naive_date_is_a_build_error_naming_the_file(fmt: Format) -> None:
    feed = make_feed(numbered(0, date=datetime(2024, 1, 1)))
    with pytest.raises(BuildError, match=r"jinrong\.(rss\.xml|atom\.xml|json).*time zone"):
        render_feed(feed, fmt, SITE)


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_empty_feed_renders_with_a_fixed_date(fmt: Format) -> None:
    feed = make_feed()
    result = parsed(fmt, feed)
    assert result.entries == []
    assert tuple(result.feed.updated_parsed[:6]) == (1970, 1, 1, 0, 0, 0)
    assert render_feed(feed, fmt, SITE) == render_feed(feed, fmt, SITE)


def test_empty_json_feed() -> None:
    data = json_feed(make_feed())
    assert data["items"] == []
    assert data["version"] == "https://jsonfeed.org/version/1.1"


# --- channel ----------------------------------------------------------------------------------


def test_rss_channel() -> None:
    channel = xml("rss", make_feed(numbered(0))).find("channel")
    assert channel.findtext("title") == "金融"
    assert channel.findtext("description") == "金融新闻"
    assert channel.findtext("language") == "zh-CN"
    # feedgen takes the LAST link added as <link>: it must be the site, not the feed itself.
    assert channel.findtext("link") == "https://example.com/home"
    self_links = channel.xpath("atom:link[@rel='self']/@href", namespaces=NS)
    assert self_links == ["https://feeds.example.com/out/jinrong.rss.xml"]


def test_rss_channel_link_falls_back_to_site_url() -> None:
    site = SiteConfig(url="https://feeds.example.com/out/")
    channel = xml("rss", make_feed(numbered(0)), site).find("channel")
    assert channel.findtext("link") == "https://feeds.example.com/out/"


def test_rss_description_falls_back_to_the_title() -> None:
    channel = xml("rss", make_feed(numbered(0), description="")).find("channel")
    assert channel.findtext("description") == "金融"


def test_atom_channel() -> None:
    root = xml("atom", make_feed(numbered(0)))
    url = "https://feeds.example.com/out/jinrong.atom.xml"
    assert root.findtext("atom:id", namespaces=NS) == url
    assert root.xpath("atom:link[@rel='self']/@href", namespaces=NS) == [url]
    assert root.xpath("atom:link[@rel='alternate']/@href", namespaces=NS) == [
        "https://example.com/home"
    ]
    assert root.findtext("atom:subtitle", namespaces=NS) == "金融新闻"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    # RFC 4287: a feed needs an author unless every entry has one.
    assert root.findtext("atom:author/atom:name", namespaces=NS) == "测试站"


def test_json_channel() -> None:
    data = json_feed(make_feed(numbered(0)), dataclasses.replace(SITE, author="编辑部"))
    assert data["title"] == "金融"
    assert data["home_page_url"] == "https://example.com/home"
    assert data["feed_url"] == "https://feeds.example.com/out/jinrong.json"
    assert data["description"] == "金融新闻"
    assert data["language"] == "zh-CN"
    assert data["authors"] == [{"name": "编辑部"}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_generator_does_not_name_feedgen(fmt: Format) -> None:
    assert b"feedgen" not in render_feed(make_feed(numbered(0)), fmt, SITE)


def test_generator_is_a_constant_without_version() -> None:
    # A feedgen (or feeds) upgrade must not change every output file.
    generator = xml("atom", make_feed()).find("atom:generator", namespaces=NS)
    assert generator.text == "feeds"
    assert dict(generator.attrib) == {"uri": "https://pypi.org/project/feeds/"}
    # RSS's generator is text only: the URI in it makes it this tool's mark (made_here).
    rss_generator = xml("rss", make_feed()).findtext("channel/generator")
    assert rss_generator == "feeds (https://pypi.org/project/feeds/)"
    assert (
        xml("rss", make_feed()).findtext("channel/docs")
        == "https://www.rssboard.org/rss-specification"
    )


def test_channel_image_prefers_the_feed_image() -> None:
    site = dataclasses.replace(SITE, image="https://example.com/site.png")
    feed = make_feed(numbered(0), image="https://example.com/jinrong.png")
    channel = xml("rss", feed, site).find("channel")
    assert channel.findtext("image/url") == "https://example.com/jinrong.png"
    assert channel.findtext("image/title") == "金融"
    assert channel.findtext("image/link") == "https://example.com/home"
    atom = xml("atom", feed, site)
    assert atom.findtext("atom:logo", namespaces=NS) == "https://example.com/jinrong.png"
    assert atom.findtext("atom:icon", namespaces=NS) == "https://example.com/jinrong.png"
    data = json_feed(feed, site)
    assert data["icon"] == data["favicon"] == "https://example.com/jinrong.png"
    assert (
        xml("rss", make_feed(), site).findtext("channel/image/url")
        == "https://example.com/site.png"
    )


def test_no_channel_image_when_none_is_configured() -> None:
    feed = make_feed(numbered(0))
    assert xml("rss", feed).find("channel/image") is None
    assert xml("atom", feed).find("atom:logo", namespaces=NS) is None
    assert "icon" not in json_feed(feed)


# --- items ------------------------------------------------------------------------------------


def test_rss_item() -> None:
    item = entries("rss", xml("rss", make_feed(numbered(0))))[0]
    guid = item.find("guid")
    assert (guid.text, guid.get("isPermaLink")) == (numbered(0).guid, "false")
    assert item.findtext("title") == "标题 0 📈"
    assert item.findtext("link") == "https://finance.sina.com.cn/0.shtml"
    assert item.findtext("description") == "摘要 0"
    assert item.findtext("content:encoded", namespaces=NS) == "<p>正文 0 <b>加粗</b></p>"
    assert [c.text for c in item.findall("category")] == ["金融", "新浪财经"]
    # RSS <author> must be an e-mail address; names go to dc:creator.
    assert item.find("author") is None
    assert item.findtext("dc:creator", namespaces=NS) == "新浪财经"


def test_atom_entry() -> None:
    entry = entries("atom", xml("atom", make_feed(numbered(0))))[0]
    assert entry.findtext("atom:id", namespaces=NS) == numbered(0).guid
    assert entry.findtext("atom:title", namespaces=NS) == "标题 0 📈"
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "新浪财经"
    assert entry.findtext("atom:summary", namespaces=NS) == "摘要 0"
    content = entry.find("atom:content", namespaces=NS)
    assert (content.get("type"), content.text) == ("html", "<p>正文 0 <b>加粗</b></p>")
    assert entry.xpath("atom:category/@term", namespaces=NS) == ["金融", "新浪财经"]


def test_json_item() -> None:
    item = json_feed(make_feed(numbered(0)))["items"][0]
    assert item == {
        "id": numbered(0).guid,
        "url": "https://finance.sina.com.cn/0.shtml",
        "title": "标题 0 📈",
        "content_html": "<p>正文 0 <b>加粗</b></p>",
        "summary": "摘要 0",
        "image": "https://n.sinaimg.cn/0.png",
        "date_published": "2024-03-20T01:30:00+00:00",
        "authors": [{"name": "新浪财经"}],
        "tags": ["金融", "新浪财经"],
    }


def test_empty_author_categories_and_link_are_left_out() -> None:
    feed = make_feed(numbered(0, author=" ", categories=(), link=None))
    item = entries("rss", xml("rss", feed))[0]
    assert item.find("dc:creator", namespaces=NS) is None
    assert item.find("link") is None
    assert item.find("category") is None
    entry = entries("atom", xml("atom", feed))[0]
    assert entry.find("atom:author", namespaces=NS) is None
    assert entry.xpath("atom:link[@rel='alternate']", namespaces=NS) == []
    json_item = json_feed(feed)["items"][0]
    assert not {"authors", "tags", "url"} & set(json_item)
    for fmt in XML_FORMATS:
        parsed(fmt, feed)


def test_empty_summary_still_valid() -> None:
    feed = make_feed(numbered(0, summary=""))
    item = entries("rss", xml("rss", feed))[0]
    # feedgen writes content:encoded only beside a description: the HTML becomes the description.
    assert item.findtext("description") == "<p>正文 0 <b>加粗</b></p>"
    assert entries("atom", xml("atom", feed))[0].find("atom:summary", namespaces=NS) is None
    assert "summary" not in json_feed(feed)["items"][0]
    for fmt in XML_FORMATS:
        parsed(fmt, feed)


def test_empty_title_and_content_fall_back_instead_of_failing() -> None:
    feed = make_feed(numbered(0, title="\x00", content_html=" ", summary="a < b"))
    for fmt in XML_FORMATS:
        entry = parsed(fmt, feed).entries[0]
        assert entry.title == "a < b"
    assert json_feed(feed)["items"][0]["content_html"] == "a &lt; b"


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_no_cdata_type(fmt: Format) -> None:
    out = render_feed(make_feed(numbered(0)), fmt, SITE)
    assert b'type="CDATA"' not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_content_with_cdata_end_and_closing_tags_survives(fmt: Format) -> None:
    html = "<p>a ]]> b</p></content></description><![CDATA[ x ]]>"
    feed = make_feed(numbered(0, content_html=html))
    if fmt == "json":
        assert json_feed(feed)["items"][0]["content_html"] == html
        return
    path = "content:encoded" if fmt == "rss" else "atom:content"
    assert entries(fmt, xml(fmt, feed))[0].findtext(path, namespaces=NS) == html
    # feedparser sanitises the stray tags away, but reads the document without complaint.
    assert parsed(fmt, feed).entries[0].content[0].value.startswith("<p>a ]]> b</p>")


@pytest.mark.parametrize("fmt", FORMATS)
def test_cjk_and_emoji_round_trip(fmt: Format) -> None:
    title = "央行：降准 0.5 个百分点 🚀🇨🇳 「新浪财经」"
    feed = make_feed(numbered(0, title=title, categories=("證券 時報", "財經")))
    if fmt == "json":
        data = json_feed(feed)
        assert data["items"][0]["title"] == title
        assert data["items"][0]["tags"] == ["證券 時報", "財經"]
    else:
        entry = parsed(fmt, feed).entries[0]
        assert entry.title == title
        assert [t.term for t in entry.tags] == ["證券 時報", "財經"]


# --- control characters -----------------------------------------------------------------------


def test_xml_safe() -> None:
    assert xml_safe(f"a{CONTROL}b\t\n\r\x7f\u200b") == "ab\t\n\r\x7f\u200b"
    assert xml_safe("干净") == "干净"


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_anywhere_do_not_break_the_feed(fmt: Format) -> None:
    dirty = numbered(
        0,
        title=f"标{CONTROL}题",
        summary=f"摘{CONTROL}要",
        content_html=f"<p>正{CONTROL}文</p>",
        author=f"作{CONTROL}者",
        categories=(f"金{CONTROL}融",),
    )
    feed = make_feed(dirty, title=f"金{CONTROL}融", description=f"描{CONTROL}述")
    if fmt == "json":
        item = json_feed(feed)["items"][0]
        assert (item["title"], item["summary"], item["content_html"]) == (
            "标题",
            "摘要",
            "<p>正文</p>",
        )
        assert item["tags"] == ["金融"]
        return
    entry = parsed(fmt, feed).entries[0]
    assert (entry.title, entry.summary, entry.author) == ("标题", "摘要", "作者")
    assert entry.content[0].value == "<p>正文</p>"
    assert xml(fmt, feed) is not None


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=40),
    summary=st.text(max_size=40),
    content=st.text(max_size=80),
    author=st.text(max_size=10),
    category=st.text(max_size=10),
)
def test_any_text_renders_well_formed(
    title: str, summary: str, content: str, author: str, category: str
) -> None:
    feed = make_feed(
        numbered(
            0,
            title=title,
            summary=summary,
            content_html=content,
            author=author,
            categories=(category,),
        )
    )
    for fmt in XML_FORMATS:
        assert len(entries(fmt, xml(fmt, feed))) == 1
    assert len(json_feed(feed)["items"]) == 1


# --- thumbnails -------------------------------------------------------------------------------


def test_rss_thumbnail_carriers() -> None:
    item = entries("rss", xml("rss", make_feed(numbered(0))))[0]
    url = "https://n.sinaimg.cn/0.png"
    # Direct children of <item>, not wrapped in <media:group> (FreshRSS reads only those).
    assert item.xpath("media:thumbnail/@url", namespaces=NS) == [url]
    content = item.xpath("media:content", namespaces=NS)
    assert [(c.get("url"), c.get("medium"), c.get("type")) for c in content] == [
        (url, "image", "image/png")
    ]
    assert item.xpath(".//media:group", namespaces=NS) == []
    enclosure = item.find("enclosure")
    assert dict(enclosure.attrib) == {"url": url, "length": "0", "type": "image/png"}


def test_atom_links_are_one_alternate_and_one_image_enclosure() -> None:
    entry = entries("atom", xml("atom", make_feed(numbered(0))))[0]
    links = entry.findall("atom:link", namespaces=NS)
    # feedgen 1.0.0 would drop rel/type and add a second bare <link>, read as a second alternate.
    assert [(ln.get("rel"), ln.get("type")) for ln in links] == [
        ("alternate", "text/html"),
        ("enclosure", "image/png"),
    ]
    assert links[1].get("href") == "https://n.sinaimg.cn/0.png"
    assert entry.xpath("media:thumbnail/@url", namespaces=NS) == ["https://n.sinaimg.cn/0.png"]


def test_atom_entry_without_link_has_only_the_enclosure() -> None:
    entry = entries("atom", xml("atom", make_feed(numbered(0, link=None))))[0]
    links = entry.findall("atom:link", namespaces=NS)
    assert [ln.get("rel") for ln in links] == ["enclosure"]


@pytest.mark.parametrize("fmt", XML_FORMATS)
def test_feedparser_sees_the_thumbnail(fmt: Format) -> None:
    entry = parsed(fmt, make_feed(numbered(0))).entries[0]
    assert len(entry.enclosures) == 1
    assert entry.enclosures[0].type.startswith("image/")
    assert entry.enclosures[0].href == "https://n.sinaimg.cn/0.png"
    assert entry.media_thumbnail[0]["url"] == "https://n.sinaimg.cn/0.png"
    assert entry.link == "https://finance.sina.com.cn/0.shtml"


@pytest.mark.parametrize("fmt", FORMATS)
def test_default_thumbnail_is_used_when_the_article_has_none(fmt: Format) -> None:
    default = "https://example.com/default.jpg"
    feed = make_feed(numbered(0, thumbnail=None), default_thumbnail=default)
    if fmt == "json":
        assert json_feed(feed)["items"][0]["image"] == default
    else:
        entry = parsed(fmt, feed).entries[0]
        assert entry.media_thumbnail[0]["url"] == default
        assert entry.enclosures[0].type == "image/jpeg"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_thumbnail_anywhere_when_there_is_none(fmt: Format) -> None:
    out = render_feed(make_feed(numbered(0, thumbnail=None)), fmt, SITE)
    for marker in (b"media:thumbnail", b"media:content", b"enclosure", b'"image"'):
        assert marker not in out


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("https://x.org/a.JPG", "image/jpeg"),
        ("https://x.org/a.webp?w=400", "image/webp"),
        ("https://x.org/a.gif#x", "image/gif"),
        ("https://x.org/photo", "image/jpeg"),
        ("https://x.org/v1.2/photo", "image/jpeg"),
    ],
)
def test_thumbnail_type(url: str, mime: str) -> None:
    item = entries("rss", xml("rss", make_feed(numbered(0, thumbnail=url))))[0]
    assert item.find("enclosure").get("type") == mime
    atom = entries("atom", xml("atom", make_feed(numbered(0, thumbnail=url))))[0]
    assert atom.xpath("atom:link[@rel='enclosure']/@type", namespaces=NS) == [mime]


# --- JSON Feed 1.1 ----------------------------------------------------------------------------


def test_json_feed_required_fields_and_layout() -> None:
    out = render_feed(make_feed(numbered(0), numbered(1, link=None, author="")), "json", SITE)
    assert out.endswith(b"}\n")
    assert "金融".encode() in out  # ensure_ascii=False: readable, not \\u escapes
    data = json.loads(out)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(data["title"], str) and data["title"]
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
    assert list(data) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "_feeds",
        "items",
    ]
    # A JSON Feed extension (a name starting with _): what marks the file as this tool's.
    assert data["_feeds"] == {"about": "https://pypi.org/project/feeds/", "generator": "feeds"}


def _fingerprints(*feeds: Feed) -> dict[str, str]:
    """publish_feeds' fingerprints, every output taken as changed (so all are rendered)."""
    return publish_feeds(feeds, make_config(), lambda name, fingerprint: False).fingerprints


def test_a_fingerprint_changes_with_any_input_of_its_feed_and_only_its_feed() -> None:
    one, two = make_article("one.md", hours=1), make_article("two.md")
    both = make_feed(one, two, name="", slug="all")
    alone = make_feed(two)
    before = _fingerprints(both, alone)
    assert len(before) == 6 and len(set(before.values())) == 6
    # Equal inputs, other objects: the same fingerprints.
    assert _fingerprints(make_feed(*both.articles, name="", slug="all"), alone) == before
    changes: list[dict[str, Any]] = [
        {"content_html": "<p>text!</p>"},
        {"summary": "text!"},
        {"title": "one!"},
        # The HTML's end and the summary's start moved: the same characters in all.
        {"content_html": "<p>text</p>t", "summary": "ext"},
    ]
    for change in changes:
        after = _fingerprints(make_feed(one.replaced(**change), two, name="", slug="all"), alone)
        changed = {name for name in after if after[name] != before[name]}
        assert changed == {"all.rss.xml", "all.atom.xml", "all.json"}, change
    assert _fingerprints(both, dataclasses.replace(alone, title="金融!")) != before
    assert _fingerprints(make_feed(two, one, name="", slug="all"), alone) != before

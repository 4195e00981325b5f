<?xml version="1.0" encoding="utf-8"?>
<!-- generator: feeds (https://pypi.org/project/feeds/) -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>
  <xsl:template match="/">
    <html lang="zh-CN">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="referrer" content="no-referrer"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="rss/channel/title|atom:feed/atom:title"/></title>
        <style>:root{color-scheme:light dark;--fg:#1d1d1f;--bg:#fdfdfb;--muted:#6b6b70;--link:#0b57d0;--rule:#e3e3e0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e3;--bg:#161617;--muted:#a0a0a6;--link:#8ab4f8;--rule:#333336}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:42rem;padding:1rem 1.1rem 3rem;color:var(--fg);background:var(--bg);font:1.0625rem/1.8 system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;line-break:strict;overflow-wrap:anywhere;text-autospace:normal;hanging-punctuation:allow-end}
a{color:var(--link)}
h1{font-size:1.5rem;line-height:1.4;margin:.4rem 0 .6rem;letter-spacing:.02em}
header.site,footer.site{font-size:.9rem;color:var(--muted)}
footer.site{margin-top:3rem;border-top:1px solid var(--rule);padding-top:.8rem}
.meta,time,.count,.author,.description{color:var(--muted);font-size:.9rem}
.content p{margin:0 0 1em;text-align:justify}
.content img{max-width:100%;height:auto;display:block;margin:.5rem auto}
.content pre{overflow-x:auto;font-size:.9rem}
.content table{display:block;overflow-x:auto;border-collapse:collapse}
.content blockquote{margin:0 0 1em;padding-left:1em;border-left:3px solid var(--rule);color:var(--muted)}
nav.path ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;font-size:.9rem}
nav.path li+li::before{content:"›";padding:0 .4em;color:var(--muted)}
ol.items{padding-left:1.4rem}
ol.items li{margin:.45rem 0}
ul.tree{padding-left:1.1rem}
ul.tree li{margin:.35rem 0}
.formats a,.subscribe a{font-size:.85rem}
nav.pager{display:flex;justify-content:space-between;margin-top:1.5rem}</style>
      </head>
      <body>
        <header class="site"><a href="index.html">feeds</a></header>
        <main>
          <h1><xsl:value-of select="rss/channel/title|atom:feed/atom:title"/></h1>
          <p class="description">这是一个订阅源（feed）：把本页地址复制到阅读器里即可订阅。This is a feed: paste this page's address into a feed reader to subscribe.</p>
          <ol class="items">
            <xsl:for-each select="rss/channel/item">
              <li><a href="{link}"><xsl:value-of select="title"/></a><xsl:text> </xsl:text><time><xsl:value-of select="pubDate"/></time></li>
            </xsl:for-each>
            <xsl:for-each select="atom:feed/atom:entry">
              <!-- A link without rel is an alternate link too (RFC 4287, 4.2.7.2). -->
              <li><a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}"><xsl:value-of select="atom:title"/></a><xsl:text> </xsl:text><time datetime="{atom:updated}"><xsl:value-of select="substring(atom:updated, 1, 10)"/></time></li>
            </xsl:for-each>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>

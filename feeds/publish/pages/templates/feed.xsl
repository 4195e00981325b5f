<?xml version="1.0" encoding="utf-8"?>
{{ mark }}
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom" exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes" doctype-system="about:legacy-compat"/>
  <xsl:template match="/">
    <html lang="{{ lang }}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <meta name="referrer" content="no-referrer"/>
        <meta name="color-scheme" content="light dark"/>
        <title><xsl:value-of select="rss/channel/title|atom:feed/atom:title"/></title>
        <style>{{ style }}</style>
      </head>
      <body>
        <header class="site"><a href="{{ home }}">{{ site_title }}</a></header>
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

"""briefer.web against a real HTTP server on 127.0.0.1: extraction, redirects, limits, charsets."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from briefer import web
from briefer.errors import InputError
from briefer.web import USER_AGENT, Page, extract_html, fetch, is_url, read_html_file, read_url
from test_cli import run

PARAS = [
    "Ministers from eleven European countries met in Paris on Tuesday to agree a common plan for "
    "rebuilding the continent's ageing power grid, officials said after the talks ended late in "
    "the evening.",
    "The plan, which still needs the approval of national parliaments, sets out how cross-border "
    "lines will be paid for and who will operate them once they are finished in the early 2030s.",
    "France's energy minister, who chaired the meeting, told reporters that the agreement was the "
    "most important step the group had taken since it was formed three years ago.",
    "Under the deal, each country will contribute to a shared fund in proportion to the "
    "electricity it imports and exports, a formula that smaller states had long pushed for.",
    "Germany and the Netherlands, the two largest contributors, had resisted the formula for "
    "months, arguing that it would leave their consumers paying for lines that mainly served "
    "their neighbours.",
    "Engineers have warned for years that the grid cannot carry the growing volume of wind and "
    "solar power produced far from the cities and factories that need it most.",
    "The European Commission welcomed the agreement in a short statement and said it would "
    "propose legislation to speed up permits for the new lines before the end of the year.",
    "Environmental groups gave the plan a cautious welcome but said the timetable was too slow "
    "and urged ministers to bring the first projects forward by at least two years.",
]
TITLE = "Europe agrees plan to rebuild power grid"
BOILERPLATE = [
    "Home | World | Sport",
    "We use cookies",
    "Accept all",
    "ADVERTISEMENT",
    "Buy now",
    "Comment by reader123",
    "Comment by gridwatcher",
    "© 2026 News Corp All rights reserved",
    "All rights reserved",
    "Related articles",
    "Grid operators brace for winter",
    "Oil prices fall again",
    "Privacy",
    "News Corp",
    "By Jane Doe",
]

# The page in windows-1252: curly quotes, accents and the euro sign are all single bytes there.
LEGACY_PARA = (
    "The café owners’ association said the new tariff would cost each member about €1,200 a "
    "year, a sum that many of the smaller businesses in the old town could not afford to pay."
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)


def news_page(
    paras: list[str] = PARAS,
    charset: str = "utf-8",
    time_tag: str = '<time datetime="2026-03-17T09:30:00Z">17 March 2026</time>',
) -> str:
    """Return a boilerplate-heavy news page around the given story paragraphs."""
    body = "\n".join(f"      <p>{p}</p>" for p in paras)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <script>window.dataLayer = window.dataLayer || []; function gtag() {{}}</script>
  <meta charset="{charset}">
  <title>Europe agrees grid plan | News Corp</title>
  <meta name="author" content="Jane Doe">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <div id="cookie-banner" class="cookie-consent">
    We use cookies to improve your experience. <button>Accept all</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">News Corp</a>
    <nav class="main-nav">
      <ul><li><a href="/">Home</a> | </li><li><a href="/world">World</a> | </li>
      <li><a href="/sport">Sport</a></li></ul>
    </nav>
    <nav class="menu">Home | World | Sport</nav>
  </header>
  <main>
    <article class="story">
      <h1 class="headline">{TITLE}</h1>
      <p class="byline">By <span class="author">Jane Doe</span>, {time_tag}</p>
{body}
      <div class="ad advertisement" id="ad-slot-2">
        <span>ADVERTISEMENT</span> Buy now and save 50% on our premium subscription!
      </div>
    </article>
    <aside class="related">
      <h2>Related articles</h2>
      <ul>
        <li><a href="/a/1">Grid operators brace for winter</a></li>
        <li><a href="/a/2">Oil prices fall again</a></li>
        <li><a href="/a/3">Why your energy bill is going up this spring</a></li>
      </ul>
    </aside>
    <section id="comments" class="comments">
      <h2>Comments</h2>
      <div class="comment"><p>Comment by reader123: This is a long-overdue decision and I hope
        the parliaments approve it quickly.</p></div>
      <div class="comment"><p>Comment by gridwatcher: Nobody will pay for these lines, mark my
        words.</p></div>
    </section>
  </main>
  <footer class="site-footer">
    <p>© 2026 News Corp All rights reserved</p>
    <p><a href="/privacy">Privacy</a> | <a href="/terms">Terms</a></p>
  </footer>
</body>
</html>
"""


# --- pages in the shapes real CMSs produce (issue 9.3), written here ---------------------------

WATER_STORY = [
    "The county's water authority said on Thursday that it would spend $48 million over the next "
    "five years replacing lead pipes in the older neighbourhoods on the east side of the river.",
    "About 6,200 homes still draw their water through lead service lines, according to the "
    "authority's own survey, most of them built before 1940 and never connected to newer mains.",
    "The work will start in the spring with the streets where tests last year found the highest "
    "levels of lead, the authority's director, Maria Delgado, told reporters at a briefing.",
    "Residents will not be charged for the replacement of the pipe between the main and the "
    "meter, but homeowners will be asked to pay part of the cost of the line inside their "
    "property.",
    "A state grant covers about half of the cost, and the rest will come from a bond issue that "
    "voters approved in November by a margin of nearly two to one.",
    "Community groups that had campaigned for the replacement for a decade welcomed the plan "
    "but said the timetable was still too slow for families with young children.",
]
WATER_TITLE = "County to replace lead water pipes in $48 million plan"

# An article laid out in nested tables, as newspaper CMSs of the early 2000s (and some still
# running today, e.g. small-town papers on old vBulletin-era templates) produce: navigation in
# one cell, the story in another, paragraphs in <p> and <font> inside <td>.
TABLE_LAYOUT = f"""<html><head><title>The Riverside Courier - Local News</title></head>
<body bgcolor="#ffffff">
<table width="760" border="0" cellpadding="0" cellspacing="0">
<tr><td colspan="2"><img src="/img/masthead.gif" alt="The Riverside Courier"></td></tr>
<tr>
<td width="160" valign="top" class="nav">
<a href="/">Home</a><br><a href="/news">News</a><br><a href="/sports">Sports</a><br>
<a href="/obits">Obituaries</a><br><a href="/classifieds">Classifieds</a><br>
</td>
<td width="600" valign="top">
<table width="100%"><tr><td>
<font face="Arial" size="5"><b>{WATER_TITLE}</b></font><br>
<font size="2">By Tom Becker, Staff Writer</font><br><br>
{"".join(f'<font face="Arial" size="2"><p>{p}</p></font>' for p in WATER_STORY)}
</td></tr></table>
</td></tr>
<tr><td colspan="2" align="center"><font size="1">Copyright 2026 The Riverside Courier.
All rights reserved.</font></td></tr>
</table></body></html>"""

# The same page with the menu as many such templates set it, in one line of links with
# separators between them: "Home | News | Sports" (the separators are text, not links).
TABLE_NAV = '<a href="/">Home</a><br><a href="/news">News</a><br><a href="/sports">Sports</a><br>'
TABLE_LAYOUT_PIPES = TABLE_LAYOUT.replace(
    TABLE_NAV,
    '<a href="/">Home</a> | <a href="/news">News</a> | <a href="/sports">Sports</a> &middot; ',
)

# A WordPress-style story as news blogs publish it: "Read more:" teasers and a photo credit
# between paragraphs, a "Follow us on ..." line and a newsletter box at the end, share buttons.
TEASERS = f"""<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8">
<title>{WATER_TITLE} &#8211; Eastside Daily</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{WATER_TITLE}">
<meta property="og:site_name" content="Eastside Daily">
<meta name="author" content="Priya Natarajan">
<meta property="article:published_time" content="2026-11-26T08:15:00+00:00">
</head><body class="post-template-default single single-post">
<header id="masthead" class="site-header"><p class="site-title"><a href="/">Eastside Daily</a></p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">
<li><a href="/local">Local</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/sport">Sport</a></li></ul></nav></header>
<main id="main" class="site-main"><article class="post type-post status-publish">
<header class="entry-header"><h1 class="entry-title">{WATER_TITLE}</h1>
<div class="entry-meta">By <span class="author vcard"><a href="/author/priya">Priya Natarajan</a></span>
<time class="entry-date published" datetime="2026-11-26T08:15:00+00:00">November 26, 2026</time></div>
</header>
<div class="entry-content">
<p>{WATER_STORY[0]}</p>
<figure class="wp-block-image"><img src="/wp-content/uploads/pipes.jpg" alt="">
<figcaption>Crews dig up a street on the east side. (Photo: Eastside Daily/Sam Ortiz)</figcaption></figure>
<p>{WATER_STORY[1]}</p>
<p><strong>Read more:</strong> <a href="/2026/10/lead-tests">Lead found in water at three east side schools</a></p>
<p>{WATER_STORY[2]}</p>
<p>{WATER_STORY[3]}</p>
<p>(Photo: Eastside Daily/Sam Ortiz)</p>
<p>READ MORE: <a href="/2026/11/bond">Voters back $90 million water bond</a></p>
<p>{WATER_STORY[4]}</p>
<p>{WATER_STORY[5]}</p>
<p>Follow us on Twitter and Facebook for the latest local news.</p>
<div class="newsletter-box"><p>Sign up for our Eastside Morning newsletter</p>
<form><input type="email"><button>Subscribe</button></form></div>
</div>
<footer class="entry-footer"><div class="share-buttons"><a href="#">Share on Facebook</a>
<a href="#">Share on X</a></div></footer>
</article></main>
<footer id="colophon" class="site-footer"><p>&copy; 2026 Eastside Daily. Proudly powered by WordPress</p></footer>
</body></html>"""

# A theme whose <title> is the site's name on every page (no SEO plugin), with the site name in
# an <h1> too, as WordPress's older default themes and many Drupal/Joomla templates render
# it; the headline is in og:title and in the entry's own <h1>.
CMS_TITLE = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Riverside Gazette</title>
<meta property="og:title" content="{WATER_TITLE}">
<meta property="og:site_name" content="Riverside Gazette">
<meta name="generator" content="WordPress 6.4.2">
</head><body>
<div id="page"><header><h1 class="site-title"><a href="/">Riverside Gazette</a></h1>
<p class="site-description">Just another WordPress site</p></header>
<div id="content"><article>
<h1 class="post-title">{WATER_TITLE}</h1>
{"".join(f"<p>{p}</p>" for p in WATER_STORY)}
</article></div>
<footer>Proudly powered by WordPress</footer></div></body></html>"""

# The same page, no og:title: the entry's <h1> has to win over the <title> and the site <h1>.
CMS_TITLE_NO_OG = CMS_TITLE.replace(f'<meta property="og:title" content="{WATER_TITLE}">\n', "")

# A news site's home page: a grid of teasers (headline link and a one-line dek) in
# <article> cards, as WordPress news themes, Arc and most newspaper front pages lay them out.
HOME_ITEMS = [
    ("County to replace lead water pipes", "The $48 million plan starts in spring."),
    ("Council delays vote on bus lanes", "Members want more time to consult shop owners."),
    ("High school team reaches state final", "The Eagles beat Northfield 3-1 on Friday night."),
    ("Bridge repairs to close Main Street", "Detours will be in place for six weeks."),
    ("Library extends weekend hours", "Branches will stay open until 8 p.m. on Saturdays."),
    ("Storm knocks out power to 4,000 homes", "Crews expect to restore service by Sunday."),
    ("New bakery opens on Harbor Road", "The owners moved here from Lisbon last year."),
    ("Police seek witnesses to crash", "A cyclist was taken to hospital on Tuesday."),
    ("School board approves budget", "Teachers will get a 3 percent raise next year."),
    ("Farmers market moves indoors", "The winter market opens at the old armory."),
]
HOMEPAGE = (
    """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Eastside Daily - Local news
for the east side</title><meta property="og:type" content="website">
<meta property="og:title" content="Eastside Daily"></head><body>
<header><a href="/">Eastside Daily</a><nav><a href="/local">Local</a> <a href="/sport">Sport</a>
</nav></header><main><h1 class="screen-reader-text">Eastside Daily</h1>
<section class="top-stories">"""
    + "".join(
        f'<article class="card"><h2 class="card-title"><a href="/2026/11/story-{i}">{h}</a></h2>'
        f'<p class="dek">{d}</p></article>'
        for i, (h, d) in enumerate(HOME_ITEMS)
    )
    + """</section></main><footer>&copy; 2026 Eastside Daily</footer></body></html>"""
)

# What a CDN or web server sends while the site is down, served with status 200 by a
# misconfigured proxy (nginx/Cloudflare-style maintenance and error pages).
STATUS_PAGE = """<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title>
</head><body><center><h1>503 Service Temporarily Unavailable</h1></center>
<p>The server is temporarily unable to service your request due to maintenance downtime or
capacity problems. Please try again later.</p><hr><center>nginx</center></body></html>"""

# A "soft 404": a CMS theme's not-found page, sent with status 200, with a search box and a
# list of recent posts, as WordPress themes render it.
SOFT_404 = (
    """<!DOCTYPE html><html><head><title>Page not found &#8211; Eastside Daily</title></head>
<body><main><section class="error-404 not-found"><header class="page-header">
<h1 class="page-title">Oops! That page can&rsquo;t be found.</h1></header>
<div class="page-content"><p>It looks like nothing was found at this location. Maybe try one of
the links below or a search?</p><form role="search"><input type="search"></form>
<h2>Recent Posts</h2><ul>"""
    + "".join(
        f'<li><a href="/2026/11/story-{i}">{h}</a></li>' for i, (h, _) in enumerate(HOME_ITEMS[:5])
    )
    + """</ul></div></section></main></body></html>"""
)

# A thin page: a paywalled story's stub as metered paywalls serve it to a client without
# cookies, the headline and a single teaser sentence.
THIN_PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{WATER_TITLE} | Eastside
Daily</title><meta property="og:title" content="{WATER_TITLE}"></head><body><article>
<h1>{WATER_TITLE}</h1><p class="standfirst">The county's water authority will spend $48 million
replacing lead pipes.</p><div class="paywall"><p>Subscribe to continue reading.</p>
<a href="/subscribe">Subscribe</a></div></article></body></html>"""

# The bare shape: a hand-rolled or very old theme with no og: tags and no classes, the site's
# name in an <h1> home link, the CMS's default <title> left as it was installed.
CMS_TITLE_BARE = f"""<html><head><title>Joomla!</title></head><body>
<h1><a href="/">Riverside Gazette</a></h1>
<div><h1>{WATER_TITLE}</h1>
{"".join(f"<p>{p}</p>" for p in WATER_STORY)}
</div></body></html>"""

# A page whose only statement of the site's name is schema.org markup (NewsArticle with a
# publisher, as news CMSs emit for search engines), with that name as <title> and in an <h1>.
CMS_TITLE_JSONLD = f"""<html><head><title>Riverside Gazette</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"publisher": {{"@type": "Organization", "name": "Riverside Gazette"}}}}</script></head><body>
<h1>Riverside Gazette</h1><div><h1>{WATER_TITLE}</h1>
{"".join(f"<p>{p}</p>" for p in WATER_STORY)}</div></body></html>"""

# A topic page: a one-line intro over a run of dated links to stories, as CMS tag and topic
# pages ("Water crisis: all our coverage") render it inside an <article>, one <p> an entry.
LINK_LIST = (
    """<!DOCTYPE html><html><head><title>Water crisis: all our coverage</title></head>
<body><article><h1>Water crisis: all our coverage</h1><p>Our reporting on the county's water,
from the first tests to the bond vote.</p>"""
    + "".join(
        f'<p>Nov {i + 3}: <a href="/2026/11/{i}">{h}: what it means for east side families and '
        "their water bills this winter</a></p>"
        for i, (h, _) in enumerate(HOME_ITEMS[:8])
    )
    + "</article></body></html>"
)


ARTICLE = news_page().encode("utf-8")
# A wire story as a text file, hard-wrapped, with its headline and byline, in cp1252 (curly
# quotes), served with no charset; and a static site's Markdown post.
TEXT_STORY = (
    "Council backs new bridge\n\nBy Jane Doe\n\nThe council voted on Tuesday to build a new\n"
    "bridge over the river, at a cost of $12 million, officials said.\n\n"
    "\u201cWork starts in March,\u201d the mayor said after the vote.\n"
)
MARKDOWN_STORY = (
    "---\ntitle: Council backs new bridge\nauthor: Jane Doe\n---\n\n"
    "The council voted on **Tuesday** to build a [new bridge](https://example.com/b).\n\n"
    "## Cost\n\nIt will cost $12 million, officials said.\n"
)
LEGACY = news_page([*PARAS[:4], LEGACY_PARA, *PARAS[4:]], charset="windows-1252").encode("cp1252")


@dataclass
class State:
    """What the test server saw and did, and the switch that ends its slow handlers."""

    stop: threading.Event = field(default_factory=threading.Event)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    stream_sent: int = 0
    stream_done: threading.Event = field(default_factory=threading.Event)
    port: int = 0  # the server's own port, for redirects back to it
    requests: Counter[str] = field(default_factory=Counter)
    # The /together-N routes answer only once all three are asked at the same time.
    together: threading.Barrier = field(default_factory=lambda: threading.Barrier(3, timeout=10))


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class serving the test routes."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest's output clean

        def send(self, status: int, ctype: str | None, body: bytes, **headers: str) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def redirect(self, status: int, location: str) -> None:
            self.send(status, "text/html", b"<p>moved</p>", Location=location)

        def do_GET(self) -> None:
            state.headers[self.path] = dict(self.headers.items())
            state.requests[self.path] += 1
            route = self.ROUTES.get(self.path)
            if route is None:
                self.send(404, "text/html", b"<h1>Not here</h1>")
            else:
                route(self)

        def article(self) -> None:
            self.send(200, "text/html; charset=utf-8", ARTICLE)

        def together(self) -> None:
            try:
                state.together.wait()
            except threading.BrokenBarrierError:
                self.send(503, "text/html", b"<h1>Asked one at a time</h1>")
                return
            n = self.path.rsplit("-", 1)[1]
            story = TEXT_STORY.replace("Council", f"Council {n}", 1) + f"\nStory {n} of three.\n"
            self.send(200, "text/plain", story.encode())

        def slow(self) -> None:
            state.stop.wait(3)
            self.article()

        def slow_body(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(ARTICLE[:500])
            self.wfile.flush()
            state.stop.wait(3)

        def trickle(self) -> None:
            # Each byte comes well inside the socket timeout; only a total deadline stops it.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for byte in ARTICLE[:40]:
                if state.stop.wait(0.1):
                    return
                self.wfile.write(bytes([byte]))
                self.wfile.flush()

        def drip_headers(self) -> None:
            # Status line and headers one byte every 2 s: each read is inside urllib's socket
            # timeout, so only a deadline over the whole fetch stops it (issue 7).
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"p" * 40
            for byte in head:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if state.stop.wait(2):
                    return

        def huge(self) -> None:
            self.send(200, "text/html", b"<p>" + b"x" * 1_000_000 + b"</p>")

        def stream(self) -> None:
            # No Content-Length, and far more than anyone should read: 50 MB at most.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"y" * 65_529 + b"</p>"
            try:
                for _ in range(800):
                    self.wfile.write(chunk)
                    state.stream_sent += len(chunk)
            except OSError:
                pass  # the client hung up, as it should
            finally:
                state.stream_done.set()

        def gzipped(self) -> None:
            if "gzip" not in self.headers.get("Accept-Encoding", ""):
                self.article()
                return
            self.send(
                200, "text/html; charset=utf-8", gzip.compress(ARTICLE), Content_Encoding="gzip"
            )

        def gzip_bomb(self) -> None:
            self.send(200, "text/html", gzip.compress(b" " * 3_000_000), Content_Encoding="gzip")

        def half(self) -> None:
            # A server or proxy that drops the connection half way: Content-Length says the
            # whole page, the body stops at half.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(ARTICLE)))
            self.end_headers()
            self.wfile.write(ARTICLE[: len(ARTICLE) // 2])

        def half_gzip(self) -> None:
            # A gzip stream cut short, its Content-Length true to what is sent.
            body = gzip.compress(ARTICLE)
            self.send(200, "text/html", body[: len(body) // 2], Content_Encoding="gzip")

        def brotli(self) -> None:
            self.send(200, "text/html", b"\x0b\x02\x80hello\x03", Content_Encoding="br")

        def nav_only(self) -> None:
            page = (
                "<html><head><title>News Corp</title></head><body><nav>Home | World | Sport</nav>"
                "<footer>© 2026 News Corp All rights reserved</footer></body></html>"
            )
            self.send(200, "text/html", page.encode())

        ROUTES: dict[str, Callable[[Handler], None]] = {
            "/article": article,
            "/caf%C3%A9/%E2%82%AC": article,
            "/r1": lambda h: h.redirect(301, "/r2"),
            "/r2": lambda h: h.redirect(302, "/article"),
            "/loop": lambda h: h.redirect(302, "/loop"),
            "/to-ftp": lambda h: h.redirect(302, "ftp://127.0.0.1/story.html"),
            "/gone": lambda h: h.send(410, "text/html", b"<h1>Gone</h1>"),
            "/error": lambda h: h.send(500, "text/html", b"<h1>Oops</h1>"),
            "/slow": slow,
            "/slow-body": slow_body,
            "/trickle": trickle,
            "/drip-headers": drip_headers,
            "/to-loopback": lambda h: h.redirect(302, f"http://127.0.0.1:{state.port}/article"),
            "/to-metadata": lambda h: h.redirect(
                302, "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
            ),
            "/to-intranet": lambda h: h.redirect(301, "http://intranet.corp.example/wiki"),
            "/huge": huge,
            "/stream": stream,
            "/image.png": lambda h: h.send(200, "image/png", PNG),
            "/report.pdf": lambda h: h.send(200, "application/pdf", b"%PDF-1.7\n" + bytes(100)),
            "/cp1252": lambda h: h.send(200, "text/html", LEGACY),
            "/misdeclared": lambda h: h.send(200, "text/html; charset=utf-8", LEGACY),
            "/no-type": lambda h: h.send(200, None, ARTICLE),
            "/png-as-html": lambda h: h.send(200, "text/html", PNG),
            "/empty": lambda h: h.send(200, "text/html", b""),
            "/nav-only": nav_only,
            "/": lambda h: h.send(200, "text/html; charset=utf-8", ARTICLE),
            "/status-200": lambda h: h.send(200, "text/html", STATUS_PAGE.encode()),
            "http://news.example/article": article,  # asked of the server as a proxy
            "/water": lambda h: h.send(200, "text/html; charset=utf-8", TEASERS.encode()),
            "/gzip": gzipped,
            "/gzip-bomb": gzip_bomb,
            "/brotli": brotli,
            "/half": half,
            "/half-gzip": half_gzip,
            # How `python -m http.server` serves a story kept as a file: .txt as text/plain,
            # .md as text/markdown, a page saved without a suffix as application/octet-stream.
            "/story.txt": lambda h: h.send(200, "text/plain", TEXT_STORY.encode("cp1252")),
            "/notes.md": lambda h: h.send(200, "text/markdown", MARKDOWN_STORY.encode()),
            "/saved": lambda h: h.send(200, "application/octet-stream", ARTICLE),
            "/blob": lambda h: h.send(200, "application/octet-stream", TEXT_STORY.encode()),
            # A saved page opening with a comment, served as text (it was briefed as markup).
            "/commented": lambda h: h.send(200, "text/plain", b"<!-- saved -->\n" + ARTICLE),
            # A stringer's word-processor file put on a server, served as text.
            "/story.rtf": lambda h: h.send(200, "text/plain", b"{\\rtf1\\ansi Talks resume.\\par}"),
            "/big.txt": lambda h: h.send(200, "text/plain", TEXT_STORY.encode() * 600),
            "/empty-gzip": lambda h: h.send(200, "text/html", b"", Content_Encoding="gzip"),
            "/together-1": together,
            "/together-2": together,
            "/together-3": together,
        }

    return Handler


@dataclass
class Server:
    """The running test server: its base URL and what it saw."""

    base: str
    state: State

    def url(self, path: str) -> str:
        """Return the absolute URL of a route."""
        return self.base + path


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """Serve the test routes on 127.0.0.1 in a thread; shut it down afterwards."""
    # A proxy from the environment would route loopback requests away from our server.
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    state = State()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", state)
    finally:
        state.stop.set()  # release the slow handlers
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def assert_article(page: Page) -> None:
    """Assert that page holds exactly the story of news_page(), in order, and nothing else."""
    assert page.text.split("\n\n") == PARAS
    for text in BOILERPLATE:
        assert text not in page.text
    assert page.title == TITLE
    assert page.author == "Jane Doe"
    assert page.date == "2026-03-17"


def assert_error(excinfo: pytest.ExceptionInfo[InputError], url: str, reason: str) -> None:
    """Assert a one-line InputError message that names the URL and says why."""
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith(f"{url}: ")
    assert reason in message


# --- extraction -------------------------------------------------------------------------------


def test_read_url_keeps_the_story_and_drops_boilerplate(server: Server) -> None:
    page = read_url(server.url("/article"), allow_private=True)
    assert page.url == server.url("/article")
    assert_article(page)


def test_request_sends_user_agent_and_accept(server: Server) -> None:
    fetch(server.url("/article"), allow_private=True)
    headers = server.state.headers["/article"]
    assert headers["User-Agent"] == USER_AGENT
    assert "text/html" in headers["Accept"]


def test_fetch_returns_body_and_charset(server: Server) -> None:
    final, body, charset = fetch(server.url("/article"), allow_private=True)
    assert (final, body, charset) == (server.url("/article"), ARTICLE, "utf-8")


def test_unicode_url_is_percent_encoded(server: Server) -> None:
    final, body, _ = fetch(server.url("/café/€"), allow_private=True)
    assert final == server.url("/caf%C3%A9/%E2%82%AC")
    assert body == ARTICLE


def test_importing_web_does_not_import_trafilatura() -> None:
    code = "import sys, briefer.web; print('trafilatura' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_redirect_chain_gives_final_url(server: Server) -> None:
    page = read_url(server.url("/r1"), allow_private=True)
    assert page.url == server.url("/article")
    assert_article(page)


def test_redirect_limit_counts_hops(server: Server) -> None:
    assert fetch(server.url("/r1"), max_redirects=2, allow_private=True)[0] == server.url(
        "/article"
    )
    url = server.url("/r1")
    with pytest.raises(InputError) as excinfo:
        fetch(url, max_redirects=1, allow_private=True)
    assert_error(excinfo, url, "too many redirects (more than 1)")


def test_endless_redirect_loop(server: Server) -> None:
    url = server.url("/loop")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert_error(excinfo, url, "too many redirects (more than 5)")


def test_redirect_away_from_http_is_refused(server: Server) -> None:
    url = server.url("/to-ftp")
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert_error(excinfo, url, "redirected to a non-HTTP URL (ftp://127.0.0.1/story.html)")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/gone", "HTTP 410 Gone"),
        ("/error", "HTTP 500 Internal Server Error"),
    ],
)
def test_http_status_errors(server: Server, path: str, reason: str) -> None:
    url = server.url(path)
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: {reason}"


def test_slow_server_times_out(server: Server) -> None:
    url = server.url("/slow")
    start = time.monotonic()
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=1, allow_private=True)
    assert time.monotonic() - start < 2.5
    assert str(excinfo.value) == f"{url}: timed out after 1 s"


def test_body_that_stalls_times_out(server: Server) -> None:
    url = server.url("/slow-body")
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=1, allow_private=True)
    assert str(excinfo.value) == f"{url}: timed out after 1 s"


def test_trickling_body_hits_the_overall_deadline(server: Server) -> None:
    url = server.url("/trickle")
    start = time.monotonic()
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=1, allow_private=True)
    assert time.monotonic() - start < 2.5
    assert str(excinfo.value) == f"{url}: timed out after 1 s"


def test_headers_dripped_a_byte_at_a_time_hit_the_overall_deadline(server: Server) -> None:
    url = server.url("/drip-headers")
    start = time.monotonic()
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=3, allow_private=True)
    # The dripped head would take 2 s a byte for a minute and a half.
    assert time.monotonic() - start < 4.5
    assert str(excinfo.value) == f"{url}: timed out after 3 s"


def test_name_lookup_counts_against_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck_resolver(*args: object, **kwargs: object) -> None:
        release.wait(10)  # a resolver that answers after the run should have ended
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", stuck_resolver)
    url = "https://news.example/2026/03/17/grid"
    start = time.monotonic()
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=1)
    release.set()
    assert time.monotonic() - start < 2.5
    assert str(excinfo.value) == f"{url}: timed out after 1 s"


def test_body_over_max_bytes_by_content_length(server: Server) -> None:
    url = server.url("/huge")
    with pytest.raises(InputError) as excinfo:
        read_url(url, max_bytes=100_000, allow_private=True)
    assert str(excinfo.value) == f"{url}: larger than 100 kB (raise --max-input-bytes to read it)"


def test_endless_body_is_not_downloaded_whole(server: Server) -> None:
    url = server.url("/stream")
    with pytest.raises(InputError) as excinfo:
        fetch(url, max_bytes=100_000, allow_private=True)
    assert str(excinfo.value) == f"{url}: larger than 100 kB (raise --max-input-bytes to read it)"
    assert server.state.stream_done.wait(5)
    # Socket buffers take a few MB once we hang up; the server meant to send 50 MB.
    assert server.state.stream_sent < 20_000_000


def test_max_input_bytes_bounds_a_url_as_it_bounds_a_saved_page(server: Server) -> None:
    # --max-input-bytes had no effect on URLs: 5 MB whatever it said, so a larger page could
    # not be let in and a smaller bound did not hold. A URL takes what a saved page may
    # (HTML_FACTOR times the text bound), with the same hint.
    from briefer.sources import HTML_FACTOR, read_source

    url = server.url("/stream")
    with pytest.raises(InputError) as excinfo:
        read_source(url, allow_private_urls=True, max_bytes=40_000)
    assert str(excinfo.value) == (
        f"{url}: larger than {int(40_000 * HTML_FACTOR) // 1000} kB{' (raise --max-input-bytes to read it)'}"
    )
    article = read_source(server.url("/article"), allow_private_urls=True, max_bytes=40_000)
    assert article.words > 0


def test_default_limit_is_named_in_megabytes(server: Server) -> None:
    url = server.url("/stream")
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: larger than 5 MB (raise --max-input-bytes to read it)"


@pytest.mark.parametrize(
    ("path", "ctype"), [("/image.png", "image/png"), ("/report.pdf", "application/pdf")]
)
def test_non_html_content_type(server: Server, path: str, ctype: str) -> None:
    url = server.url(path)
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: not an article (content type {ctype})"


def test_binary_sent_as_html(server: Server) -> None:
    url = server.url("/png-as-html")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert_error(excinfo, url, "looks like a binary file")


def test_missing_content_type_is_sniffed(server: Server) -> None:
    assert_article(read_url(server.url("/no-type"), allow_private=True))


def test_meta_charset_windows_1252(server: Server) -> None:
    final, body, charset = fetch(server.url("/cp1252"), allow_private=True)
    assert charset is None
    page = read_url(server.url("/cp1252"), allow_private=True)
    assert LEGACY_PARA in page.text.split("\n\n")
    assert "\ufffd" not in page.text


def test_header_charset_that_lies_falls_back_to_meta(server: Server) -> None:
    page = read_url(server.url("/misdeclared"), allow_private=True)
    assert LEGACY_PARA in page.text.split("\n\n")


def test_gzip_body_is_decompressed(server: Server) -> None:
    page = read_url(server.url("/gzip"), allow_private=True)
    assert "gzip" in server.state.headers["/gzip"]["Accept-Encoding"]
    assert_article(page)


def test_gzip_bomb_is_stopped_at_max_bytes(server: Server) -> None:
    url = server.url("/gzip-bomb")
    with pytest.raises(InputError) as excinfo:
        fetch(url, max_bytes=100_000, allow_private=True)
    assert str(excinfo.value) == f"{url}: larger than 100 kB (raise --max-input-bytes to read it)"


@pytest.mark.parametrize("route", ["/half", "/half-gzip"])
def test_a_page_cut_off_in_transfer_is_refused(server: Server, route: str) -> None:
    # Half the page arrived and the connection closed: it was briefed as if it were whole,
    # its text ending mid-word, exit 0.
    url = server.url(route)
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: connection closed before the whole page arrived"


def test_text_and_markdown_urls_are_read_as_their_files_are(server: Server) -> None:
    # Both were refused, "no article text found": the body always went to trafilatura.
    from briefer.sources import read_source

    story = read_source(server.url("/story.txt"), allow_private_urls=True)
    assert (story.title, story.author) == ("Council backs new bridge", "Jane Doe")
    assert [story.text[a:b] for a, b in story.body] == [
        "The council voted on Tuesday to build a new\nbridge over the river, at a cost of "
        "$12 million, officials said.",
        "\u201cWork starts in March,\u201d the mayor said after the vote.",
    ]
    notes = read_source(server.url("/notes.md"), allow_private_urls=True)
    assert (notes.title, notes.author) == ("Council backs new bridge", "Jane Doe")
    assert notes.body_text() == (
        "The council voted on Tuesday to build a new bridge.\n\n"
        "It will cost $12 million, officials said."
    )
    # An HTML page served untyped is a page; anything else untyped is still refused.
    assert_article(read_url(server.url("/saved"), allow_private=True))
    url = server.url("/blob")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: not an article (content type application/octet-stream)"
    # A page is told as piped bytes are: one that opens with a comment is a page still.
    assert_article(read_url(server.url("/commented"), allow_private=True))
    # Served as text, a document is held to the text bound, as the same file saved is (the
    # page bound, 2.5 times more, let 4 MB of text in at the 2 MB default).
    big = server.url("/big.txt")
    with pytest.raises(InputError, match=r"larger than 100,000 bytes \(raise --max-input-bytes"):
        read_source(big, allow_private_urls=True, max_bytes=100_000)
    assert read_source(big, allow_private_urls=True, max_bytes=200_000).words > 0


def test_an_empty_gzip_body_is_an_empty_page_not_a_cut_one(server: Server) -> None:
    url = server.url("/empty-gzip")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert "connection closed" not in str(excinfo.value)


def test_unknown_content_encoding(server: Server) -> None:
    url = server.url("/brotli")
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: unsupported content encoding br"


def test_empty_page(server: Server) -> None:
    url = server.url("/empty")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: is empty"


def test_page_with_no_article(server: Server) -> None:
    url = server.url("/nav-only")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: no article text found"


def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/story"
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=2, allow_private=True)
    assert str(excinfo.value) == f"{url}: connection refused"


def test_unknown_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    url = "https://news.invalid/2026/03/17/grid"
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: cannot resolve the host name"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a", "example.com/story", "http://", "https:///path"]
)
def test_fetch_refuses_what_is_not_a_web_url(url: str) -> None:
    with pytest.raises(InputError) as excinfo:
        fetch(url, allow_private=True)
    assert_error(excinfo, url, "URL")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://example.com", True),
        ("https://example.com/a?b=1", True),
        ("HTTPS://EXAMPLE.COM/", True),
        ("ftp://example.com/a", False),
        ("file:///tmp/story.html", False),
        ("www.example.com/story", False),
        ("story.html", False),
        ("-", False),
        ("https://", False),
        ("", False),
    ],
)
def test_is_url(value: str, expected: bool) -> None:
    assert is_url(value) is expected


# --- extract_html and saved pages ---------------------------------------------------------------


def test_extract_html_from_bytes_and_str() -> None:
    for html in (ARTICLE, ARTICLE.decode("utf-8")):
        page = extract_html(html, url="https://news.example/grid")
        assert page.url == "https://news.example/grid"
        assert_article(page)


def test_extract_html_keeps_blocks_as_paragraphs() -> None:
    extra = [
        "<h2>What happens next</h2>",
        "He said the plan was only a start:<br>the first lines will be built in the north,"
        "<br>and the rest will follow when the money is there.",
        "<ul><li>Eleven countries signed the agreement on Tuesday.</li>"
        "<li>Two more are expected to join it before the summer.</li></ul>",
    ]
    page = extract_html(news_page([*PARAS[:3], *extra, *PARAS[3:]]))
    assert page.url == ""
    assert page.text.split("\n\n") == [
        *PARAS[:3],
        # The subheading names a section: no sentence, left out as Markdown's are.
        "He said the plan was only a start: the first lines will be built in the north, and the "
        "rest will follow when the money is there.",
        "Eleven countries signed the agreement on Tuesday.",
        "Two more are expected to join it before the summer.",
        *PARAS[3:],
    ]


def test_copyright_year_is_not_taken_for_the_date() -> None:
    page = extract_html(news_page(time_tag=""))
    assert page.date is None
    assert page.text.split("\n\n") == PARAS


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Live</title></head><body><div id='app'></div></body></html>",
        "<html><body><noscript>You need to enable JavaScript to run this app.</noscript>"
        "<div id='root'></div><script>render({story: 1})</script></body></html>",
        f"<html><body><h1>{TITLE}</h1></body></html>",
    ],
)
def test_extract_html_with_no_article_names_the_url(html: str) -> None:
    with pytest.raises(InputError) as excinfo:
        extract_html(html, url="https://x.example/a")
    assert str(excinfo.value) == "https://x.example/a: no article text found"


def test_read_html_file(tmp_path: Path) -> None:
    path = tmp_path / "saved story.html"
    path.write_bytes(ARTICLE)
    page = read_html_file(str(path))
    assert page.url == str(path)
    assert_article(page)


def test_read_html_file_in_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "legacy.htm"
    path.write_bytes(LEGACY)
    page = read_html_file(str(path))
    assert LEGACY_PARA in page.text.split("\n\n")
    assert page.title == TITLE


def test_read_html_file_missing(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.html")
    with pytest.raises(InputError) as excinfo:
        read_html_file(path)
    assert str(excinfo.value) == f"{path}: no such file"


# --- addresses a fetch must not reach (issue 7) -------------------------------------------------


def public_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand the test server in for a public web server: 127.0.0.1 counts as public.

    Where its redirects lead (link-local, private) is still judged by the real rule.
    """
    real = web.private_kind

    def kind(address: str) -> str | None:
        """Say "public" for 127.0.0.1, else what the real rule says."""
        return None if address == "127.0.0.1" else real(address)

    monkeypatch.setattr(web, "private_kind", kind)


@pytest.mark.parametrize(
    ("url", "host", "kind"),
    [
        ("http://127.0.0.1:9/article", "127.0.0.1", "a loopback"),
        ("http://[::1]:9/article", "::1", "a loopback"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "a link-local"),
        ("http://10.20.30.40/intranet", "10.20.30.40", "a private"),
        ("http://192.168.1.1/admin", "192.168.1.1", "a private"),
        ("http://100.100.100.200/latest/meta-data", "100.100.100.200", "a private"),
        ("http://0.0.0.0:8080/", "0.0.0.0", "an unspecified"),
    ],
)
def test_non_public_addresses_are_refused(url: str, host: str, kind: str) -> None:
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=2)
    message = str(excinfo.value)
    assert message.startswith(f"{url}: refused: {host} is {kind} address")
    assert "--allow-private-urls" in message


def test_loopback_server_is_refused_without_opt_in(server: Server) -> None:
    url = server.url("/article")
    with pytest.raises(InputError) as excinfo:
        read_url(url)
    assert_error(excinfo, url, "refused: 127.0.0.1 is a loopback address")
    assert "/article" not in server.state.headers  # not a byte was sent to it


def test_host_names_are_checked_after_resolution(
    monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    real = socket.getaddrinfo

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> object:
        """Resolve the intranet's name as a split-horizon DNS would, to a private address."""
        if host == "intranet.corp.example":
            return real("10.1.2.3", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = "http://intranet.corp.example/wiki"
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=2)
    assert str(excinfo.value).startswith(
        f"{url}: refused: intranet.corp.example is a private address (10.1.2.3)"
    )


def test_ipv4_mapped_ipv6_loopback_is_loopback() -> None:
    assert web.private_kind("::ffff:127.0.0.1") == "loopback"
    assert web.private_kind("fe80::1%eth0") == "link-local"
    assert web.private_kind("93.184.215.14") is None
    assert web.private_kind("2606:2800:21f:cb07:6820:80da:af6b:8b2c") is None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/to-metadata", "169.254.169.254 is a link-local address"),
        ("/to-intranet", "intranet.corp.example is a private address"),
    ],
)
def test_every_redirect_is_checked(
    monkeypatch: pytest.MonkeyPatch, server: Server, path: str, target: str
) -> None:
    real = socket.getaddrinfo

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> object:
        """The intranet name resolves to a private address; the rest as usual."""
        return real("10.9.8.7" if host == "intranet.corp.example" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    public_server(monkeypatch)
    url = server.url(path)
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=3)
    assert_error(excinfo, url, f"refused: {target}")
    assert path in server.state.headers  # the first hop was fetched; the redirect was not


def test_redirect_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    # The "public" server is reached as 127.0.0.1 through a name only this test resolves;
    # its redirect names 127.0.0.1 itself, which the real rule refuses.
    real = socket.getaddrinfo
    checked: list[str] = []

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> object:
        """news.example is the test server; every other name as usual."""
        checked.append(host)
        return real("127.0.0.1" if host == "news.example" else host, port, *args, **kwargs)

    real_kind = web.private_kind
    calls = {"n": 0}

    def kind(address: str) -> str | None:
        """Let the first connection (to news.example) through; judge the rest for real."""
        calls["n"] += 1
        return None if calls["n"] == 1 else real_kind(address)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setattr(web, "private_kind", kind)
    url = f"http://news.example:{server.state.port}/to-loopback"
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=3)
    assert_error(excinfo, url, "refused: 127.0.0.1 is a loopback address")
    assert "/to-loopback" in server.state.headers
    assert "/article" not in server.state.headers
    assert checked == ["news.example", "127.0.0.1"]


# --- the command line: one bad link never sinks the brief ---------------------------------------


def wire_story(tmp_path: Path) -> Path:
    """Write one plain-text wire story beside a links list, as a cron job's folder holds them."""
    story = tmp_path / "grid.txt"
    story.write_text(TITLE + "\n\n" + "\n\n".join(PARAS) + "\n", encoding="utf-8")
    return story


def test_a_refused_link_in_a_list_is_not_included(server: Server, tmp_path: Path) -> None:
    story = wire_story(tmp_path)
    listing = tmp_path / "links.txt"
    listing.write_text(f"{story.name}\n{server.url('/article')}\n", encoding="utf-8")
    result = run("summarize", "--from-list", str(listing), "--engine", "extractive", "-q")
    assert result.code == 3, result.err
    assert f"# {TITLE}" in result.out  # the file is briefed
    not_included = result.out[result.out.index("Not included") :]
    assert f"{server.url('/article')}: refused: 127.0.0.1 is a loopback address" in not_included
    assert "/article" not in server.state.headers


@pytest.mark.parametrize("how", ["flag", "config"])
def test_private_urls_are_fetched_when_allowed(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("allow_private_urls = true\n" if how == "config" else "", encoding="utf-8")
    flag = ["--allow-private-urls"] if how == "flag" else []
    result = run(
        "summarize",
        str(wire_story(tmp_path)),
        server.url("/article"),
        "--engine",
        "extractive",
        "-f",
        "json",
        "--config",
        str(config),
        *flag,
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [b["source"] for b in data["briefs"]] == [str(tmp_path / "grid.txt")]
    # Both copies hold the same story: the page repeats the file, and is briefed once.
    assert "duplicate" in result.err
    assert "/article" in server.state.headers


def test_a_link_that_drips_its_headers_does_not_hang_the_brief(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default deadline is 20 s; the test shortens it, not the rule.
    monkeypatch.setitem(web._fetch.__kwdefaults__, "timeout", 2.0)
    start = time.monotonic()
    result = run(
        "summarize",
        str(wire_story(tmp_path)),
        server.url("/drip-headers"),
        "--engine",
        "extractive",
        "--allow-private-urls",
        "-q",
    )
    assert time.monotonic() - start < 10
    assert result.code == 3, result.err
    assert f"- {server.url('/drip-headers')}: timed out after 2 s" in result.out


# --- coverage, checked from the JSON alone (issue 9.4) ------------------------------------------


def check_coverage(record: dict) -> None:
    """Check, with nothing but one JSON brief, that its chunks cover every sentence of its text.

    The story is the "body" spans of "text"; each chunk lists the sentence spans it holds.
    Every non-space character of the story must fall in exactly one chunk's sentence span,
    the spans must lie inside the story and come in order, and each chunk's start and end
    must be its first and last span's.
    """
    text = record["text"]
    story = {k for s, e in record["body"] for k in range(s, e) if not text[k].isspace()}
    covered: list[int] = []
    previous_end = 0
    for chunk in record["chunks"]:
        spans = chunk["spans"]
        assert chunk["sentences"] == len(spans) >= 1
        assert (chunk["start"], chunk["end"]) == (spans[0][0], spans[-1][1])
        for s, e in spans:
            assert previous_end <= s < e <= len(text)
            previous_end = e
            covered.extend(k for k in range(s, e) if not text[k].isspace())
    assert len(covered) == len(set(covered))  # no character in two chunks
    assert set(covered) == story  # every sentence of the story, and nothing outside it


def test_json_coverage_can_be_checked_for_every_source_kind(
    server: Server, tmp_path: Path, bart: Path
) -> None:
    wire = Path(__file__).resolve().parent / "fixtures" / "ap-wire-wrapped.txt"
    txt = tmp_path / "senate.txt"
    txt.write_bytes(wire.read_bytes())
    md = tmp_path / "grid.md"
    md.write_text(f"# {TITLE}\n\n" + "\n\n".join(PARAS[:5]) + "\n", encoding="utf-8")
    html = tmp_path / "legacy.html"
    html.write_bytes(LEGACY)
    names = [str(txt), str(md), str(html), server.url("/gzip")]
    result = run(
        "summarize", *names, "-m", str(bart), "-f", "json", "--allow-private-urls", "--no-cache"
    )
    assert result.code == 0, result.err
    records = json.loads(result.out)["briefs"]
    assert [r["source"] for r in records] == names
    for record in records:
        check_coverage(record)
    # A plain-text source's offsets are offsets into the file itself.
    assert records[0]["text"] == wire.read_text("utf-8")
    assert len(records[0]["chunks"]) >= 2
    # A web page's text is the article briefer extracted, which the JSON carries.
    assert records[3]["text"].split("\n\n")[1:] == PARAS
    assert records[3]["author"] == "Jane Doe" and records[3]["date"] == "2026-03-17"


def test_coverage_check_fails_when_a_sentence_is_missing() -> None:
    # The check itself must be able to fail: drop one sentence's span from a chunk.
    record = {
        "text": "Title\n\nOne here. Two here.\n",
        "body": [[7, 26]],
        "chunks": [{"start": 7, "end": 16, "sentences": 1, "spans": [[7, 16]]}],
    }
    with pytest.raises(AssertionError):
        check_coverage(record)
    record["chunks"][0].update(end=26, sentences=2, spans=[[7, 16], [17, 26]])
    check_coverage(record)


# --- web extraction that refuses what is not an article (issue 9.3) ----------------------------


@pytest.mark.parametrize(
    ("html", "author", "date"),
    [
        pytest.param(TABLE_LAYOUT, "Tom Becker", None, id="table-layout"),
        pytest.param(TABLE_LAYOUT_PIPES, "Tom Becker", None, id="table-layout-pipe-menu"),
        pytest.param(TEASERS, "Priya Natarajan", "2026-11-26", id="teasers-credits-follow"),
        pytest.param(CMS_TITLE, None, None, id="cms-title-og"),
        pytest.param(CMS_TITLE_NO_OG, None, None, id="cms-title-h1"),
        pytest.param(CMS_TITLE_BARE, None, None, id="cms-default-title"),
        pytest.param(CMS_TITLE_JSONLD, None, None, id="site-name-in-json-ld"),
        pytest.param(
            CMS_TITLE_BARE.replace("Joomla!", "Riverside Gazette"), None, None, id="site-title"
        ),
    ],
)
def test_article_shapes_give_the_story_and_the_headline(
    html: str, author: str | None, date: str | None
) -> None:
    page = extract_html(html, url="https://eastside.example/news/lead-pipes")
    # Every story paragraph, in order, and nothing else: no menu, teaser, credit, follow-us,
    # newsletter or copyright line.
    assert page.text.split("\n\n") == WATER_STORY
    assert page.title == WATER_TITLE
    assert (page.author, page.date) == (author, date)


def test_trafilatura_alone_takes_the_cms_name_for_the_title() -> None:
    # Why briefer chooses the title itself: the page's <title> wins in trafilatura's own order.
    import trafilatura

    doc = trafilatura.bare_extraction(CMS_TITLE_BARE, with_metadata=True, favor_precision=True)
    assert doc.title == "Joomla!"


def test_table_layout_needs_tables() -> None:
    # Why include_tables is on: with precision and tables off the story is lost altogether.
    import trafilatura

    doc = trafilatura.bare_extraction(TABLE_LAYOUT, favor_precision=True, include_tables=False)
    assert doc is None or WATER_STORY[0] not in (doc.text or "")


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        pytest.param(
            HOMEPAGE,
            "not an article: an index or home page (10 linked headlines, ",
            id="homepage",
        ),
        pytest.param(
            STATUS_PAGE,
            'not an article: a status or error page ("503 Service Temporarily Unavailable")',
            id="status-page",
        ),
        pytest.param(
            SOFT_404,
            'not an article: a status or error page ("Page not found \u2013 Eastside Daily")',
            id="soft-404",
        ),
        pytest.param(
            THIN_PAGE,
            "not an article: too little text (11 words; an article has at least 40)",
            id="thin-page",
        ),
        pytest.param(LINK_LIST, "not an article: mostly links (", id="link-list"),
    ],
)
def test_pages_that_are_not_articles_are_refused_with_a_reason(html: str, reason: str) -> None:
    url = "https://eastside.example/2026/11/26/lead-pipes"
    with pytest.raises(InputError) as excinfo:
        extract_html(html, url=url)
    assert_error(excinfo, url, reason)


def test_a_page_at_the_site_root_is_a_home_page(server: Server) -> None:
    url = server.url("/")
    with pytest.raises(InputError) as excinfo:
        read_url(url, allow_private=True)
    assert str(excinfo.value) == f"{url}: not an article: a home page"


def test_a_status_page_alone_exits_1_and_in_a_batch_is_not_included(
    server: Server, tmp_path: Path
) -> None:
    url = server.url("/status-200")
    alone = run("summarize", url, "--engine", "extractive", "--allow-private-urls")
    assert alone.code == 1
    assert alone.err.strip().endswith(
        f'{url}: not an article: a status or error page ("503 Service Temporarily Unavailable")'
    )
    assert "Traceback" not in alone.err and len(alone.err.strip().splitlines()) == 1
    batch = run(
        "summarize",
        str(wire_story(tmp_path)),
        url,
        "--engine",
        "extractive",
        "--allow-private-urls",
        "-q",
    )
    assert batch.code == 3
    assert f'- {url}: not an article: a status or error page ("503' in batch.out


def test_author_and_date_reach_the_metadata_line_and_json(server: Server) -> None:
    url = server.url("/water")
    md = run("summarize", url, "--engine", "extractive", "--allow-private-urls", "-q")
    assert md.code == 0, md.err
    meta = next(line for line in md.out.splitlines() if "Source: " in line)
    assert "By Priya Natarajan" in meta and "Published 2026-11-26" in meta
    data = json.loads(
        run("summarize", url, "--engine", "extractive", "--allow-private-urls", "-f", "json").out
    )
    record = data["briefs"][0]
    assert (record["author"], record["date"]) == ("Priya Natarajan", "2026-11-26")
    assert record["title"] == WATER_TITLE
    check_coverage(record)


@pytest.mark.parametrize(
    "headline",
    ["Forbidden City reopens to visitors", "404 jobs lost as factory closes", "Error-prone tests"],
)
def test_short_stories_with_status_like_headlines_are_articles(headline: str) -> None:
    # Three paragraphs: short enough (under 150 words) for the status check to look at them.
    body = "".join(f"<p>{p}</p>" for p in WATER_STORY[:3])
    html = f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
    page = extract_html(html + body + "</article></body></html>")
    assert page.title == headline
    assert page.text.split("\n\n") == WATER_STORY[:3]


def test_through_a_proxy_the_page_host_is_checked_not_the_proxy(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newsroom behind a proxy on its own network: the proxy (here the test server on
    # 127.0.0.1) is the user's choice; the page's host is what must be public.
    real = socket.getaddrinfo

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> object:
        """news.example is public; intranet.corp.example private; the rest as usual."""
        fake = {"news.example": "93.184.215.14", "intranet.corp.example": "10.1.2.3"}
        return real(fake.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setenv("http_proxy", server.base)
    # The proxy is asked for the whole URL; the test server answers it as a route.
    final, body, _ = fetch("http://news.example/article", timeout=3)
    assert (final, body) == ("http://news.example/article", ARTICLE)
    assert "http://news.example/article" in server.state.headers
    url = "http://intranet.corp.example/wiki"
    with pytest.raises(InputError) as excinfo:
        fetch(url, timeout=3)
    assert_error(excinfo, url, "refused: intranet.corp.example is a private address (10.1.2.3)")
    assert url not in server.state.headers


def test_a_paywall_box_is_no_story_and_the_run_says_the_story_stops_there(caplog) -> None:
    # fixtures/paywall-metered.html imitates a metered-paywall page (FT/WSJ style) saved while
    # logged out: headline, standfirst, the lede, then "Subscribe to continue reading" with
    # plan prices; the rest of the story is not in the HTML.
    import logging

    from briefer.sources import read_source

    path = Path(__file__).resolve().parent / "fixtures" / "paywall-metered.html"
    with caplog.at_level(logging.WARNING, logger="briefer"):
        article = read_source(str(path))
    story = article.body_text()
    assert story.startswith("Shares in Tokai Semiconductor fell 14% on Monday")
    for wall in ("Subscribe", "unlimited access", "$39 per month", "$69", "Already a subscriber"):
        assert wall not in story
    # The words it names are the brief's (its JSON's `words`), not the title's too.
    said = f"paywall-metered.html: cut off by a paywall; briefed from the {article.words} word(s)"
    assert said in caplog.text


@pytest.mark.parametrize(
    ("found", "author"),
    [
        # An AMP page's "By Olena Kovalenko, Kyiv · April 9, 2025", as trafilatura splits it.
        ("Olena Kovalenko; Kyiv · April 9", "Olena Kovalenko"),
        ("Jane Doe · May 1, 2025", "Jane Doe"),
        ("Marisol Ortega; Ben Adeyemi", "Marisol Ortega; Ben Adeyemi"),
        ("Jane Doe; John Roe · April 9, 2025", "Jane Doe; John Roe"),
        ("April 9, 2025", None),
    ],
)
def test_a_bylines_place_and_date_are_not_authors(found: str, author: str | None) -> None:
    assert web._authors(found) == author


@pytest.mark.parametrize(
    ("line", "author"),
    [
        # Two writers, as plain text reads them: "and" joins names, whatever its case.
        ("By Tom Alvarez and Rita Moreno", "Tom Alvarez; Rita Moreno"),
        ("By TOM ALVAREZ AND RITA MORENO", "TOM ALVAREZ; RITA MORENO"),
        # A title-case deck in the byline's place names no one: it stays story.
        ("By Land And Sea", None),
        # A place or an outlet after the name (the first version of this change kept these
        # lines as the lede), and an agency alone (which names the author, as it did).
        ("By Tom Alvarez, Kyiv", "Tom Alvarez"),
        ("By Tom Alvarez, CNN", "Tom Alvarez"),
        ("By Reuters", "Reuters"),
    ],
)
def test_a_pages_byline_is_read_as_plain_texts_is(line: str, author: str | None) -> None:
    # The table-layout fixture (a small paper's 2002 CMS) with its byline line replaced.
    html = (Path(__file__).resolve().parent / "fixtures" / "table-cms-2002.html").read_text()
    assert "By Tom Alvarez<BR>" in html
    page = extract_html(html.replace("By Tom Alvarez<BR>", f"{line}<BR>"), label="page.html")
    assert page.author == author
    assert (line in page.text) == (author is None)


@pytest.mark.parametrize(
    "role",
    ["Courier Staff Writer", "Associated Press", "Agence France-Presse", "Staff Photographer"],
)
def test_the_line_under_a_pages_byline_is_not_story(role: str) -> None:
    # The table-layout fixture with its role line replaced: the roles and agencies that
    # plain-text bylines leave out are left out of a page too (one list, sources.ROLE/AGENCY).
    html = (Path(__file__).resolve().parent / "fixtures" / "table-cms-2002.html").read_text()
    page = extract_html(html.replace("Courier Staff Writer<BR>", f"{role}<BR>"), label="p.html")
    assert page.author == "Tom Alvarez"
    assert role not in page.text


def test_an_old_table_layout_page_gives_its_story_without_its_byline_lines() -> None:
    # fixtures/table-cms-2002.html imitates a small paper's 2002 CMS (its comment says so): the
    # story in nested <table>s and <font> tags, "By Tom Alvarez" over "Courier Staff Writer"
    # and a date line, and an "Other stories:" box of links.
    from briefer.sources import read_source

    article = read_source(str(Path(__file__).resolve().parent / "fixtures" / "table-cms-2002.html"))
    assert (article.title, article.author) == (
        "School board delays vote on four-day week",
        "Tom Alvarez",
    )
    story = article.body_text()
    assert story.startswith("MONTE VISTA -- The Valley School District board on Monday")
    for furniture in ("Staff Writer", "Other stories", "County fair draws", "Published:"):
        assert furniture not in story
    # The byline and its role line are listed with what was left out, in the page's order:
    # the date line under them (which the text reader drops) after them, then the box's label.
    assert article.dropped[-5:] == (
        "School board delays vote on four-day week",
        "By Tom Alvarez",
        "Courier Staff Writer",
        "Published: Tuesday, October 8, 2002",
        "Other stories:",
    )


def test_a_page_on_stdin_is_named_stdin() -> None:
    # A saved page piped in (curl ... | briefer summarize -): its messages say where it came from.
    page = b"<!DOCTYPE html><html><head><title>Home</title></head><body><nav></nav></body></html>"
    result = run("summarize", "-", "--engine", "extractive", stdin=page)
    assert result.code != 0
    assert result.err == "briefer: error: stdin: no article text found\n"


def test_a_page_its_scripts_fill_in_is_read_from_its_json_ld() -> None:
    # fixtures/jsonld-only.html imitates a React/Next.js news page saved with curl (its comment
    # says so): an empty root in the body, the story only in the JSON-LD NewsArticle.
    from briefer.sources import read_source

    article = read_source(str(Path(__file__).resolve().parent / "fixtures" / "jsonld-only.html"))
    assert (article.title, article.author, article.date) == (
        "Harbour bridge to close for repairs",
        "Marta Quinn",
        "2025-03-14",
    )
    story = article.body_text()
    assert story.startswith("The harbour bridge will close to traffic for six weeks")
    assert story.endswith("The council said it would review the plan after three weeks.")


@pytest.mark.parametrize(
    "script",
    [
        "not json at all {",
        "[" * 5000 + "]" * 5000,  # nesting past Python's recursion limit
        '{"@type": "WebPage", "articleBody": "' + "word " * 100 + '"}',  # not an article
        '{"@type": "NewsArticle", "articleBody": "Too short to brief."}',
    ],
)
def test_json_ld_that_holds_no_story_gives_the_one_line_error(script: str) -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Page</title>"
        f'<script type="application/ld+json">{script}</script></head>'
        '<body><div id="root"></div></body></html>'
    )
    with pytest.raises(InputError, match=r"^page\.html: (no article text found|not an article)"):
        extract_html(html, label="page.html")


def test_a_page_with_its_story_in_html_keeps_it_over_json_ld() -> None:
    # The table-layout fixture with a JSON-LD article that says something else: the HTML's
    # story is the one read when it is long enough.
    html = (Path(__file__).resolve().parent / "fixtures" / "table-cms-2002.html").read_text()
    ld = '{"@type": "NewsArticle", "articleBody": "' + "Other words here. " * 50 + '"}'
    tag = f'<script type="application/ld+json">{ld}</script></HEAD>'
    assert "</HEAD>" in html
    page = extract_html(html.replace("</HEAD>", tag, 1), label="p.html")
    assert "Other words here" not in page.text and "MONTE VISTA" in page.text


def test_a_live_blogs_entry_headlines_are_not_story() -> None:
    # A live blog as the Guardian's and the BBC's are laid out: entries newest first, each a
    # time, an <h2> headline and paragraphs. The headlines name entries; the story is the text.
    entries = [
        (
            "11.15 GMT",
            "Rail services suspended",
            "Transport for Wales suspended all services "
            "between Cardiff and Merthyr Tydfil after water covered the tracks near Pontypridd.",
        ),
        (
            "09.40 GMT",
            "Red warning issued",
            "The Met Office issued a rare red warning for rain "
            "in south Wales, meaning there is a danger to life from fast-flowing water.",
        ),
        (
            "07.02 GMT",
            "Welcome to our coverage",
            "Good morning and welcome to our live coverage "
            "of Storm Bert, which brought heavy rain and winds of up to 80mph overnight.",
        ),
    ]
    blocks = "".join(
        f'<div class="block"><p><time>{t}</time></p><h2>{h}</h2><p>{p}</p></div>'
        for t, h, p in entries
    )
    html = (
        "<!DOCTYPE html><html><head><title>Storm Bert live | The Courier</title></head><body>"
        f"<article><h1>Storm Bert live: flooding closes roads</h1>{blocks}</article></body></html>"
    )
    page = extract_html(html, label="live.html")
    assert page.title == "Storm Bert live: flooding closes roads"
    assert page.text.split("\n\n") == [p for _, _, p in entries]
    # They are accounted for all the same, in page order, as a Markdown file's subheadings are.
    assert page.dropped == tuple(h for _, h, _ in entries)


def _script_page(
    ld: str, body: str = '<div id="root"></div>', title: str = "Bridge to close"
) -> str:
    """Return a page its scripts would fill in, with this JSON-LD."""
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Herald</title>"
        f'<meta property="og:title" content="{title}">'
        f'<script type="application/ld+json">{ld}</script></head><body>{body}</body></html>'
    )


STORY_WORDS = "The harbour bridge will close for six weeks while engineers replace cables. " * 6


def test_json_ld_html_bodies_are_read_as_text() -> None:
    # Some CMSs put the story's HTML, entities and all, in articleBody.
    body = f"<p>{STORY_WORDS}</p><p>Shops &amp; caf&eacute;s fear the closure.</p>"
    ld = json.dumps({"@type": "NewsArticle", "headline": "Bridge to close", "articleBody": body})
    page = extract_html(_script_page(ld), label="p.html")
    assert page.text.split("\n\n") == [STORY_WORDS.strip(), "Shops & cafés fear the closure."]


def test_a_home_pages_list_of_articles_is_no_story() -> None:
    # A home page's JSON-LD lists its stories (an ItemList of NewsArticles): none is the page's.
    items = [
        {"@type": "NewsArticle", "headline": f"Story {n}", "articleBody": STORY_WORDS * n}
        for n in (1, 2)
    ]
    ld = json.dumps({"@type": "ItemList", "itemListElement": items})
    with pytest.raises(InputError, match=r"^p\.html: no article text found"):
        extract_html(_script_page(ld, title="Herald"), label="p.html")
    # The one whose headline is the page's title is the page's own.
    page = extract_html(_script_page(ld, title="Story 1"), label="p.html")
    assert page.text == STORY_WORDS.strip()


def test_json_ld_that_gives_its_article_twice_is_read() -> None:
    # An @graph copy and a standalone copy of one NewsArticle, as many CMSs emit them.
    article = {"@type": "NewsArticle", "headline": "Other", "articleBody": STORY_WORDS}
    ld = json.dumps([{"@graph": [article]}, article])
    assert extract_html(_script_page(ld), label="p.html").text == STORY_WORDS.strip()


def test_json_ld_behind_a_paywall_is_not_the_readers() -> None:
    # Publishers give search engines the whole paywalled story, marked not free.
    ld = json.dumps(
        {"@type": "NewsArticle", "isAccessibleForFree": "False", "articleBody": STORY_WORDS}
    )
    with pytest.raises(InputError, match=r"^p\.html: no article text found"):
        extract_html(_script_page(ld), label="p.html")


def test_an_ad_slots_label_between_paragraphs_is_not_story() -> None:
    # A news site's article body with its ad slots' labels left in as paragraphs (the slot's
    # script stripped when the page was saved): "Advertisement", "Story continues below
    # advertisement". They are labels, not sentences.
    story = [
        "The Valley County Board of Supervisors voted 4-1 on Tuesday night to approve a "
        "$48 million water treatment plant that will end years of boil-water notices.",
        "The plant, to be built on a 12-acre site north of Millbrook, will treat up to "
        "6 million gallons a day when it opens in 2027, county officials said.",
        "Supervisor Tom Hale, the lone vote against, said the county should have sought "
        "more federal money before committing local funds to the project.",
    ]
    body = (
        f"<p>{story[0]}</p><p>Advertisement</p><p>{story[1]}</p>"
        f"<p>Story continues below advertisement</p><p>{story[2]}</p>"
    )
    html = (
        "<!DOCTYPE html><html><head><title>County approves plant</title></head><body>"
        f"<article><h1>County approves plant</h1>{body}</article></body></html>"
    )
    page = extract_html(html, label="page.html")
    assert page.text.split("\n\n") == story


# A live blog as a US paper's CMS lays it out: JSON-LD LiveBlogPosting, og:title, entries
# newest first, each a <time>, an <h3> headline and a paragraph; the oldest has no headline.
LIVE_BLOG = """<!DOCTYPE html>
<html lang="en"><head><title>Live updates | Daily Planet</title>
<meta property="og:title" content="Election night live: results as they come in">
<script type="application/ld+json">{"@context": "https://schema.org",
"@type": "LiveBlogPosting", "headline": "Election night live: results as they come in"}</script>
</head><body><main><article>
<h1>Election night live: results as they come in</h1>
<div class="entry"><time>11:45 PM</time><h3>Governor's race called</h3>
<p>The Associated Press has called the governor's race for Maria Chen, who led by 8 points
with 90 percent of precincts reporting.</p></div>
<div class="entry"><time>10:30 PM</time><h3>Turnout hits record</h3>
<p>State officials said turnout had passed 71 percent, the highest in a midterm since 1970.</p>
</div>
<div class="entry"><time>8:00 PM</time>
<p>Welcome to our live coverage of election night, with results from across the state.</p>
</div></article></main></body></html>"""


def test_a_live_blogs_newest_entry_headline_is_not_story_either() -> None:
    # trafilatura keeps the first <h3> and not the <h1>: the newest entry's headline, over
    # the first paragraph, was kept as the headline of a page without one, though og:title
    # had given the title.
    page = extract_html(LIVE_BLOG, label="live.html")
    assert page.title == "Election night live: results as they come in"
    assert "Governor's race called" not in page.text
    assert page.text.startswith("The Associated Press has called the governor's race")
    assert page.dropped[0] == "Governor's race called"
    # A byline under it is left out too, and listed after it, in page order.
    signed = LIVE_BLOG.replace(
        "<h3>Governor's race called</h3>", "<h3>Governor's race called</h3><p>By Sam Lee</p>"
    )
    page = extract_html(signed, label="live.html")
    assert (page.author, page.dropped[:2]) == ("Sam Lee", ("Governor's race called", "By Sam Lee"))


def test_a_hostile_json_ld_type_list_is_read_in_linear_time() -> None:
    # '"@type":[' repeated with no "]": the live-blog test backtracked over the rest of the
    # script from each one (227 KB took 71 s). Four times the input must take about four
    # times as long, not sixteen: a ratio measured side by side, best of three each.
    import timeit

    from briefer.web import _LIVE_BLOG

    def cost(n: int) -> float:
        text = '"@type":[' * n
        return min(timeit.repeat(lambda: _LIVE_BLOG.search(text), number=3, repeat=3))

    small, large = cost(10_000), cost(40_000)
    assert large < 9 * small, (small, large)


def test_a_story_set_in_one_paragraph_with_line_breaks_gives_its_paragraphs() -> None:
    # fixtures/br-paragraphs-cms.html (its comment says what it imitates): read as one block,
    # the caption and the "Related stories:" links were story, and the summary quoted them.
    from briefer.sources import read_source

    article = read_source(
        str(Path(__file__).resolve().parent / "fixtures" / "br-paragraphs-cms.html")
    )
    paragraphs = [article.text[s:e] for s, e in article.body]
    assert [p.split()[0] for p in paragraphs] == [
        "MILLBROOK",
        "Mayor",
        "State",
        "Residents",
        "Insurance",
    ]
    # The paragraph broken mid-sentence is one paragraph again.
    assert paragraphs[2].endswith("which would free up money for repairs to roads and bridges.")
    story = article.body_text()
    for furniture in ("Volunteers fill", "Related stories", "Where to get", "List of", "Follow us"):
        assert furniture not in story
    # The caption and the teasers are listed with what was left out, in page order; the links
    # are page furniture, as a menu is.
    assert article.dropped == (
        "Flood waters recede in Millbrook as cleanup begins",
        "By Priya Natarajan, Staff Writer",
        "Published Nov. 26, 2024",
        "Volunteers fill sandbags on Main Street. (Photo: Courier staff)",
        "Related stories:",
        "Follow us on Twitter @DailyCourier",
        "© 2024 Daily Courier. All rights reserved. |",
    )
    assert article.author == "Priya Natarajan"


def test_a_line_break_inside_an_arabic_sentence_joins_it() -> None:
    # Arabic has no lower case to say a line goes on: a <br> mid-sentence split it in two.
    from lxml import etree

    from briefer.web import _lines

    paragraph = etree.fromstring(
        "<p>قال الوزير إن الحكومة ستقدم خطة جديدة للإصلاح<lb/>الاقتصادي خلال الأسبوع المقبل."
        "<lb/>وأضاف أن المحادثات مستمرة.<lb/>Related stories:<lb/><ref>Flood warning</ref></p>"
    )
    assert [text for text, _ in _lines(paragraph)] == [
        "قال الوزير إن الحكومة ستقدم خطة جديدة للإصلاح الاقتصادي خلال الأسبوع المقبل.",
        "وأضاف أن المحادثات مستمرة.",
        "Related stories:",
        "Flood warning",
    ]


def test_an_rtf_document_served_as_text_is_refused(server: Server) -> None:
    """Refused as a file or on stdin, the same RTF bytes from a URL were briefed, control
    words and all, with exit 0."""
    from briefer.sources import read_source

    url = server.url("/story.rtf")
    with pytest.raises(InputError) as excinfo:
        read_source(url, allow_private_urls=True)
    assert_error(excinfo, url, "an RTF document, not plain text")


def test_a_url_with_credentials_is_refused_with_them_hidden() -> None:
    """urllib read "user:pw@host" as a host it could not resolve, and the brief's "Not
    included" list printed the password."""
    from briefer.sources import expand

    url = "https://editor:s3cret@news.example/story"
    with pytest.raises(InputError) as excinfo:
        read_url(url)
    assert "s3cret" not in str(excinfo.value) and "editor" not in str(excinfo.value)
    assert str(excinfo.value).startswith("https://***@news.example/story: a URL with a user name")
    (source,) = expand([url])
    assert source.name == "https://***@news.example/story"
    assert source.error and "s3cret" not in source.error
    assert expand(["https://news.example/story"])[0].error is None


def test_a_masthead_h1_is_the_sites_name_and_the_articles_heading_the_title() -> None:
    """A theme with the site's name as its only <h1> (and <title>) and the headline as the
    article's <h2> had "Harbour Gazette" for the title, and the headline run into the first
    summary sentence."""
    html = (Path(__file__).resolve().parent / "fixtures" / "masthead-h1-theme.html").read_text()
    page = extract_html(html, label="story.html")
    assert page.title == "Storm closes port as ships wait offshore"
    assert page.text.split("\n\n")[0].startswith("The port of Rotterdam closed on Monday")
    # A headline in a <header> with no <article> on the page stays the headline.
    flat = html.replace("<article", "<div").replace("</article>", "</div>")
    flat = flat.replace('<h1 class="site-title">Harbour Gazette</h1>', "<h1>Storm closes port</h1>")
    assert extract_html(flat, label="story.html").title == "Storm closes port"
    # A teaser card in an <aside> is no article of the page: the headline in the <main>'s
    # <header> stays the title (a review saw the teaser's heading taken for it).
    teaser = '<aside><article><h3><a href="/x">Mayor opens new park</a></h3></article></aside>'
    page = flat.replace("</main>", "</main>" + teaser)
    assert extract_html(page, label="story.html").title == "Storm closes port"
    inside_main = flat.replace('<header class="site-header">', '<main><header class="site-header">')
    assert extract_html(inside_main + teaser, label="story.html").title == "Storm closes port"


def test_links_are_fetched_side_by_side_and_a_repeated_one_once(server: Server) -> None:
    """A morning brief's links were fetched one after another (each up to its 20 s timeout),
    and a link listed twice was fetched twice. The /together routes answer only when all
    three are asked at once: fetched in turn, the first would wait 10 s and get a 503."""
    urls = [server.url(f"/together-{n}") for n in (1, 2, 3)]
    result = run(
        "summarize", *urls, urls[0], "--engine", "extractive", "--allow-private-urls", "-f", "json"
    )
    assert result.code == 0, result.err
    assert {path: server.state.requests[path] for path in ("/together-1", "/together-2",
            "/together-3")} == {"/together-1": 1, "/together-2": 1, "/together-3": 1}  # fmt: skip
    briefs = json.loads(result.out)["briefs"]
    assert [b["source"] for b in briefs] == urls  # in the order given
    assert f"{urls[0]} repeats {urls[0]}: briefed once" in result.err


def test_downloads_run_at_most_ahead_of_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every link's page (up to 12.5 MB each) was downloaded at once and kept until the last
    was read; at most AHEAD wait now, and each read lets one more begin."""
    from briefer import batch

    started: list[str] = []
    monkeypatch.setattr(batch, "AHEAD", 2)
    monkeypatch.setattr(batch, "download", lambda url, **_: started.append(url) or url)
    urls = [f"https://news.example/{i}" for i in range(6)]
    downloads = batch._Downloads(urls, False, 1000)

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 10
        while len(started) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    wait_for(2)
    time.sleep(0.3)
    assert started == urls[:2]
    assert downloads.take(urls[0]) == urls[0]
    wait_for(3)
    assert started == urls[:3]
    downloads.stop()
    time.sleep(0.6)  # past a waiting fetcher's 0.5 s look at the stop
    assert started == urls[:3]  # the rest never begin


def test_downloads_never_wait_on_each_other(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers took a URL before a slot: later URLs could hold every slot while the one the
    reader waited for sat in a worker's hand, and the run hung (5 runs of 6, 40 links, in a
    review). Many fast downloads and a slower reader, in order, must all come through."""
    import random

    from briefer import batch

    pace = random.Random(7)
    # As a review timed it (downloads 50-400 ms, reading 100-600 ms), ten times faster.
    delays = {f"https://news.example/{i}": pace.uniform(0.005, 0.04) for i in range(80)}

    def download(url: str, **_: object) -> str:
        time.sleep(delays[url])
        return url

    monkeypatch.setattr(batch, "download", download)
    # Waiting fetchers look up often: each look puts a waiter at the back of the line, which
    # is how, in the review's runs, later URLs came to hold every slot.
    monkeypatch.setattr(batch, "STOP_CHECK", 0.001)
    urls = list(delays)
    got: list[str] = []

    def read() -> None:
        downloads = batch._Downloads(urls, False, 1000)
        for url in urls:
            got.append(downloads.take(url))
            time.sleep(pace.uniform(0.01, 0.06))
        downloads.stop()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive(), f"hung after {len(got)} of {len(urls)}"
    assert got == urls

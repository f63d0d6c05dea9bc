"""The web stage: fetch a news page over HTTP(S), or read a saved one, and keep only the article.

Pages are fetched with the standard library (no extra HTTP client), decoded the way a browser
would (BOM, then the Content-Type charset, then <meta charset>, then a guess), and handed to
trafilatura, which strips menus, ads, cookie banners, comments and footers, so that only the
story reaches the summarizer.
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import string
import threading
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from briefer.errors import InputError
from briefer.sources import (
    ROLE_LINE,
    decode,
    is_boilerplate,
    is_date,
    is_headline,
    is_paywall,
    is_url,
    looks_html,
    read_byline,
    read_bytes,
    refuse_credentials,
)

if TYPE_CHECKING:
    from email.message import Message

USER_AGENT = "briefer/0.1 (+https://github.com/briefer; news brief tool)"

# Browsers' order of preference; anything else is refused before its body is read.
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5"
_HTML_TYPES = frozenset({"application/xhtml+xml"})
_UNTYPED = "application/octet-stream"

_CHUNK = 64 * 1024

# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.\-]+)", re.I)
# Browsers look for <meta charset> in the first 1024 bytes; real pages put scripts before it.
_META_WINDOW = 4096

# WHATWG maps these labels to windows-1252, so a page declaring latin-1 may still use "€" or "’".
_AS_CP1252 = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})


@dataclass(frozen=True)
class Page:
    """One web page reduced to its article: metadata and the story's paragraphs."""

    url: str  # final URL after redirects, or the file path for saved pages
    title: str | None
    author: str | None
    date: str | None  # ISO date (YYYY-MM-DD) as trafilatura gives it
    text: str  # the article text, paragraphs separated by "\n\n", boilerplate removed
    paywalled: bool = False  # the story stops at a paywall's box: the rest is not on the page
    # "html" for an extracted page; "text" or "markdown" for a document served as text/plain
    # or text/markdown, whose text is the document as it came, for the file readers' rules.
    kind: str = "html"
    # What was taken out of the story's own run of paragraphs, in page order: a byline and
    # its role line, section subheadings, captions and teasers. (Menus and link lists are
    # page furniture, and go unsaid.)
    dropped: tuple[str, ...] = ()
    # The page's blocks in page order (headings, paragraphs, lines), so what the text reader
    # takes out later can be listed in page order with the above.
    outline: tuple[str, ...] = ()


class _Blocked(Exception):
    """Raised inside urllib when a host resolves to an address briefer will not fetch from."""

    def __init__(self, host: str, address: str, kind: str):
        super().__init__(host)
        self.host, self.address, self.kind = host, address, kind


# Ranges that are not in ipaddress's is_private but reach a machine's own network all the same:
# carrier-grade NAT (where some clouds keep their metadata service) and the IPv4 broadcast.
_ALSO_PRIVATE = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("255.255.255.255/32"))


def private_kind(address: str) -> str | None:
    """Say what kind of non-public address an IP is ("loopback", "private", ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private or ip.is_reserved or any(ip in net for net in _ALSO_PRIVATE):
        return "private"
    return None


class _Guard:
    """One URL's fetch: its overall deadline and its address rule, shared by every redirect.

    urllib's timeout bounds each socket wait, so a server that sends its status line or headers
    a byte at a time, each inside the timeout, would hold the run for ever. A timer shuts the
    connection's socket down when the deadline passes, whatever urllib is waiting for.
    """

    def __init__(self, timeout: float, allow_private: bool):
        self.timeout = timeout
        self.allow_private = allow_private
        self.deadline = time.monotonic() + timeout
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        """Return the seconds left before the deadline; raise TimeoutError once it has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired.is_set():
            raise TimeoutError("deadline passed")
        return left

    def close(self) -> None:
        """Stop the timer and let go of the sockets watched."""
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def _expire(self) -> None:
        """Shut down every connection of this fetch, so that whatever waits on it returns."""
        with self._lock:
            self.expired.set()
            for sock in self._watched:
                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(socket.SHUT_RDWR)

    def check_host(self, host: str, port: int) -> None:
        """Refuse a host that resolves to a non-public address, unless those are allowed."""
        if self.allow_private:
            return
        for *_, sockaddr in _resolve(host, port, self.remaining()):
            kind = private_kind(sockaddr[0])
            if kind:
                raise _Blocked(host, sockaddr[0], kind)

    def connect(
        self,
        address: tuple[str, int],
        timeout: float | None = None,
        source_address: tuple[str, int] | None = None,
        *,
        check: bool = True,
    ) -> socket.socket:
        """Connect as socket.create_connection does, to an address the rule allows, in time."""
        host, port = address
        infos = _resolve(host, port, self.remaining())
        blocked: _Blocked | None = None
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            refused = None if self.allow_private or not check else private_kind(sockaddr[0])
            if refused:
                # The address checked is the one connected to: no second lookup to rebind.
                blocked = _Blocked(host, sockaddr[0], refused)
                continue
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(min(timeout or self.timeout, self.remaining()))
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.settimeout(timeout)
            with self._lock:
                # A duplicate of the descriptor: TLS detaches the original socket object.
                self._watched.append(sock.dup())
                if self.expired.is_set():
                    sock.shutdown(socket.SHUT_RDWR)
            return sock
        if error is not None:
            raise error
        if blocked is not None:
            raise blocked
        raise OSError(f"no address for {host}")

    def connection(
        self, base: type[http.client.HTTPConnection], req: urllib.request.Request
    ) -> Any:
        """Return a factory for urllib's do_open: base, connecting through this guard."""
        # Through a proxy the socket goes to the proxy, which the user chose; the page's own
        # host is then checked by name before the request is sent.
        proxied = req.has_proxy() or bool(getattr(req, "_tunnel_host", None))
        if proxied:
            parts = urlsplit(req.full_url)
            default_port = 443 if parts.scheme == "https" else 80
            with contextlib.suppress(socket.gaierror):  # only the proxy can resolve it
                self.check_host(parts.hostname or "", parts.port or default_port)

        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            """Build the connection, with our connect in place of socket.create_connection."""
            conn = base(host, **kwargs)
            conn._create_connection = (  # type: ignore[attr-defined]
                lambda address, timeout=None, source=None: self.connect(
                    address, timeout, source, check=not proxied
                )
            )
            return conn

        return make


class _GuardedHTTP(urllib.request.HTTPHandler):
    """urllib's http:// handler, connecting through a _Guard."""

    def __init__(self, guard: _Guard):
        super().__init__()
        self.guard = guard

    def http_open(self, req: urllib.request.Request) -> Any:
        """Open req over a guarded connection."""
        return self.do_open(self.guard.connection(http.client.HTTPConnection, req), req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    """urllib's https:// handler, connecting through a _Guard."""

    def __init__(self, guard: _Guard):
        super().__init__()
        self.guard = guard

    def https_open(self, req: urllib.request.Request) -> Any:
        """Open req over a guarded TLS connection."""
        return self.do_open(
            self.guard.connection(http.client.HTTPSConnection, req), req, context=self._context
        )


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """Look host up within timeout seconds (getaddrinfo itself has no timeout)."""
    result: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        """Resolve in the background thread, keeping the answer or the error."""
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc
        finally:
            done.set()

    # A daemon thread: a resolver stuck for minutes must not keep briefer from exiting.
    threading.Thread(target=lookup, daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError("name lookup timed out")
    if "error" in result:
        raise result["error"]
    return result["infos"]


class _TooManyRedirects(Exception):
    """Raised inside urllib when a redirect chain is longer than allowed."""


class _BadRedirect(Exception):
    """Raised inside urllib when a redirect leads away from http(s)."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


class _RedirectLimit(urllib.request.HTTPRedirectHandler):
    """Follow at most a fixed number of redirects, and only to http(s) URLs."""

    def __init__(self, max_redirects: int):
        self.max_redirections = max_redirects
        # urllib's own loop check counts visits per URL; ours counts hops: keep urllib's out of it.
        self.max_repeats = max_redirects + 1

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        """Build the next request of the chain, or refuse it past the limit or off http(s)."""
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            # urllib would follow a redirect to ftp://, which is no page of ours.
            fp.close()
            raise _BadRedirect(newurl)
        hops = getattr(req, "briefer_hops", 0) + 1
        if hops > self.max_redirections:
            fp.close()
            raise _TooManyRedirects
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.briefer_hops = hops  # type: ignore[attr-defined]
            # urllib reads a redirect's whole body before following it; a huge one would be
            # downloaded with no limit, and nobody needs it.
            fp.close()
        return new


def fetch(url: str, **options: Any) -> tuple[str, bytes, str | None]:
    """Download an HTML page; return (final URL, body, charset from Content-Type or None).

    Options, with their defaults: timeout=20.0 bounds the whole fetch (name lookup,
    connecting, headers, redirects and body); max_bytes=5_000_000; max_redirects=5;
    allow_private=False (loopback, link-local and private addresses are refused, on the first
    request and on every redirect, unless it is true).
    """
    final, body, charset, _ = _fetch(url, **options)
    return final, body, charset


def _fetch(
    url: str,
    *,
    timeout: float = 20.0,
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
    allow_private: bool = False,
) -> tuple[str, bytes, str | None, str | None]:
    """fetch(), with the response's content type (None when it sent none) as a fourth value."""
    request_url = _request_url(url)
    request = urllib.request.Request(
        request_url,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": _ACCEPT,
            # HTML shrinks several times over with gzip; _read_body inflates it under the limit.
            "Accept-Encoding": "gzip",
        },
    )
    guard = _Guard(timeout, allow_private)
    opener = urllib.request.build_opener(
        _GuardedHTTP(guard), _GuardedHTTPS(guard), _RedirectLimit(max_redirects)
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            final = response.geturl()
            ctype = _check_type(url, response.headers)
            charset = response.headers.get_content_charset()
            body = _read_body(url, response, max_bytes, guard)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line naming the URL
        late = time.monotonic() > guard.deadline and not isinstance(exc, InputError)
        if guard.expired.is_set() or late:
            # Whatever broke off (a read, a half-parsed header), the cause was the deadline.
            raise InputError(f"{url}: timed out after {timeout:g} s") from None
        raise _fetch_error(url, exc, request_url, timeout, max_redirects) from None
    finally:
        guard.close()
    return final, body, charset, ctype


def _fetch_error(
    url: str, exc: Exception, request_url: str, timeout: float, max_redirects: int
) -> Exception:
    """Turn what urllib raised during a fetch into an InputError naming the URL."""
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, _Blocked):
        exc = exc.reason
    if isinstance(exc, InputError):
        return exc
    if isinstance(exc, _Blocked):
        return InputError(
            f"{url}: refused: {exc.host} is {'an' if exc.kind[0] in 'aeiou' else 'a'} "
            f"{exc.kind} address ({exc.address}); "
            "use --allow-private-urls to fetch from it"
        )
    if isinstance(exc, _TooManyRedirects):
        return InputError(f"{url}: too many redirects (more than {max_redirects})")
    if isinstance(exc, _BadRedirect):
        return InputError(f"{url}: redirected to a non-HTTP URL ({_one_line(exc.target)})")
    if isinstance(exc, urllib.error.HTTPError):
        exc.close()
        return InputError(f"{url}: {_status_message(exc, request_url)}")
    if isinstance(exc, urllib.error.URLError):
        return InputError(f"{url}: {_connection_message(exc.reason, timeout)}")
    if isinstance(exc, (OSError, http.client.HTTPException)):
        # Errors while waiting for the status line or the body are not wrapped in URLError.
        return InputError(f"{url}: {_connection_message(exc, timeout)}")
    raise exc


def extract_html(html: bytes | str, url: str | None = None, label: str | None = None) -> Page:
    """Extract the article of an HTML page with trafilatura; raise InputError if there is none
    (naming the page by label, else its URL)."""
    label = label or url or "HTML page"
    text = _decode_html(html, None, label) if isinstance(html, bytes) else html
    return _extract(text, page_url=url or "", label=label, base_url=url)


# Documents served as text, read as the files of that kind are: a wire service's or a CMS's
# story.txt, a static site's notes.md (python -m http.server serves .md as text/markdown).
_TEXT_KINDS = {"text/plain": "text", "text/markdown": "markdown", "text/x-markdown": "markdown"}


@dataclass(frozen=True)
class Download:
    """What a fetch brought back, before anything is read from it."""

    url: str  # as given: errors name it
    final: str  # after redirects
    body: bytes
    charset: str | None  # from the Content-Type header
    ctype: str | None  # the content type, or None when the server sent none


def download(url: str, **fetch_options: Any) -> Download:
    """Fetch url (the options of fetch()) and keep what came back for read_download: the
    network part of read_url, which threads may run side by side."""
    return Download(url, *_fetch(url, **fetch_options))


def read_url(url: str, **fetch_options: Any) -> Page:
    """Fetch the page at url and extract its article; errors name the URL as given.

    A text/plain or text/markdown document (not an HTML page sent under that type) comes back
    whole, as kind "text" or "markdown", for the readers of .txt and .md files; an
    application/octet-stream body is read only when it looks like an HTML page.
    """
    return read_download(download(url, **fetch_options))


def read_download(fetched: Download) -> Page:
    """Read the article of a download as read_url does."""
    url, final, body, charset, ctype = (
        fetched.url, fetched.final, fetched.body, fetched.charset, fetched.ctype
    )  # fmt: skip
    # As piped bytes are told (a saved page may open with a comment before <html>).
    html = looks_html(body.removeprefix(b"\xef\xbb\xbf"))
    if ctype == _UNTYPED and not html:
        raise InputError(f"{url}: not an article (content type {ctype})")
    kind = _TEXT_KINDS.get(ctype or "")
    if kind and not html:
        if charset:
            with contextlib.suppress(LookupError, UnicodeDecodeError):
                body = body.decode(charset).encode("utf-8")
        return Page(
            url=final, title=None, author=None, date=None, text=decode(body, url), kind=kind
        )
    text = _decode_html(body, charset, url)
    return _extract(text, page_url=final, label=url, base_url=final)


def read_html_file(path: str, max_bytes: int = 5_000_000) -> Page:
    """Read a saved .html/.htm page from disk and extract its article; errors name the path."""
    text = _decode_html(read_bytes(path, max_bytes), None, path)
    return _extract(text, page_url=path, label=path, base_url=None)


def _request_url(url: str) -> str:
    """Check that url is http(s) with a host, and make it ASCII as http.client needs."""
    if not is_url(url):
        raise InputError(f"{url}: not an http:// or https:// URL")
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError:
        raise InputError(f"{url}: not a valid URL") from None
    if not host:
        raise InputError(f"{url}: not a valid URL (no host)")
    refused = refuse_credentials(url)
    if refused is not None:
        raise InputError(str(refused.error))
    netloc = parts.netloc
    if not netloc.isascii():
        # Links copied from a browser's address bar hold Unicode hosts and paths (IRIs).
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InputError(f"{url}: not a valid host name") from None
        netloc = ascii_host if port is None else f"{ascii_host}:{port}"
    # Percent-encode non-ASCII and spaces only: what is already encoded stays as it is.
    path, query = (quote(p, safe=string.punctuation) for p in (parts.path, parts.query))
    return urlunsplit((parts.scheme.lower(), netloc, path or "/", query, ""))


def _check_type(url: str, headers: Message) -> str | None:
    """Refuse a response whose Content-Type is neither HTML nor text, before reading its body;
    return the type, None when the response names none."""
    if headers.get("Content-Type") is None:
        return None  # many servers send none for pages; decoding will tell binary data anyway
    ctype = headers.get_content_type()
    # application/octet-stream: what a server says of a file it cannot type (a page saved
    # without a suffix); read_url reads it only when it looks like an HTML page.
    if not (ctype.startswith("text/") or ctype in _HTML_TYPES or ctype == _UNTYPED):
        raise InputError(f"{url}: not an article (content type {ctype})")
    return ctype


def _read_body(
    url: str, response: http.client.HTTPResponse, max_bytes: int, guard: _Guard
) -> bytes:
    """Read the body, gunzipping it, and stop as soon as it passes max_bytes or the deadline."""
    too_large = InputError(
        f"{url}: larger than {_size(max_bytes)} (raise --max-input-bytes to read it)"
    )
    length = response.headers.get("Content-Length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise too_large
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib header
    elif encoding in ("identity", ""):
        inflate = None
    else:
        raise InputError(f"{url}: unsupported content encoding {_one_line(encoding)}")
    chunks: list[bytes] = []
    size = 0
    received = 0  # bytes as sent, before gunzipping: what Content-Length counts
    try:
        while True:
            guard.remaining()  # raises TimeoutError once the deadline has passed
            raw = response.read1(_CHUNK)  # read() would wait for a whole chunk, past the deadline
            if not raw:
                break
            received += len(raw)
            if inflate is not None:
                # Bounded output, so that a small gzip bomb cannot fill memory.
                raw = inflate.decompress(raw, max_bytes - size + 1)
            size += len(raw)
            if size > max_bytes:
                raise too_large
            chunks.append(raw)
        if inflate is not None:
            tail = inflate.flush()
            size += len(tail)
            if size > max_bytes:
                raise too_large
            chunks.append(tail)
        # The deadline's shutdown looks like the end of a body without Content-Length.
        guard.remaining()
        # A server that closes early ends a body with Content-Length as the end of the body
        # would: read1() gives b"" and no IncompleteRead, and half a page was briefed whole.
        if length.strip().isdigit() and received < int(length):
            raise http.client.IncompleteRead(b"", int(length) - received)
        if inflate is not None and received and not inflate.eof:
            raise http.client.IncompleteRead(b"")  # a gzip stream cut before its end
    except zlib.error:
        raise InputError(f"{url}: corrupt gzip body") from None
    except http.client.IncompleteRead:
        raise InputError(f"{url}: connection closed before the whole page arrived") from None
    return b"".join(chunks)


def _status_message(exc: urllib.error.HTTPError, request_url: str) -> str:
    """Say what an HTTP error status means, e.g. "HTTP 404 Not Found"."""
    try:
        phrase = HTTPStatus(exc.code).phrase
    except ValueError:
        phrase = ""
    reason = _one_line(str(exc.reason or "")) or phrase
    if 300 <= exc.code < 400 and "infinite loop" in reason:
        # urllib's own loop check, should ours ever be outrun.
        return "too many redirects"
    message = f"HTTP {exc.code} {reason}".rstrip()
    if exc.url and exc.url != request_url:
        message += f" (at {exc.url})"
    return message


def _connection_message(reason: object, timeout: float) -> str:
    """Say in a few words why a connection failed or broke off."""
    if isinstance(reason, TimeoutError):  # socket.timeout is an alias since Python 3.10
        return f"timed out after {timeout:g} s"
    if isinstance(reason, socket.gaierror):
        return "cannot resolve the host name"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({_one_line(reason.verify_message or str(reason))})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error ({_one_line(reason.reason or str(reason))})"
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot connect ({_one_line(reason.strerror)})"
    return f"cannot connect ({_one_line(str(reason)) or type(reason).__name__})"


def _decode_html(data: bytes, charset: str | None, label: str) -> str:
    """Decode a page as a browser does: BOM, then the header's charset, then <meta>, then guess."""
    if not data.strip():
        raise InputError(f"{label}: is empty")
    # A BOM beats any declaration; sources.decode knows them all.
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(data, label)
    meta = _META_CHARSET.search(data[:_META_WINDOW])
    declared = [charset, meta.group(1).decode("ascii") if meta else None]
    for name in declared:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            text = data.decode(codec)
        except (UnicodeError, LookupError):
            # Servers often say utf-8 for old cp1252 pages; the next clue may be right.
            continue
        return decode(text.encode("utf-8"), label)  # same empty/binary checks as files
    return decode(data, label)


def _codec(label: str | None) -> str | None:
    """Return the Python codec for a charset label as browsers read it, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    if name in _AS_CP1252:
        return "cp1252"
    if name.startswith(("utf-16", "utf-32")):
        # A page whose <meta> says utf-16 was parsed as ASCII to read it, so it isn't utf-16.
        return None
    return name


# What a page must have to be briefed as an article. A news brief or a short wire item has
# 80 words and more; a paywall stub, a photo page or an embed has one or two sentences.
MIN_WORDS = 40
# Above this share of its text in links, a page is a list of links (a section front, a tag
# page, a "recent posts" page), not a story.
MAX_LINK_SHARE = 0.5
# A page with this many headlines that link elsewhere, and little text for each, is an index.
INDEX_HEADLINES = 5
_WORDS_PER_HEADLINE = 50
# Status pages are short; a story about a 404 error has more to say.
_STATUS_MAX_WORDS = 150

# Titles and first lines of error, maintenance and bot-check pages, as web servers, CDNs and
# CMS themes word them.
_STATUS = re.compile(
    r"(?:error\s*)?[45]\d\d\b\s*[-:|\u2013]?\s*(?:error|not\s+found|forbidden|unauthori[sz]ed"
    r"|bad\s+request|bad\s+gateway|gateway|service|internal|too\s+many|gone|page|request)"
    r"|error\s*[45]\d\d\b|index\s+of\s+/"
    r"|.{0,60}\b(?:page|content)\s+(?:can.?t|cannot|could\s+not)\s+be\s+found"
    # These words start a headline too ("Forbidden City reopens"), so they must stand alone
    # or end at punctuation, as on a status page ("Access denied", "Oops! ...").
    r"|(?:oops|error|page\s+not\s+found|not\s+found|access\s+denied|forbidden"
    r"|service\s+(?:temporarily\s+)?unavailable|(?:site|server)\s+(?:is\s+)?(?:down|offline)"
    r"|(?:site\s+)?(?:is\s+)?(?:currently\s+)?(?:under|down\s+for)\s+(?:scheduled\s+)?"
    r"maintenance|temporarily\s+unavailable"
    r"|too\s+many\s+requests|it\s+works|welcome\s+to\s+nginx"
    r"|just\s+a\s+moment|attention\s+required|checking\s+your\s+browser"
    r"|please\s+enable\s+(?:javascript|cookies)|account\s+suspended"
    r"|(?:this\s+)?domain\s+(?:name\s+)?(?:is\s+)?for\s+sale)"
    r"(?=\s*(?:$|[:|!.,(\u2013\u2014\u2026])|\s+-)",
    re.IGNORECASE,
)
# What a CMS calls a page when nobody gave it a title.
_SITE_WORDS = re.compile(
    r"(?:home|home\s*page|index|untitled|welcome|news|blog|just\s+another\s+\w+\s+site"
    r"|wordpress|drupal|joomla!?|ghost|blogger|squarespace|wix|typo3|contao|umbraco"
    r"|site\s+title|my\s+(?:site|blog|wordpress\s+site))",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\u2013\u2014\u00b7\u2022:]|-|::|\u00bb)\s+")


def _extract(text: str, *, page_url: str, label: str, base_url: str | None) -> Page:
    """Run trafilatura on decoded HTML and build a Page, or raise InputError naming label.

    A page that is not an article (a status or error page, an index or home page, a page that
    is mostly links or has too little text) raises InputError with a one-line reason.
    """
    import trafilatura
    from trafilatura.settings import set_date_params

    try:
        doc = trafilatura.bare_extraction(
            text,
            url=base_url,
            with_metadata=True,
            # Measured on the page shapes in tests/test_web.py: precision keeps every story
            # paragraph of the article pages (table layout included) and leaves out a soft
            # 404's "Recent posts" list and a paywall's "Subscribe" box, which the default and
            # favor_recall keep; it drops nothing of a story there that they keep.
            favor_precision=True,
            include_comments=False,
            # Older CMSs lay whole articles out in tables: without them such a page is empty.
            include_tables=True,
            # Links stay in the tree as <ref> only to measure how much of the text they are.
            include_links=True,
            # Extensive search takes the "© 2026" in a footer for 1 January 2026; no date is
            # better than a made-up one.
            date_extraction_params=set_date_params(extensive=False),
        )
        facts = _PageFacts.read(text, base_url)
    except (ValueError, TypeError) as exc:
        # lxml refuses some malformed documents outright.
        raise InputError(f"{label}: cannot be parsed as HTML ({_one_line(str(exc))})") from None
    if doc is None:
        if facts.ld_article is not None:
            return _from_ld(facts, facts.ld_article, page_url, label)
        raise InputError(f"{label}: no article text found")
    if doc.sitename:
        # trafilatura's site name (og:site_name, JSON-LD publisher) is one more the title is not.
        facts = replace(facts, site_names=facts.site_names | {_squash(doc.sitename)})
    title = _choose_title(doc, facts)
    blocks = _blocks(doc.body) if doc.body is not None else []
    if not blocks:
        blocks = [_Block(p, 0) for p in (_clean(x) for x in (doc.text or "").split("\n")) if p]
    # Menus and related-story links (blocks of nothing but links), the separators left between
    # a menu's links ("Home | News | Sport" in a table cell leaves two "|" blocks), captions
    # and teasers go; the text reader's own rules would drop the last two anyway. So do the
    # section names within the story, as a Markdown file's subheadings do; one over the first
    # paragraph may be the headline of a page without an <h1>, and stays.
    kept = [
        k
        for k, b in enumerate(blocks)
        if not b.only_links and b.has_words and not is_boilerplate(b.text)
    ]
    first = next((k for k in kept if not blocks[k].subheading), None)
    sections = {k for k in kept if first is not None and k > first and blocks[k].section_name}
    if first is not None and title and not _title_is_the_sites(title, facts):
        # The title is known, so one over the first paragraph is no headline: on a live blog,
        # or at the level of the section names below it, it is the first of them (a live
        # blog's newest entry, trafilatura having kept no <h1> above it).
        levels = {blocks[k].level for k in sections}
        sections |= {
            k
            for k in kept[: kept.index(first)]
            if blocks[k].section_name
            and (facts.live_blog or blocks[k].level in levels)
            and _squash(blocks[k].text) != _squash(title)
        }
    order = [k for k in kept if k not in sections]  # the story's blocks, by index
    story = [blocks[k].text for k in order]
    walls = [k for k, b in enumerate(blocks) if is_paywall(b.text)]
    # Only where the story stops at the wall: a "Continue reading the main story" link
    # mid-story cut nothing. The reader says so, with the words of the story as it counts them.
    stopped = bool(walls) and all(k < walls[0] for k in kept)
    # trafilatura keeps the <h1> as the first line of the text; it is the title, not story.
    if story and title and _squash(story[0]) == _squash(title):
        story, order = story[1:], order[1:]
    elif story and _title_is_the_sites(title, facts) and is_headline(story[0]):
        # A table-layout page has no <h1> and no og:title, and its <title> names the site:
        # the headline is the story's first line, set in bold type.
        title, story, order = story[0], story[1:], order[1:]
    author = _authors(doc.author)
    byline, writers = read_byline(story[0]) if story else (False, None)
    # What is taken out of the story, listed in page order: with the section names, the
    # captions and teasers (menus and link lists are no part of any story, and go unsaid).
    left = sections | {
        k
        for k, b in enumerate(blocks)
        if not b.only_links and b.has_words and is_boilerplate(b.text)
    }
    if byline:
        # A byline left at the top of the story ("By Tom Becker, Staff Writer") names the author.
        author = author or writers
        story.pop(0)
        left.add(order.pop(0))
        if story and ROLE_LINE.fullmatch(story[0]):
            story.pop(0)  # its role on a line of its own: "Courier Staff Writer"
            left.add(order.pop(0))
    ld = facts.ld_article
    words = sum(len(text.split()) for text in story)
    if ld is not None and not stopped and words < MIN_WORDS and len(ld.body.split()) > words:
        # A page its scripts fill in: the HTML holds a stub, the JSON-LD the story.
        return _from_ld(facts, ld, page_url, label, title=title, author=author, date=doc.date)
    reason = _not_an_article(blocks, story, title, facts, page_url)
    if reason:
        wall = " (the story stops at a paywall)" if stopped else ""
        raise InputError(f"{label}: not an article: {reason}{wall}")
    if not story:
        raise InputError(f"{label}: no article text found")
    return Page(
        url=page_url,
        title=title,
        author=author,
        date=_clean(doc.date),
        text="\n\n".join(story),
        paywalled=stopped,
        dropped=tuple(blocks[k].text for k in sorted(left)),
        outline=tuple(b.text for b in blocks),
    )


@dataclass(frozen=True)
class _Block:
    """One block of trafilatura's output: its text, and how much of it is link text."""

    text: str
    link_chars: int
    subheading: bool = False  # an <h2>-<h6> inside the story
    level: str = ""  # a subheading's tag ("h3")

    @property
    def section_name(self) -> bool:
        """Tell whether the block is a subheading that names a section ("Why it matters", a
        live blog entry's "Rail services suspended"): no sentence. One that ends as a
        sentence does (a deck set as <h2>) is story."""
        return self.subheading and not _SENTENCE_END.search(self.text)

    @property
    def only_links(self) -> bool:
        """Tell whether the block is nothing but links: a menu entry, a related-story link."""
        return self.link_chars >= 0.9 * len(self.text)

    @property
    def has_words(self) -> bool:
        """Tell whether the block holds a letter or digit: not just "|", "·" or "* * *"."""
        return any(ch.isalnum() for ch in self.text)


# An element in a page's side parts: a teaser card in an <aside> is no story of the page.
_ASIDE = "ancestor::aside or ancestor::nav or ancestor::footer"


@dataclass(frozen=True)
class _PageFacts:
    """What briefer reads from the page itself, beside trafilatura's metadata."""

    head_title: str | None  # the <title>
    og_title: str | None
    h1s: tuple[str, ...]
    site_names: frozenset[str]  # squashed: og:site_name, home-link texts, the host's name
    linked_headlines: int  # <h1>-<h4> that link elsewhere, outside menus and footers
    # The longest articleBody of the page's JSON-LD articles, with their author and date: a
    # page its scripts fill in (React, Next.js) carries its story only there.
    ld_article: _LdArticle | None = None
    # A live blog (JSON-LD LiveBlogPosting): its subheadings are its entries' headlines.
    live_blog: bool = False
    # The first heading inside the page's <article>: the headline where the <h1> is the site's.
    article_headings: tuple[str, ...] = ()

    @classmethod
    def read(cls, html: str, url: str | None) -> _PageFacts:
        """Parse the page with lxml (as trafilatura does) and collect the facts."""
        from trafilatura.utils import load_html

        tree = load_html(html)
        if tree is None:
            return cls(None, None, (), frozenset(), 0)
        scripts = tree.xpath("//script[@type='application/ld+json']/text()")
        articles = [found for script in scripts for found in _ld_articles(script)]

        def texts(xpath: str) -> list[str]:
            """Return the cleaned, non-empty texts of what xpath finds."""
            found = []
            for node in tree.xpath(xpath):
                value = _clean(node if isinstance(node, str) else node.text_content())
                if value:
                    found.append(value)
            return found

        head = texts("//head/title")
        og = texts("//meta[@property='og:title' or @name='twitter:title']/@content")
        names = texts("//meta[@property='og:site_name' or @name='application-name']/@content")
        names += texts("//a[@href='/' or @rel='home']")
        # A masthead: an <h1> in a header outside the page's <article>, on a page that has
        # one. A theme that sets the site's name as its only <h1> and the headline as the
        # article's <h2> had the site's name taken for the title.
        if tree.xpath(f"//article[not({_ASIDE})]"):
            names += texts(f"//header[not(ancestor::main or {_ASIDE})]//h1[not(ancestor::article)]")
        host = urlsplit(url or "").hostname or ""
        labels = [x for x in host.split(".") if x not in ("www", "m", "amp", "news")][:1]
        skip = "ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside"
        linked = tree.xpath(
            f"count(//*[self::h1 or self::h2 or self::h3 or self::h4][.//a[@href]][not({skip})])"
        )
        return cls(
            head_title=head[0] if head else None,
            og_title=og[0] if og else None,
            h1s=tuple(texts("//h1")),
            article_headings=tuple(
                texts(f"(//article[not({_ASIDE})]//*[self::h1 or self::h2 or self::h3])[1]")
            ),
            site_names=frozenset(_squash(n) for n in [*names, *labels] if _squash(n)),
            linked_headlines=int(linked),
            ld_article=_the_pages_article(articles, [*og, *texts("//h1"), *head], url),
            live_blog=any(_LIVE_BLOG.search(script) for script in scripts),
        )

    def is_site_name(self, title: str) -> bool:
        """Tell whether a title is the site's or the CMS's name rather than a headline."""
        squashed = _squash(title)
        return squashed in self.site_names or bool(_SITE_WORDS.fullmatch(title.strip()))


@dataclass(frozen=True)
class _LdArticle:
    """A JSON-LD article's story and what it says of itself."""

    body: str
    headline: str | None
    author: str | None
    date: str | None  # YYYY-MM-DD
    url: str | None = None  # its url or mainEntityOfPage


# schema.org types whose articleBody is a story: Article and its kinds (NewsArticle,
# ReportageNewsArticle, AnalysisNewsArticle, OpinionNewsArticle, ...), BlogPosting, Report.
_LD_STORY = re.compile(r"(?:\w*Article|BlogPosting|LiveBlogPosting|Report)")
# Bounded: an unbounded [^\]]* made a page of '"@type":[' repeated (no "]") quadratic, 71 s
# for 227 KB; a type list longer than 200 characters is no page's.
_LIVE_BLOG = re.compile(r'"@type"\s*:\s*(?:\[[^\]]{0,200}?)?"LiveBlogPosting"')
# JSON-LD a page holds beyond this many characters is not read (a page is bounded already).
_LD_MAX_CHARS = 2_000_000


def _ld_articles(script: str) -> list[_LdArticle]:
    """Return the articles in one JSON-LD script that have an articleBody; none if it is not
    JSON or holds none."""
    import json

    if len(script) > _LD_MAX_CHARS:
        return []
    try:
        data = json.loads(script)
    except (ValueError, RecursionError):
        return []
    found: list[_LdArticle] = []
    stack, seen = [data], 0
    while stack and seen < 10_000:  # objects visited: a bound on hostile nesting
        item = stack.pop()
        seen += 1
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        types = item.get("@type")
        types = types if isinstance(types, list) else [types]
        body = item.get("articleBody")
        if (
            isinstance(body, str)
            and any(isinstance(t, str) and _LD_STORY.fullmatch(t) for t in types)
            # A paywalled story that publishers give search engines: not the reader's.
            and item.get("isAccessibleForFree") not in (False, "False", "false")
        ):
            headline = item.get("headline")
            date = item.get("datePublished")
            page = item.get("mainEntityOfPage")
            page = page.get("@id") if isinstance(page, dict) else page
            url = item.get("url") if isinstance(item.get("url"), str) else page
            found.append(
                _LdArticle(
                    body=_ld_text(body),
                    headline=_clean(headline) if isinstance(headline, str) else None,
                    author=_ld_people(item.get("author")),
                    date=date[:10] if isinstance(date, str) and _ISO_DAY.match(date) else None,
                    url=url if isinstance(url, str) else None,
                )
            )
    return found


def _the_pages_article(
    articles: list[_LdArticle], titles: list[str], url: str | None
) -> _LdArticle | None:
    """Return the JSON-LD article that is the page's own: the only one, else the one whose
    URL is the page's or whose headline is its title; None when that is not clear (a home
    page's list of stories)."""
    # Many CMSs give the same article twice (in an @graph and on its own): one story.
    articles = list({a.body: a for a in articles}.values())
    if len(articles) <= 1:
        return articles[0] if articles else None
    squashed = {_squash(t) for t in titles}
    own = [
        a
        for a in articles
        if (url and a.url and a.url.rstrip("/") == url.rstrip("/"))
        or (a.headline and _squash(a.headline) in squashed)
    ]
    return own[0] if len(own) == 1 else None


def _ld_text(body: str) -> str:
    """Return an articleBody as text: some CMSs put the story's HTML there ("<p>...</p>"),
    entities and all; its paragraphs become lines."""
    import html

    if re.search(r"<[A-Za-z/][^>]{0,200}>", body):
        body = re.sub(r"(?i)</p\s*>|<br\s*/?>|</h[1-6]\s*>|</li\s*>", "\n", body)
        body = re.sub(r"<[^<>]{0,2000}>", "", body)
    return html.unescape(body)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _ld_people(value: Any) -> str | None:
    """Return a JSON-LD author (a name, a Person, or a list of them) as names joined by "; "."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and _clean(name):
            names.append(_clean(name))
    return "; ".join(names) or None


def _ld_paragraphs(body: str) -> list[str]:
    """Return an articleBody's paragraphs: its lines, or the whole when it is one run."""
    return [p for p in (_clean(line) for line in body.splitlines()) if p]


def _from_ld(
    facts: _PageFacts,
    ld: _LdArticle,
    page_url: str,
    label: str,
    title: str | None = None,
    author: str | None = None,
    date: str | None = None,
) -> Page:
    """Build the Page of a story found only in the page's JSON-LD articleBody."""
    story = _ld_paragraphs(ld.body)
    words = sum(len(p.split()) for p in story)
    if words < MIN_WORDS:
        raise InputError(
            f"{label}: not an article: too little text ({words} words; an article has at "
            f"least {MIN_WORDS})"
        )
    headline = ld.headline or facts.og_title or (facts.h1s[0] if facts.h1s else None)
    title = title or (_without_site_suffix(headline, facts) if headline else None)
    logging.getLogger("briefer").info(
        "%s: the story is the page's JSON-LD articleBody (%d words)", label, words
    )
    return Page(
        url=page_url,
        title=title,
        author=author or ld.author,
        date=_clean(date) or ld.date,
        text="\n\n".join(story),
    )


def _choose_title(doc: Any, facts: _PageFacts) -> str | None:
    """Return the headline: trafilatura's title, og:title or an <h1>, never the site's name."""
    candidates = [_clean(doc.title), facts.og_title, *facts.h1s, *facts.article_headings]
    for candidate in candidates:
        if candidate and not facts.is_site_name(candidate):
            return _without_site_suffix(candidate, facts)
    return _clean(doc.title)


def _title_is_the_sites(title: str | None, facts: _PageFacts) -> bool:
    """Tell whether a title came from a <title> that names the site: no headline elsewhere."""
    if not title or facts.og_title or facts.h1s or not facts.head_title:
        return False
    return _squash(title) in _squash(facts.head_title)


def _without_site_suffix(title: str, facts: _PageFacts) -> str:
    """Drop a " | Site name" tail (or head) from a title, as <title> and og:title often carry."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        kept = [p for p in parts if not facts.is_site_name(p)]
        if kept and len(kept) < len(parts):
            return " - ".join(kept)
    return title


def _not_an_article(
    blocks: list[_Block], story: list[str], title: str | None, facts: _PageFacts, page_url: str
) -> str | None:
    """Say in a few words why a page is not an article, or return None when it is one."""
    words = sum(len(p.split()) for p in story)
    for line in (facts.head_title, *facts.h1s[:1], title, *story[:1]):
        if line and words < _STATUS_MAX_WORDS and _STATUS.match(line):
            return f'a status or error page ("{_short(line)}")'
    path = urlsplit(page_url).path if is_url(page_url) else None
    if path is not None and path.strip("/").lower() in ("", "index.html", "index.php", "home"):
        return "a home page"
    headlines = facts.linked_headlines
    if headlines >= INDEX_HEADLINES and words < _WORDS_PER_HEADLINE * headlines:
        return f"an index or home page ({headlines} linked headlines, {words} words of text)"
    total = sum(len(b.text) for b in blocks)
    links = sum(min(b.link_chars, len(b.text)) for b in blocks)
    if total and links > MAX_LINK_SHARE * total:
        return f"mostly links ({round(100 * links / total)}% of its text)"
    if story and words < MIN_WORDS:
        return f"too little text ({words} words; an article has at least {MIN_WORDS})"
    return None


def _short(value: str, limit: int = 60) -> str:
    """Shorten a value for a one-line message."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "\u2026"


# trafilatura's <head rend="..."> for a page's subheadings; the <h1> is the title's.
_SUBHEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_SENTENCE_END = re.compile(r"[.!?\u2026\u061f][\"'\u201d\u2019\u00bb)]*$")


def _blocks(body: Any) -> list[_Block]:
    """Return the blocks of trafilatura's output tree: headings, paragraphs, list items, cells.

    Tables are walked cell by cell, since a layout table holds the menu in one cell and the
    story in another; a cell's loose text and each of its paragraphs are blocks of their own.
    """
    # <lb/> is a line break inside a paragraph; its text would otherwise glue two words.
    for lb in body.iter("lb"):
        lb.tail = " " + (lb.tail or "")
    out: list[_Block] = []

    def add(element: Any, text: str | None = None) -> None:
        """Add one block: the element's whole text, or the loose text given."""
        value = _clean(text if text is not None else "".join(element.itertext()))
        if not value:
            return
        links = 0
        if text is None:
            links = sum(_text_length(r) for r in element.iter("ref"))
        sub = text is None and element.tag == "head" and element.get("rend") in _SUBHEADINGS
        out.append(_Block(value, links, sub, element.get("rend", "") if sub else ""))

    def walk(element: Any) -> None:
        """Add the blocks of one element of the tree, descending into lists and tables."""
        if not isinstance(element.tag, str):
            return  # comments and processing instructions
        if element.tag in ("list", "table", "row"):
            for child in element:
                walk(child)
        elif element.tag == "cell":
            add(element, element.text or "")
            for child in element:
                walk(child)
                add(child, child.tail or "")
        elif element.tag == "p" and element.find(".//lb") is not None:
            for text, links in _lines(element):
                out.append(_Block(text, links))
        else:
            add(element)

    for element in body:
        walk(element)
    return out


def _text_length(element: Any) -> int:
    """Return the characters of an element's text as a block counts them (spaces collapsed)."""
    return len(_clean("".join(element.itertext())) or "")


def _lines(paragraph: Any) -> list[tuple[str, int]]:
    """Return the lines of a paragraph set with line breaks, each with its link characters.

    Older CMSs set a whole story in one <p>, its paragraphs parted by "<br><br>" (which
    trafilatura often keeps as one <lb/>), with a photo's caption and a "Related stories:"
    list of links between them: read as one block, all of it was story. Each line is a block
    of its own, so those go as they do from <p>s. A line that ends no sentence, followed by
    one that runs on in lower case (or in a script without case), is one paragraph set with
    line breaks, and joins it.
    """
    lines: list[list[Any]] = [["", 0]]

    def text(value: str | None) -> None:
        lines[-1][0] += value or ""

    def visit(element: Any) -> None:
        """Add an element's text (and its tail) to the lines, starting one at each break."""
        if element.tag == "lb":
            lines.append(["", 0])
        elif isinstance(element.tag, str):
            text(element.text)
            for child in element:
                visit(child)
            if element.tag == "ref":
                lines[-1][1] += _text_length(element)
        text(element.tail)

    text(paragraph.text)
    for child in paragraph:
        visit(child)
    out: list[tuple[str, int]] = []
    for value, links in lines:
        line = _clean(value)
        if not line:
            continue
        # Lower case, or a script without case (Arabic, Persian, Chinese): the sentence goes
        # on. A capital may open a caption or a teaser, which must stand apart.
        if out and not _SENTENCE_END.search(out[-1][0]) and not line[0].isupper():
            out[-1] = (f"{out[-1][0]} {line}", out[-1][1] + links)
        else:
            out.append((line, links))
    return out


def _authors(value: str | None) -> str | None:
    """Return trafilatura's authors ("A; B") less what a byline adds after them: a date, and
    a place with its date ("By Olena Kovalenko, Kyiv · April 9, 2025" gave "Olena Kovalenko;
    Kyiv · April 9")."""
    names: list[str] = []
    for part in (_clean(p) for p in (value or "").split(";")):
        if not part or is_date(part):
            continue
        pieces = re.split(r"\s+[\u00b7|\u2022]\s+", part)
        if len(pieces) > 1 and all(is_date(piece) for piece in pieces[1:]):
            if names and len(pieces[0].split()) < 2:
                continue  # a place and a date after the names ("Kyiv · April 9")
            part = pieces[0]  # a name and a date ("John Roe · April 9, 2025")
        names.append(part)
    return "; ".join(names) or None


def _clean(value: str | None) -> str | None:
    """Collapse runs of whitespace (non-breaking spaces included) to one space; None if empty."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def _squash(value: str) -> str:
    """Reduce text to its case-folded letters and digits, for loose comparison."""
    return re.sub(r"[\W_]+", "", value.casefold())


def _one_line(value: str) -> str:
    """Collapse a message from elsewhere onto one line."""
    return " ".join(value.split())


def _size(n: int) -> str:
    """Format a byte count for messages: 5 MB, 100 kB, 512 bytes."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1000:
        return f"{n / 1000:g} kB"
    return f"{n} bytes"

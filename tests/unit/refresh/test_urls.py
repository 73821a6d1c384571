"""URL rules: every spelling of the source URL, and nothing that only looks like it."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.refresh.conftest import SOURCE, TARGET
from upkeep.errors import UsageError
from upkeep.refresh.sqldump import quote, unquote
from upkeep.refresh.urls import Site, UrlRewriter

SITE = UrlRewriter([(SOURCE, TARGET)])

CASES = [
    ("https://www.demo.lab", "https://staging.demo.lab"),
    ("https://www.demo.lab/shop?q=1#top", "https://staging.demo.lab/shop?q=1#top"),
    ("http://www.demo.lab/", "http://staging.demo.lab/"),  # the scheme stays
    ('<img src="//www.demo.lab/logo.png">', '<img src="//staging.demo.lab/logo.png">'),
    ("www.demo.lab", "staging.demo.lab"),
    ("see www.demo.lab.", "see staging.demo.lab."),  # a sentence ends there
    ("orders@www.demo.lab", "orders@staging.demo.lab"),
    ("https://www.demo.lab:8443/x", "https://staging.demo.lab:8443/x"),
    ('{"u":"https:\\/\\/www.demo.lab\\/x"}', '{"u":"https:\\/\\/staging.demo.lab\\/x"}'),
    ('{"u":"\\/\\/www.demo.lab"}', '{"u":"\\/\\/staging.demo.lab"}'),
    ("share?u=https%3A%2F%2Fwww.demo.lab%2Fa", "share?u=https%3A%2F%2Fstaging.demo.lab%2Fa"),
    ("Café ☃ https://www.demo.lab/é", "Café ☃ https://staging.demo.lab/é"),
    # Not the host: a longer name, a subdomain, another domain that starts the same.
    ("xwww.demo.lab", "xwww.demo.lab"),
    ("cdn.www.demo.lab", "cdn.www.demo.lab"),
    ("https://www.demo.lab.evil.com/", "https://www.demo.lab.evil.com/"),
    ("https://www.demo.labs/", "https://www.demo.labs/"),
    ("www.demo.lab-old", "www.demo.lab-old"),
    ("my_www.demo.lab", "my_www.demo.lab"),
    ("WWW.DEMO.LAB", "WWW.DEMO.LAB"),  # matched as written, in lowercase
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_spellings(before: str, after: str) -> None:
    assert SITE(before.encode()) == after.encode()


def test_counts_what_it_changed() -> None:
    assert SITE.sub(b"https://www.demo.lab and http://www.demo.lab, not xwww.demo.lab") == (
        b"https://staging.demo.lab and http://staging.demo.lab, not xwww.demo.lab",
        2,
    )


def test_a_scheme_change_applies_to_the_given_scheme_only() -> None:
    upgrade = UrlRewriter([("http://www.demo.lab", "https://staging.demo.lab")])
    assert upgrade(b"http://www.demo.lab/a https://www.demo.lab/b //www.demo.lab/c") == (
        b"https://staging.demo.lab/a https://staging.demo.lab/b //staging.demo.lab/c"
    )
    assert upgrade(b"http:\\/\\/www.demo.lab") == b"https:\\/\\/staging.demo.lab"


def test_a_path_in_the_map_moves_with_the_host() -> None:
    blog = UrlRewriter([("https://www.demo.lab/blog", "https://staging.demo.lab/news")])
    assert blog(b"https://www.demo.lab/blog/post-1") == b"https://staging.demo.lab/news/post-1"
    assert blog(b"https://www.demo.lab/blog") == b"https://staging.demo.lab/news"
    # Another path on the host: only the host changes; "blogger" is not "blog".
    assert blog(b"https://www.demo.lab/blogger") == b"https://staging.demo.lab/blogger"
    assert (
        blog(b"https:\\/\\/www.demo.lab\\/blog\\/x") == b"https:\\/\\/staging.demo.lab\\/news\\/x"
    )


def test_several_hosts_move_in_one_pass() -> None:
    both = UrlRewriter([(SOURCE, TARGET), ("https://cdn.demo.lab", "https://cdn-staging.demo.lab")])
    assert both(b"https://www.demo.lab/ https://cdn.demo.lab/a.png") == (
        b"https://staging.demo.lab/ https://cdn-staging.demo.lab/a.png"
    )
    assert both.needles == (b"www.demo.lab", b"cdn.demo.lab")


def test_a_target_that_contains_the_source_is_not_rewritten_again() -> None:
    nested = UrlRewriter([("https://demo.lab", "https://demo.lab.staging.example")])
    assert nested(b"https://demo.lab/x") == b"https://demo.lab.staging.example/x"


def test_nothing_to_do_when_source_and_target_are_the_same() -> None:
    same = UrlRewriter([(SOURCE, SOURCE)])
    assert same.needles == ()
    assert same.sub(b"https://www.demo.lab") == (b"https://www.demo.lab", 0)


@pytest.mark.parametrize(
    "url",
    ["www.demo.lab", "ftp://www.demo.lab", "https://www.demo.lab/?q=1", "https://WWW.demo.lab"],
)
def test_a_bad_site_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError):
        Site.parse(url)


def test_the_sql_layer_keeps_the_host_and_doubles_json_backslashes() -> None:
    """In the dump, JSON's \\/ is \\\\/; the host itself is never escaped (the cheap test)."""
    raw = b'{"home":"https:\\/\\/www.demo.lab\\/"}'
    literal = quote(raw)
    assert literal == b'\'{\\"home\\":\\"https:\\\\/\\\\/www.demo.lab\\\\/\\"}\''
    assert SITE.touches(literal)
    assert quote(SITE(unquote(literal) or b"")) == quote(
        b'{"home":"https:\\/\\/staging.demo.lab\\/"}'
    )


@given(st.text(alphabet=st.sampled_from("aw.:/\\%2Fé@-_ x"), max_size=40))
def test_text_without_the_host_is_never_touched(text: str) -> None:
    data = text.encode()
    if b"www.demo.lab" not in data:
        assert SITE.sub(data) == (data, 0)


@given(st.lists(st.sampled_from(["https://www.demo.lab", " ", "/a", "é", "\\/", "//www.demo.lab"])))
def test_no_whole_host_of_the_source_is_left(parts: list[str]) -> None:
    # Joined by a space: glued together ("...labhttps://") they would be one longer name.
    new = SITE(" ".join(parts).encode())
    assert b"www.demo.lab" not in new


# ---- the quick ways agree with the pattern of all spellings ------------------------------

FRAGMENTS = [
    "www.demo.lab",
    "a.a",
    "https://",
    "http://",
    "//",
    "\\/\\/",
    "https:\\/\\/",
    "%2F%2F",
    "%2f%2F",
    "x",
    ".",
    "-",
    "_",
    "/",
    " ",
    "\\",
    "'",
    '"',
    "\n",
    "\r",
    ".com",
    "www.demo.la",
    "é",
    ":8443",
    "demo.lab",
]
SCHEME_CHANGE = [(SOURCE, "http://staging.demo.lab")]  # the general pattern
MAPS = [
    [(SOURCE, TARGET)],
    [("https://a.a", "https://b.a")],  # a host that overlaps itself
    [("https://demo.lab", "https://staging.demo.lab")],  # the target holds the source
    [("https://www.demo.lab:8443", "https://staging.demo.lab")],
    SCHEME_CHANGE,
    [(SOURCE, TARGET), ("https://a.a", "https://b.a")],  # two hosts: the general pattern
]
text = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map(lambda parts: "".join(parts).encode())


def test_one_host_to_another_takes_the_quick_ways() -> None:
    assert SITE.sub_sql(b"(1,'x')") == (b"(1,'x')", 0)
    assert UrlRewriter(SCHEME_CHANGE).sub_sql(b"(1,'x')") is None


@given(st.sampled_from(MAPS), text)
@example(MAPS[0], b"\\/\\/www.demo.lab %2F%2Fwww.demo.lab %2f%2fwww.demo.lab x//www.demo.lab")
def test_the_quick_pattern_finds_what_the_pattern_of_all_spellings_finds(
    url_map: list[tuple[str, str]], data: bytes
) -> None:
    rewriter = UrlRewriter(url_map)
    assert rewriter.sub(data) == rewriter.sub_general(data)


@given(st.sampled_from(MAPS), st.lists(text, min_size=1, max_size=3))
@example(MAPS[0], [b"a\nwww.demo.lab\rwww.demo.lab"])  # written \n and \r in the dump
@example(MAPS[0], [b"\"www.demo.lab'", b"x'www.demo.lab"])
def test_rewriting_sql_literals_whole_is_rewriting_each_value(
    url_map: list[tuple[str, str]], values: list[bytes]
) -> None:
    rewriter = UrlRewriter(url_map)
    row = b"(7," + b",".join(quote(value) for value in values) + b",NULL)"
    whole = rewriter.sub_sql(row)
    if whole is not None:  # else the values contain escapes it leaves to ``sub``
        each = [rewriter.sub(value) for value in values]
        expected = b"(7," + b",".join(quote(new) for new, _ in each) + b",NULL)"
        assert whole == (expected, sum(count for _, count in each))

from pathlib import Path

from mdlinkcheck.extract import extract, slug

FIX = Path(__file__).parent / "fixtures"


def test_slug_matches_github():
    assert slug("Configuration") == "configuration"
    assert slug("What's new in 0.2?") == "whats-new-in-02"


def test_extract_links_and_anchors():
    links, anchors = extract(FIX / "doc.md")
    assert [l.target for l in links] == ["#configuration", "#configuraton", "other.md", "nope.md",
                                         "https://example.org/page"]
    assert anchors == {"guide", "configuration"}

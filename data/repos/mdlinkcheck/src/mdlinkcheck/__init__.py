"""Find broken links and anchors in Markdown files."""
__version__ = "0.2.0"

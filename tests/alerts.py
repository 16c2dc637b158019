"""What a rendered page says in its alerts (role="alert"): what a screen reader reads out at once."""

from __future__ import annotations

from html.parser import HTMLParser

# Elements without an end tag: they open nothing to close.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Alerts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._open = 0  # elements open in the alert being read, the alert included; 0 outside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        if self._open:
            self._open += 1
        elif ("role", "alert") in attrs:
            self._open = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in VOID:
            self._open -= 1

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts[-1] += data


def alerts(html: str) -> list[str]:
    """The text of each alert of the page, in page order, its white space collapsed."""
    parser = _Alerts()
    parser.feed(html)
    parser.close()
    return [" ".join(text.split()) for text in parser.texts]

"""The browser tests' own helpers, where they decide something."""

from __future__ import annotations

from tests.browser import SCREENSHOTS, screenshot


class PageThatRemembers:
    """Stands in for a Playwright page: remembers where it was asked to save a screenshot."""

    path: str | None = None

    def screenshot(self, *, path: str, **options) -> None:
        self.path = path


def test_make_screenshots_saves_only_the_pictures_the_readme_shows_into_the_checkout(monkeypatch):
    monkeypatch.setenv("PAIRWISE_SCREENSHOTS", "1")
    shown, other = PageThatRemembers(), PageThatRemembers()
    assert screenshot(shown, "break.png") == SCREENSHOTS / "break.png"
    screenshot(other, "scorecard.png")
    assert other.path is not None and not other.path.startswith(str(SCREENSHOTS))


def test_a_plain_test_run_saves_every_screenshot_outside_the_checkout(monkeypatch):
    monkeypatch.delenv("PAIRWISE_SCREENSHOTS", raising=False)
    assert screenshot(PageThatRemembers(), "break.png").parent != SCREENSHOTS

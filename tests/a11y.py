"""Accessibility checks for the browser tests: axe-core (the copy that the
``axe-playwright-python`` package bundles, so nothing is fetched while testing) run on a page,
open shadow roots included, for the WCAG 2.1 A and AA rules."""

from __future__ import annotations

from importlib import resources
from typing import Any

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_script() -> str:
    """axe.min.js as the package ships it."""
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_version() -> str:
    first = axe_script()[:200]
    return first.split("axe v", 1)[1].split()[0] if "axe v" in first else "?"


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe finds on the page as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(content=axe_script())
    result: list[dict[str, Any]] = await page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                     resultTypes: ['violations']});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        WCAG_TAGS,
    )
    return result


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['summary']}".replace("\n", " "))
    return "\n".join(lines)


async def horizontal_overflow(page: Any) -> tuple[int, int]:
    """(the document's scroll width, the viewport's width)."""
    sizes: list[int] = await page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return sizes[0], sizes[1]

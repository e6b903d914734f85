"""The README's settings table names every setting there is."""

from __future__ import annotations

from pathlib import Path

from connect_api.config import PolicySettings, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    names = [n for n in Settings.model_fields if n != "policy"] + list(PolicySettings.model_fields)
    missing = [
        f"CONNECT_API_{n.upper()}" for n in names if f"`CONNECT_API_{n.upper()}`" not in README
    ]
    assert missing == [], f"settings missing from the README table: {missing}"

"""The documentation: the README (the front page) and the pages under docs/ build into a site
with no broken link or anchor, name every setting and every error code there is, show JSON that
fits the document's schemas, and the getting-started walk-through runs as shown."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connect_api.kit.config import PolicySettings, Settings
from tests import walkthrough
from tests.test_processes import _free_port, _wait_ready

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOCS = {p.name: p.read_text() for p in sorted((ROOT / "docs").glob("*.md"))}
PAGES = {"README.md": README} | {f"docs/{name}": text for name, text in DOCS.items()}


def _section(page: str, heading: str) -> str:
    return DOCS[page].split(heading, 1)[1].split("\n## ", 1)[0]


def test_every_setting_is_in_the_settings_table() -> None:
    table = _section("operations.md", "## Settings")
    names = [n for n in Settings.model_fields if n != "policy"] + list(PolicySettings.model_fields)
    missing = [
        f"CONNECT_API_{n.upper()}"
        for n in names
        if not re.search(rf"^\| `CONNECT_API_{n.upper()}`( / `\w+`)? \|", table, flags=re.M)
    ]
    assert missing == [], f"settings missing from the table in docs/operations.md: {missing}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through's commands use curl")
def test_the_walk_through_runs_and_answers_as_shown(tmp_path: Path) -> None:
    """The walk-through's commands, run with bash in a project directory of their own against
    a fresh `serve` there (the embedded database, the generated secret): each exits 0 and
    answers what the page shows (status, headers, the keys at every level)."""
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    # As a newcomer runs it: no settings of this run's own (its DATABASE_URL neither), for
    # the service and for the commands alike.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CONNECT_API_", "DATABASE_URL"))
    }
    port = _free_port()
    env |= {"CONNECT_API_PORT": str(port), "CONNECT_API_LOG_LEVEL": "warning"}
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [str(tmp_path / ".venv" / "bin" / "connect-api"), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        api = f"http://127.0.0.1:{port}"
        _wait_ready(api, proc)
        steps = walkthrough.steps()
        assert len(steps) >= 10 and all(s.sample for s in steps[1:])
        found = [
            f"{step.command.strip().splitlines()[0]}: {problem}"
            for step, (status, output) in zip(
                steps, walkthrough.run(steps, api, cwd=tmp_path, env=env), strict=True
            )
            for problem in ([f"exit {status}"] if status else [])
            + walkthrough.problems(step, output)
        ]
        assert found == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()


def test_a_sample_that_drifted_is_found() -> None:
    step = walkthrough.Step("curl …", "http", 'HTTP/1.1 201 Created\nlocation: /x\n\n{"id":1}')
    live = 'HTTP/1.1 201 Created\r\nlocation: /x\r\n\r\n{"id":1,"handle":"ada"}'
    assert walkthrough.problems(step, live) != []
    assert walkthrough.problems(step, live.replace(',"handle":"ada"', "")) == []
    assert walkthrough.problems(step, live.replace("201 Created", "200 OK")) != []
    assert walkthrough.problems(step, live.replace("location", "x-other")) != []


def test_every_sample_in_the_walk_through_follows_its_command() -> None:
    with pytest.raises(ValueError, match="without its command"):
        walkthrough.steps(
            walkthrough.SECTION + "\n```sh\nx\n```\n```json\n{}\n```\n```json\n{}\n```"
        )
    assert walkthrough.steps()  # the page's own


async def test_the_quick_starts_cors_setting_lets_a_browser_dev_server_in() -> None:
    """Without it the preflight is 405, as the quick start says; with it, it passes."""
    import httpx

    from connect_api.app import create_app

    quick_start = _section("getting-started.md", "## The two commands")
    value = re.search(r"CONNECT_API_CORS_ORIGINS='(\[.*?\])'", quick_start)
    assert value is not None
    origins = json.loads(value.group(1))
    preflight = {
        "Origin": origins[0],
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    for allowed, status in (([], 405), (origins, 200)):
        app = create_app(
            Settings(database_url="postgresql://h/d", jwt_secret="c" * 64, cors_origins=allowed)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.options("/v1/invitations", headers=preflight)
        assert r.status_code == status
        assert r.headers.get("access-control-allow-origin") == (origins[0] if allowed else None)


def test_the_error_codes_table_is_the_closed_list() -> None:
    """The API guide's table and the document's `ProblemCode` enum: the same codes, the same
    statuses."""
    from connect_api.kit.problem_codes import MEANINGS

    section = _section("api.md", "## Error codes")
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", section, flags=re.M)
    table = {code: int(status) for status, code in rows}
    assert len(rows) == len(table)
    assert table == {code.value: status for code, (status, _) in MEANINGS.items()}


def test_every_json_sample_outside_the_walk_through_fits_its_schema() -> None:
    """Each is marked with the schema it shows (`<!-- schema: Name -->`), and checked against
    that schema of the document, so a field added, renamed or typed anew shows up here."""
    import jsonschema_rs

    from connect_api.app import create_app
    from connect_api.kit.config import Settings

    doc = create_app(Settings(database_url="postgresql://h/d", jwt_secret="c" * 64)).openapi()
    head, rest = DOCS["getting-started.md"].split(walkthrough.SECTION, 1)
    # The walk-through's samples are run instead.
    pages = [*PAGES.values(), head + rest.split("\n## ", 1)[1]]
    pages.remove(DOCS["getting-started.md"])
    text = "\n".join(pages)
    samples = re.findall(r"(?:<!-- (.+?) -->\n)?```json\n(.*?)```", text, flags=re.S)
    assert len(samples) >= 5
    for marker, body in samples:
        assert marker, f"a JSON sample without the schema it shows:\n{body}"
        value = json.loads(body)
        if marker.startswith("a log line"):
            assert {"level", "logger", "message", "request_id", "time"} <= set(value), value
            continue
        name = marker.removeprefix("schema: ")
        schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
        errors = [e.message for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(value)]
        assert not errors, f"{name}: {errors}"


def test_the_site_builds_with_no_broken_link_or_anchor(tmp_path: Path) -> None:
    """`mkdocs build --strict` (mkdocs.yml turns every link and anchor check into a warning,
    and strict makes a warning fail): the README is the site's home page, so its links into
    docs/ are checked too."""
    site = tmp_path / "site"
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    built = {p.parent.name for p in site.glob("*/index.html")}
    assert built >= {name.removesuffix(".md") for name in DOCS if name != "index.md"}, built
    assert "Your first hour" in (site / "index.html").read_text()


def test_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    """The check above can fail: the same site with one anchor misspelt does not build."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy)
    (copy / "README.md").write_text(README.replace("#seed-a-network", "#seed-a-netwrok", 1))
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", "site"],
        cwd=copy,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "seed-a-netwrok" in out.stderr


_ONE_MACHINE = re.compile(r"/work/|/root/|/home/\w|\.\./shared|python3\.\d+/|connect-api\.md")
_REPO_PATH = re.compile(
    r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|md|json|yaml|yml|toml|js|ts|html|ini|lock|txt))`"
)


def test_no_path_of_one_machine_and_no_file_that_is_not_here() -> None:
    """Every path the docs name is in the repository (a file named by its path from the
    repository's root, or from a package folder, as `kit/listener.py` is from
    src/connect_api/), and none is a path of one machine."""
    found = [
        f"{name}: {m.group(0)}" for name, text in PAGES.items() for m in _ONE_MACHINE.finditer(text)
    ]
    assert found == []
    files = {
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and not {".venv", "node_modules", ".git", "site"} & set(p.parts)
    }
    missing = sorted(
        f"{name}: {path}"
        for name, text in PAGES.items()
        for path in _REPO_PATH.findall(text)
        if not path.startswith(("http", "/", ".connect-api", ".scale-data", ".bench-scale"))
        and path not in files
        and not any(f.endswith("/" + path) for f in files)
    )
    assert missing == []

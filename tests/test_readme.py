"""The README's settings table names every setting there is, and its walk-through runs."""

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

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    names = [n for n in Settings.model_fields if n != "policy"] + list(PolicySettings.model_fields)
    missing = [
        f"CONNECT_API_{n.upper()}" for n in names if f"`CONNECT_API_{n.upper()}`" not in README
    ]
    assert missing == [], f"settings missing from the README table: {missing}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walk-through's commands use curl")
def test_the_walk_through_runs_and_answers_as_shown(tmp_path: Path) -> None:
    """The walk-through's commands, run with bash in a project directory of their own against
    a fresh `serve` there (the embedded database, the generated secret): each exits 0 and
    answers what the README shows (status, headers, the keys at every level)."""
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
    assert walkthrough.steps()  # the README's own


async def test_the_quick_starts_cors_setting_lets_a_browser_dev_server_in() -> None:
    """Without it the preflight is 405, as the quick start says; with it, it passes."""
    import httpx

    from connect_api.app import create_app

    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
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
    """The README's table and the document's `ProblemCode` enum: the same codes, the same
    statuses."""
    from connect_api.kit.problem_codes import MEANINGS

    section = README.split("## Error codes", 1)[1].split("\n## ", 1)[0]
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
    head, rest = README.split(walkthrough.SECTION, 1)
    text = head + rest.split("\n## ", 1)[1]  # the walk-through's samples are run instead
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

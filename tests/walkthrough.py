"""The walk-through of docs/getting-started.md as a script, so that it cannot drift from the
service.

Its ```sh blocks run in order in one bash process (variables carry over, as in a terminal),
each must exit 0, and each output is compared with the sample shown after it: for an ```http
sample the status, the headers shown (by name, and `content-type` by value) and the body; for a
```json sample the body. Bodies are compared by shape: the same keys at every level (values,
such as timestamps, may differ).

By hand, with `make run` running, from the project directory:

    .venv/bin/python -m tests.walkthrough            # or: ... -m tests.walkthrough http://host:port

(on a fresh database: it creates the members the page shows). tests/test_docs.py runs it
against a `serve` of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parents[1] / "docs" / "getting-started.md"
SECTION = "## Walk-through: invite → accept"
DEFAULT_API = "http://127.0.0.1:8000"
_MARK = "@@walkthrough-step-status@@"


@dataclass
class Step:
    command: str
    kind: str | None = None  # "json" or "http": the sample shown after the command
    sample: str | None = None


def steps(page: str | None = None) -> list[Step]:
    text = page if page is not None else PAGE.read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    out: list[Step] = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", section, re.S | re.M):
        if lang == "sh":
            out.append(Step(body))
        elif lang in ("json", "http"):
            if not out or out[-1].sample is not None:
                raise ValueError(f"a ```{lang} sample without its command:\n{body}")
            out[-1].kind, out[-1].sample = lang, body
    return out


def run(
    all_steps: list[Step],
    api: str = DEFAULT_API,
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> list[tuple[int, str]]:
    """Each step's exit status and output, run in one bash process (in ``cwd``, with ``env``:
    by default this process's)."""
    script = ["set -u"]
    for step in all_steps:
        command = step.command.replace(f"API={DEFAULT_API}", f"API={api}")
        script += [command, f"printf '\\n{_MARK}%s\\n' \"$?\""]
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    parts = re.split(rf"\n{_MARK}(\d+)\n", done.stdout)
    results = [(int(parts[i + 1]), parts[i]) for i in range(0, len(parts) - 1, 2)]
    if len(results) != len(all_steps):
        raise AssertionError(f"the walk-through stopped early: {done.stderr}")
    return results


def shape(value: Any) -> Any:
    """The keys at every level; a list by its first item; any scalar (or null) alike."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def _http(text: str) -> tuple[int, dict[str, str], str]:
    head, _, body = text.replace("\r\n", "\n").strip("\n").partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body.strip()


def problems(step: Step, output: str) -> list[str]:
    """How ``output`` differs from the sample shown for ``step`` (empty: it matches)."""
    if step.sample is None:
        return []
    if step.kind == "json":
        sample_body, live_body = step.sample, output
        found: list[str] = []
    else:
        status, headers, sample_body = _http(step.sample)
        live_status, live_headers, live_body = _http(output)
        found = [] if status == live_status else [f"status {live_status}, shown {status}"]
        for name, value in headers.items():
            if name not in live_headers:
                found.append(f"no {name} header")
            elif name == "content-type" and live_headers[name] != value:
                found.append(f"content-type {live_headers[name]}, shown {value}")
    try:
        shown = json.loads(sample_body)
    except ValueError as exc:
        return [*found, f"the sample is not JSON ({exc}): {sample_body}"]
    try:
        live = json.loads(live_body)
    except ValueError:
        return [*found, f"the answer is not JSON: {live_body!r}"]
    if shape(shown) != shape(live):
        found.append(f"shape differs:\n  shown {shape(shown)}\n  live  {shape(live)}")
    return found


def main(argv: list[str]) -> int:
    api = next((a for a in argv if not a.startswith("--")), DEFAULT_API)
    all_steps = steps()
    bad = 0
    for step, (status, output) in zip(all_steps, run(all_steps, api), strict=True):
        first = step.command.strip().splitlines()[0]
        found = ([f"exit status {status}"] if status else []) + problems(step, output)
        bad += bool(found)
        print(("FAIL " if found else "ok   ") + first)
        for line in found:
            print("     " + line)
        if "--print" in argv:
            print(output)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Property-based fuzzing from the OpenAPI document (schemathesis) against a live server.

Every phase schemathesis has runs, with every check it has: the document's own examples, the
coverage of each parameter's boundaries, random valid and invalid requests, and the stateful
phase, which follows the document's `links` (a created member, invitation or group is then
read, answered, joined, blocked; a page's `next_cursor` is followed). Each answer must be
documented (status, content type, headers, body), no 5xx, a request the schema allows is not
refused as invalid, a request it forbids is refused, a 405 names the allowed methods.

What schemathesis reports is then held against `DOCUMENTED`: the few refusals a JSON Schema
cannot foresee, each with its reason. Anything else fails the test. More examples per
operation (and stateful scenarios): `CONNECT_API_FUZZ_EXAMPLES` (default 25).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from connect_api.kit.auth import TokenService
from connect_api.kit.clock import SystemClock
from connect_api.kit.config import Settings
from tests.conftest import JWT_SECRET
from tests.helpers import serve_env
from tests.test_processes import _free_port, _wait_ready

DOC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
EXAMPLES = int(os.environ.get("CONNECT_API_FUZZ_EXAMPLES", "25"))
# The members the two callers are: never erased by the run, or every later request is a 401.
CALLERS = {"admin": 1, "member": 2}


# A live stream answers `200` and then never ends by itself, which no fuzzer's request waits
# out; tests/test_live.py covers them (their refusals included).
STREAMS = ("GET /v1/me/stream", "GET /v1/events/stream")


@dataclass(frozen=True)
class Known:
    """A failure schemathesis reports that is the documented behaviour, and why."""

    check: str  # schemathesis's failure code, e.g. ST202 (schema-valid request rejected)
    status: int
    code: str | None  # the problem's `code` (None: the answer is not a problem document)
    reason: str
    operations: tuple[str, ...] = ()  # only these operations; empty: any

    def covers(self, check: str, operation: str, status: int | None, code: str | None) -> bool:
        same = (self.check, self.status, self.code) == (check, status, code)
        return same and (not self.operations or operation in self.operations)


DOCUMENTED = (
    Known(
        "ST202",
        422,
        "invalid_cursor",
        "A cursor is opaque: the document declares its alphabet and length, but only the "
        "service can mint one that names a position in a list (the stateful phase follows "
        "real `next_cursor`s through the links).",
    ),
    Known(
        "ST202",
        422,
        "idempotency_key_reused",
        "An Idempotency-Key names one request: the same key with another body is refused, as "
        "the IETF draft requires. The generator reuses key values across bodies.",
    ),
    Known(
        "ST202",
        400,
        "cannot_invite_self",
        "Any member id is a valid id; inviting yourself is a refused action, not bad input.",
    ),
    Known("ST202", 400, "cannot_block_self", "As for invitations: yourself is a valid id."),
    Known(
        "ST202",
        422,
        "validation_error:int_type",
        "JSON Schema counts `2.0` as an `integer`; the service takes an id or a number of days "
        'only written as an integer (`2.0`, `2e0` and `"2"` are refused, never read as 2), '
        "as the fields' descriptions say. The generator writes some integers as floats.",
        operations=(
            "POST /v1/invitations",
            "POST /v1/invitations/received/decline",
            "POST /v1/invitations/sent/withdraw",
        ),
    ),
    Known("ST202", 400, "cannot_follow_self", "As for invitations: yourself is a valid id."),
    Known(
        "ST201",
        414,
        "uri_too_long",
        "A request target longer than `CONNECT_API_MAX_URL_BYTES` (8 KiB) is refused at the door "
        "(documented on every operation), before the parameters are read; the negative phase "
        "can make `ids` (up to 100 ids, each mutated into a list) longer than that, and the "
        "check expects the 400/422 of bad parameters.",
        operations=("GET /v1/relationships",),
    ),
    Known(
        "ST202",
        400,
        "mutual_connections_self",
        "As for invitations: yourself is a valid id; mutual connections need another member.",
        operations=("GET /v1/members/{member_id}/mutual-connections",),
    ),
    Known(
        "ST202",
        422,
        "tag_too_long",
        "A tag is at most 40 characters as given (declared) and also once case-folded and "
        "composed, as it is stored (said in words): `ß` folds to `ss`, so 21 of them are 42.",
        operations=("PUT /v1/tags/{member_id}", "GET /v1/members/{member_id}/connections"),
    ),
    Known(
        "ST302",
        404,
        "not_found",
        "A `POST /v1/members` retried with its Idempotency-Key replays the first `201`, also "
        "when that member has been erased since: the links from it then find no member.",
        operations=(
            "GET /v1/members/{member_id}",
            "DELETE /v1/members/{member_id}",
            "GET /v1/members/{member_id}/connections",
            "GET /v1/members/{member_id}/followers",
            "GET /v1/members/{member_id}/following",
            "PUT /v1/follows/{member_id}",
            "PUT /v1/blocks/{member_id}",
        ),
    ),
)


@pytest.fixture(scope="module")
def live(empty_database_module: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A migrated database, a server on it, and tokens: an admin and members 1 and 2."""
    env = serve_env(empty_database_module)
    subprocess.run([sys.executable, "-m", "connect_api", "migrate"], env=env, check=True)
    port = _free_port()
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "connect_api", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        tokens = TokenService(
            Settings(database_url=empty_database_module, jwt_secret=JWT_SECRET), JWT_SECRET
        )
        now = SystemClock().now()
        mint = lambda m, admin=False: tokens.mint(m, admin=admin, ttl=timedelta(hours=2), now=now)  # noqa: E731
        admin = {"Authorization": f"Bearer {mint(CALLERS['admin'], admin=True)}"}
        for n in range(1, 6):
            r = httpx.post(
                url + "/v1/members",
                json={"handle": f"fuzz{n}", "display_name": f"Fuzz {n}"},
                headers=admin,
            )
            assert r.status_code == 201, r.text
        for inviter, invitee in ((1, 2), (3, 2), (1, 3), (4, 1)):
            r = httpx.post(
                url + "/v1/invitations",
                json={"invitee_id": invitee},
                headers={"Authorization": f"Bearer {mint(inviter)}"},
            )
            assert r.status_code == 201, r.text
        member = {"Authorization": f"Bearer {mint(CALLERS['member'])}"}
        yield {"url": url, "admin": admin, "member": member}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def _schema(url: str, headers: dict[str, str]) -> Any:
    config = SchemathesisConfig()
    config.update(seed=20261201, max_failures=None)
    project = config.projects.override
    project.update(base_url=url, headers=headers, workers=1)
    project.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
    project.checks.update(included_check_names=["all"])
    project.generation.update(max_examples=EXAMPLES)
    schema = schemathesis.openapi.from_path(DOC, config=config).exclude(
        path=[label.split(" ", 1)[1] for label in STREAMS]
    )

    @schema.hook
    def filter_case(context: Any, case: schemathesis.Case) -> bool:
        erases = case.operation.label == "DELETE /v1/members/{member_id}"
        target = (case.path_parameters or {}).get("member_id")
        return not (erases and target in set(CALLERS.values()))

    return schema


def _problem_code(content: bytes | None) -> str | None:
    """The problem's `code`; a `validation_error` whose every error is a number not written as
    an integer reads `validation_error:int_type` (see its entry in DOCUMENTED)."""
    try:
        body = json.loads(content or b"")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    errors = body.get("errors") or []
    types = {e.get("type") for e in errors if isinstance(e, dict)}
    # (A field that may be left out also reports that the value is not `null`.)
    if (
        code == "validation_error"
        and "int_type" in types
        and types <= {"int_type", "none_required"}
    ):
        return "validation_error:int_type"
    return code


@pytest.mark.parametrize("who", ["admin", "member"])
def test_every_answer_is_documented(live: dict, who: str) -> None:
    operations: set[str] = set()
    requests = 0
    seen: Counter[tuple[str, str, int | None, str | None]] = Counter()
    errors: list[str] = []
    details: dict[tuple[str, str, int | None, str | None], list[str]] = {}
    for event in from_schema(_schema(live["url"], live[who])).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "info", None) or getattr(event, "exception", "")))
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        requests += len(recorder.interactions)
        for case_id, checks in recorder.checks.items():
            operations.add(recorder.cases[case_id].value.operation.label)
            for check in checks:
                if check.status is not Status.FAILURE or check.failure_info is None:
                    continue
                interaction = recorder.interactions.get(case_id)
                response = interaction.response if interaction else None
                status = response.status_code if response else None
                code = _problem_code(response.content) if response else None
                where = recorder.cases[case_id].value.operation.label
                key = (check.failure_info.failure.code, where, status, code)
                seen[key] += 1
                steps = check.failure_info.steps or []
                message = check.failure_info.failure.message.strip().splitlines()
                details.setdefault(key, [*message[-2:], *[f"{s.method} {s.path}" for s in steps]])
    unexpected = {k: n for k, n in seen.items() if not any(d.covers(*k) for d in DOCUMENTED)}
    print(
        f"\n{who}: {len(operations)} operations, {requests} requests, "
        f"{sum(seen.values())} failures ({sum(unexpected.values())} not documented)"
    )
    assert not errors, errors[:3]
    assert len(operations) >= 40
    assert not unexpected, "\n".join(
        f"{n} times {k}: {details.get(k)}" for k, n in sorted(unexpected.items(), key=str)
    )

"""The OpenAPI document is part of the product: committed, complete and browsable offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from connect_api.cli import openapi_text
from tests.helpers import Api, missing_tool

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


async def test_served_document_equals_committed_file(http: AsyncClient, app: FastAPI) -> None:
    served = (await http.get("/openapi.json")).json()
    committed = json.loads(COMMITTED.read_text())
    assert served == committed, "openapi/openapi.json is stale: run `make openapi`"
    assert COMMITTED.read_text() == openapi_text(app)


def test_every_operation_is_documented(app: FastAPI) -> None:
    doc = app.openapi()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] and doc["info"]["license"]["identifier"] == "MIT"
    assert not [name for name in doc["components"]["schemas"] if not name.isalnum()]
    ops = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(ops) >= 14
    for path, method, op in ops:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        assert op.get("operationId") and "_v1_" not in op["operationId"], where
        assert "security" in op, where  # `[]` on the open ones: said, not left out
        assert any(c.startswith("4") for c in op["responses"]), where
        ok = [c for c in op["responses"] if c.startswith("2")]
        assert ok, where
        for code in ok:
            if path.endswith("/stream"):  # the live streams: server-sent events, with an example
                content = op["responses"][code]["content"]["text/event-stream"]
                assert content["schema"] == {"type": "string"} and content["example"], where
            elif code != "204" and path != "/metrics":
                content = op["responses"][code]["content"]["application/json"]
                assert "$ref" in json.dumps(content["schema"]), where
        if path.startswith("/v1/"):
            assert op.get("security") == [{"bearer": []}], where
            for code in ("401", "422"):
                media = op["responses"][code]["content"]["application/problem+json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Problem"}, where
                assert media["examples"], where
        if method in ("post", "put") and "requestBody" in op:
            ref = op["requestBody"]["content"]["application/json"]["schema"]
            schema_name = re.search(r"#/components/schemas/(\w+)", json.dumps(ref)).group(1)
            assert doc["components"]["schemas"][schema_name].get("examples"), where


async def test_docs_page_uses_only_local_assets(http: AsyncClient) -> None:
    page = await http.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "/openapi.json" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for url in assets:
        assert url.startswith("/"), url
        r = await http.get(url)
        assert r.status_code == 200, url
        assert len(r.content) > 1_000, url


async def test_metrics_count_requests_and_refusals(http: AsyncClient, api: Api) -> None:
    def refusals(text: str) -> float:
        for line in text.splitlines():
            if line.startswith('connect_api_refusals_total{code="cannot_invite_self",'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = refusals((await http.get("/metrics")).text)
    a = await api.member()
    await api.invite(a, a)  # refused: cannot_invite_self
    r = await http.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    assert refusals(r.text) == before + 1
    assert 'handler="/v1/invitations"' in r.text


async def test_cors_is_off_by_default_and_exposes_the_limit_headers_when_on() -> None:
    from httpx import ASGITransport

    from connect_api.app import create_app
    from connect_api.kit.config import Settings

    origin = "https://app.example.com"
    for origins, allowed in (([], False), ([origin], True)):
        app = create_app(Settings(database_url="postgresql://unused/db", cors_origins=origins))
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            r = await client.options(
                "/v1/invitations",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
                },
            )
            assert (r.headers.get("access-control-allow-origin") == origin) is allowed
            r = await client.get("/healthz", headers={"Origin": origin})
            exposed = r.headers.get("access-control-expose-headers", "")
            assert ("RateLimit" in exposed) is allowed


async def test_requests_are_counted_by_route_template(api: Api, http: AsyncClient) -> None:
    member = await api.member()
    for _ in range(3):
        assert (await api.as_(member).get(f"/v1/members/{member}")).status_code == 200
    assert (await http.get("/healthz")).status_code == 200
    text = (await http.get("/metrics")).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("http_requests_total{")
        and 'handler="/v1/members/{member_id}"' in line
        and 'method="GET"' in line
        and 'status="200"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 3
    assert f"/v1/members/{member}" not in text and "/healthz" not in text


async def test_a_method_not_allowed_lists_every_method_of_the_path(
    http: AsyncClient, app: FastAPI
) -> None:
    """A 405's `Allow` names every method the document has for the path (several routes may
    share a path: `PUT`, `GET` and `DELETE /v1/notes/{member_id}`), and no other."""
    doc = app.openapi()
    methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
    checked = 0
    for template, item in doc["paths"].items():
        path = re.sub(r"\{[^}]+\}", "1", template)
        documented = {m.upper() for m in item}
        assert documented < methods, template
        for method in sorted(methods - documented):
            r = await http.request(method, path)
            where = f"{method} {template}"
            assert r.status_code == 405, where
            allowed = {m.strip() for m in r.headers["allow"].split(",")}
            assert allowed == documented, where
            if method != "HEAD":
                assert r.headers["content-type"] == "application/problem+json", where
                assert r.json()["code"] == "method_not_allowed", where
            checked += 1
    assert checked > 100


def _parameters(doc: dict, name: str) -> list[tuple[str, dict]]:
    return [
        (f"{method.upper()} {path}", param["schema"])
        for path, item in doc["paths"].items()
        for method, op in item.items()
        for param in op.get("parameters", [])
        if param["name"] == name and param["in"] == "query"
    ]


async def test_cursors_are_declared_as_the_decoder_reads_them(
    http: AsyncClient, api: Api, app: FastAPI
) -> None:
    from connect_api.kit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN

    declared = _parameters(app.openapi(), "cursor") + [
        (where, schema)
        for where, schema in _parameters(app.openapi(), "after")
        if not where.endswith("/stream")  # a feed position (Last-Event-ID), not a cursor
    ]
    assert len(declared) >= 10
    for where, schema in declared:
        schema = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "string")
        assert schema["pattern"] == CURSOR_PATTERN, where
        assert schema["maxLength"] == CURSOR_MAX_LENGTH, where
    me = await api.member()
    for cursor in ("ab=c", "a+b", "a/b", "%%", "a b"):
        r = await api.as_(me).get("/v1/blocks", params={"cursor": cursor})
        assert r.status_code == 422 and r.json()["code"] == "invalid_cursor", cursor
    r = await api.as_(me).get("/v1/blocks", params={"cursor": "A" * (CURSOR_MAX_LENGTH + 1)})
    assert r.status_code == 422, r.text


async def test_the_longest_cursor_the_service_mints_is_one_it_accepts(api: Api) -> None:
    """A cursor carries its list's filters and the last row's sort key: with the longest
    name, `q` and `tag` there are, it still fits the declared pattern and length."""
    from connect_api.kit.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN

    name = "\U0001d400" * 99 + '"'  # 4 bytes of UTF-8 each, 12 as a JSON escape
    me = await api.member()
    others = [await api.member(name=name) for _ in range(2)]
    tag = "\U0001d400" * 40
    for other in others:
        await api.connect(me, other)
        r = await api.as_(me).put(f"/v1/tags/{other}", json={"tags": [tag]})
        assert r.status_code == 200, r.text
    url = f"/v1/members/{me}/connections"
    for params in (
        {"sort": "name", "q": name[:100], "tag": tag},
        {"sort": "recent", "q": name[:100], "tag": tag},
        {"sort": "name"},
    ):
        first = await api.as_(me).get(url, params={**params, "limit": 1})
        assert first.status_code == 200, first.text
        cursor = first.json()["next_cursor"]
        assert cursor is not None and len(cursor) <= CURSOR_MAX_LENGTH, (params, len(cursor))
        assert re.fullmatch(CURSOR_PATTERN, cursor), cursor
        second = await api.as_(me).get(url, params={**params, "limit": 1, "cursor": cursor})
        assert second.status_code == 200, second.text
        assert second.json()["items"][0]["member"]["id"] != first.json()["items"][0]["member"]["id"]


def test_relationship_ids_are_declared_as_a_list_of_member_ids(app: FastAPI) -> None:
    from connect_api.relationships.router import MAX_IDS

    (param,) = [
        p
        for p in app.openapi()["paths"]["/v1/relationships"]["get"]["parameters"]
        if p["name"] == "ids"
    ]
    assert param["required"] is True
    assert (param["in"], param["style"], param["explode"]) == ("query", "form", False)
    schema = param["schema"]
    assert schema["type"] == "array"
    assert (schema["minItems"], schema["maxItems"]) == (1, MAX_IDS)
    assert schema["items"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_whitespace_is_spelled_out_completely() -> None:
    import sys

    from connect_api.kit.text_input import NOT_BLANK_PATTERN, is_blank

    invisible = [chr(c) for c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)]  # zero-width
    invisible += [chr(c) for c in (0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F))]  # bidi
    invisible += [chr(c) for c in range(0x2066, 0x206A)]
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    blank = set(spaces + invisible)
    assert all(is_blank(c) for c in blank)
    assert not any(is_blank(chr(c)) for c in range(1, sys.maxunicode + 1) if chr(c) not in blank)
    # The declared pattern says the same.
    assert not any(re.fullmatch(NOT_BLANK_PATTERN, c * 3) for c in blank)


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


_SAMPLES = [
    "",
    " ",
    "\t\n",
    "\x1f",
    "\u00a0\u3000",
    "a",
    " a ",
    "ab",
    "abc",
    " abc ",
    "a b",
    "\x00",
    "a\x00",
    "\x1fa\x1f",
    "\u00a0ada\u3000",
    "ß" * 21,
    "İ",
]


def _lengths(limit: int) -> list[str]:
    return ["x" * (limit - 1), "x" * limit, "x" * (limit + 1), " " + "x" * (limit - 1) + " "]


async def test_text_fields_are_refused_exactly_when_the_document_says(
    app: FastAPI, api: Api
) -> None:
    """For each text a client can send, a value the declared schema allows is not refused as
    invalid (422), and a value it does not allow is."""
    import jsonschema_rs

    doc = app.openapi()
    me, other = await api.members(2)
    await api.connect(me, other)
    group = 0

    def body_schema(path: str, method: str) -> dict:
        op = doc["paths"][path][method]
        return _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])

    def field(schema: dict, name: str) -> dict:
        prop = schema["properties"][name]
        return next(s for s in prop.get("anyOf", [prop]) if s.get("type") != "null")

    cases = []
    members = body_schema("/v1/members", "post")
    for name, limit in (("handle", 30), ("display_name", 100), ("headline", 220)):
        cases.append(("POST", "/v1/members", name, field(members, name), limit))
    groups = body_schema("/v1/groups", "post")
    for name, limit in (("name", 100), ("description", 1000)):
        cases.append(("POST", "/v1/groups", name, field(groups, name), limit))
    notes = body_schema("/v1/notes/{member_id}", "put")
    for name, limit in (("body", 2000), ("how_we_met", 200)):
        cases.append(("PUT", f"/v1/notes/{other}", name, field(notes, name), limit))
    tags = body_schema("/v1/tags/{member_id}", "put")
    cases.append(("PUT", f"/v1/tags/{other}", "tags", field(tags, "tags")["items"], 40))
    params = {
        p["name"]: p["schema"]
        for p in doc["paths"]["/v1/members/{member_id}/connections"]["get"]["parameters"]
    }
    for name, limit in (("q", 100), ("tag", 40)):
        cases.append(("GET", f"/v1/members/{me}/connections", name, params[name], limit))
    invitations = body_schema("/v1/invitations", "post")
    cases.append(("POST", "/v1/invitations", "message", field(invitations, "message"), 300))

    checked = 0
    for method, url, name, schema, limit in cases:
        valid = jsonschema_rs.validator_for(schema).is_valid
        for n, value in enumerate(_SAMPLES + _lengths(limit)):
            where = f"{method} {url} {name}={value!r}"
            if method == "GET":
                r = await api.as_(me).get(url, params={name: value})
            elif url == "/v1/members":
                unique = {"handle": f"h{next(_counter)}", "display_name": "X"}
                r = await api.admin.post(url, json={**unique, name: value})
            elif url == "/v1/groups":
                group += 1
                body = {"name": f"Group {id(cases)} {group}", name: value}
                r = await api.admin.post(url, json=body)
            elif url == "/v1/invitations":
                invitee = await api.member()
                r = await api.as_(me).post(url, json={"invitee_id": invitee, name: value})
            elif name == "tags":
                r = await api.as_(me).put(url, json={"tags": [value]})
            else:
                r = await api.as_(me).put(url, json={"body": "note", name: value})
            assert r.status_code < 500, where
            if name in ("tag", "tags") and value == "ß" * 21:
                # The one rule a JSON Schema cannot say: a tag is also at most 40 characters
                # case-folded (it is stored so), and `ß` folds to `ss`. Documented in words.
                assert valid(value) and r.json()["code"] == "tag_too_long", where
                continue
            assert (r.status_code != 422) == valid(value), (where, r.text)
            checked += 1
            del n
    assert checked > 200


_counter = iter(range(10**6, 10**7))


async def test_ids_in_bodies_are_json_schema_integers(api: Api) -> None:
    """An id is declared `integer` and taken only written as one: `2.0` and `2e0` (numbers a
    lax reader would take for 2), `true` and `"2"` are refused."""
    a, b = await api.members(2)
    for bad in (float(b), True, str(b), b + 0.5):
        r = await api.as_(a).post("/v1/invitations", json={"invitee_id": bad})
        assert r.status_code == 422, bad
    r = await api.as_(a).post("/v1/invitations", json={"invitee_id": b})
    assert r.status_code == 201 and r.json()["invitee"]["id"] == b, r.text
    inbox = [await api.invited(other, b) for other in await api.members(2)]
    r = await api.as_(b).post("/v1/invitations/received/decline", json={"ids": [float(inbox[0])]})
    assert r.status_code == 422, r.text
    r = await api.as_(b).post("/v1/invitations/received/decline", json={"ids": [inbox[0]]})
    assert r.status_code == 200 and r.json()["declined"] == [inbox[0]], r.text
    # Exactly one of `ids` and `all` (the document's `oneOf`), and neither as `null`.
    for body in ({"ids": [inbox[1]], "all": None}, {"ids": None, "all": True}):
        r = await api.as_(b).post("/v1/invitations/received/decline", json=body)
        assert r.status_code == 422, body


def test_links_lead_to_operations_with_what_they_need(app: FastAPI) -> None:
    doc = app.openapi()
    ops = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()}

    def walk(schema: dict, pointer: str) -> dict:
        for part in pointer.strip("/").split("/"):
            schema = _resolve(doc, schema)
            schema = next(s for s in schema.get("anyOf", [schema]) if s.get("type") != "null")
            schema = _resolve(doc, schema["properties"][part])
        return schema

    count = 0
    for op in ops.values():
        for code, resp in op["responses"].items():
            for name, link in resp.get("links", {}).items():
                where = f"{op['operationId']} {code} {name}"
                target = ops[link["operationId"]]
                names = {p["name"]: p for p in target.get("parameters", [])}
                source = resp["content"]["application/json"]["schema"]
                for param, expression in link.get("parameters", {}).items():
                    assert param in names, where
                    if expression.startswith("$request.path."):
                        assert expression.rsplit(".", 1)[1] in names, where
                        continue
                    assert expression.startswith("$response.body#"), where
                    walk(source, expression.split("#", 1)[1])
                for field, expression in link.get("requestBody", {}).items():
                    body = target["requestBody"]["content"]["application/json"]["schema"]
                    assert field in _resolve(doc, body)["properties"], where
                    walk(source, expression.split("#", 1)[1])
                count += 1
    assert count >= 30


def _examples(doc: dict) -> list[tuple[str, dict, object]]:
    """Every example in the document: (where, its schema, the value)."""
    found: list[tuple[str, dict, object]] = []
    for name, schema in doc["components"]["schemas"].items():
        for i, value in enumerate(schema.get("examples", [])):
            found.append((f"schemas/{name}/examples/{i}", schema, value))
    for path, item in doc["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                if "example" in param:
                    found.append((f"{where} ?{param['name']}", param["schema"], param["example"]))
                for key, ex in param.get("examples", {}).items():
                    found.append((f"{where} ?{param['name']} {key}", param["schema"], ex["value"]))
            media = [("request", m) for m in op.get("requestBody", {}).get("content", {}).values()]
            for status, resp in op["responses"].items():
                media += [(status, m) for m in resp.get("content", {}).values()]
            for part, m in media:
                if "schema" not in m:
                    continue
                if "example" in m:
                    found.append((f"{where} {part}", m["schema"], m["example"]))
                for key, ex in m.get("examples", {}).items():
                    found.append((f"{where} {part} {key}", m["schema"], ex["value"]))
    return found


def test_every_example_in_the_document_is_valid_against_its_schema(app: FastAPI) -> None:
    """Swagger UI shows them and generators copy them: an example its schema refuses teaches a
    client the wrong shape (JSON Schema 2020-12, as OpenAPI 3.1 has it)."""
    import jsonschema_rs

    doc = app.openapi()
    examples = _examples(doc)
    assert len(examples) >= 150
    wrong = []
    for where, schema, value in examples:
        # The components travel with each schema, so that its $refs resolve.
        rooted = {**schema, "components": doc["components"]}
        validator = jsonschema_rs.Draft202012Validator(rooted)
        wrong += [
            f"{where}: {e.message} at {list(e.instance_path)}" for e in validator.iter_errors(value)
        ]
    assert not wrong, "\n".join(wrong)


def test_machine_codes_are_closed_enums(app: FastAPI) -> None:
    """What a frontend switches on is an enum in the document, so a generated client types it."""
    from connect_api.kit.problem_codes import MEANINGS, ProblemCode

    schemas = app.openapi()["components"]["schemas"]
    assert schemas["ProblemCode"]["enum"] == [c.value for c in ProblemCode]
    assert set(MEANINGS) == set(ProblemCode)
    assert schemas["Problem"]["properties"]["code"]["$ref"].endswith("/ProblemCode")
    reason = schemas["RelationshipRead"]["properties"]["reason"]["anyOf"][0]
    assert reason["$ref"].endswith("/InviteRefusal")
    assert set(schemas["InviteRefusal"]["enum"]) <= set(schemas["ProblemCode"]["enum"])
    assert "enum" in schemas["DeclineReason"]
    assert "enum" in schemas["RelationshipRead"]["properties"]["action"]
    assert "webhook.disabled" in schemas["EventType"]["enum"]
    assert schemas["EventRead"]["properties"]["type"]["$ref"].endswith("/EventType")
    for model in ("WebhookCreate", "WebhookRead", "WebhookUpdate"):
        assert "/EventType" in json.dumps(schemas[model]["properties"]["event_types"]), model


def test_every_code_the_service_raises_is_in_the_enum() -> None:
    """Each refusal class's code, each `code=` given to one, and the framework's own codes."""
    import importlib
    import pkgutil

    import connect_api
    from connect_api.kit import errors
    from connect_api.kit.problem_codes import ProblemCode

    for mod in pkgutil.walk_packages(connect_api.__path__, "connect_api."):
        importlib.import_module(mod.name)
    classes, todo = [], [errors.DomainError]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo += cls.__subclasses__()
    raised = {cls.code for cls in classes}
    src = Path(connect_api.__file__).parent
    for file in src.rglob("*.py"):
        raised |= set(re.findall(r'\bcode="([a-z_]+)"', file.read_text()))
    raised |= set(errors._STATUS_CODES.values()) | {"internal_error"}
    assert len(raised) >= 45
    assert raised <= {c.value for c in ProblemCode}, raised - {c.value for c in ProblemCode}


def test_the_document_passes_the_openapi_linter(tmp_path: Path) -> None:
    """Redocly's recommended rules, every warning an error (redocly.yaml), on the committed
    document; the linter is pinned in openapi/package-lock.json."""
    import os
    import shutil
    import subprocess

    npm = shutil.which("npm")
    if npm is None:
        missing_tool("no npm on this machine: the OpenAPI linter needs Node.js", "the linter")
    here = COMMITTED.parent
    if not (here / "node_modules" / ".bin" / "redocly").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=here, check=True, capture_output=True
        )
    env = {**os.environ, "NO_UPDATE_NOTIFIER": "1", "REDOCLY_TELEMETRY": "off"}
    out = subprocess.run(
        [npm, "run", "--silent", "lint"], cwd=here, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in (out.stdout + out.stderr).lower().replace("deprecation warning", "")


def test_the_docs_say_how_to_get_a_token_and_the_command_works(app: FastAPI) -> None:
    """Swagger UI's Authorize asks for a token: the description above it and the scheme's own
    say how to get one, and the command they give mints a token the service accepts."""
    from connect_api.kit.auth import TokenService
    from connect_api.kit.config import Settings
    from tests.test_cli import _cli

    doc = app.openapi()
    description = doc["info"]["description"]
    scheme = doc["components"]["securitySchemes"]["bearer"]["description"]
    assert "**Authorize**" in description and "POST /demo/token" in description
    command = re.compile(r"`\.venv/bin/connect-api (token [^`]+)`")
    commands = [command.findall(text) for text in (description, scheme)]
    assert commands[0] and commands[0] == commands[1], commands
    secret = "s" * 64
    out = _cli(
        *commands[0][0].split(),
        env={"CONNECT_API_JWT_SECRET": secret, "CONNECT_API_DATABASE_URL": "postgresql://h/d"},
    )
    assert out.returncode == 0, out.stderr
    tokens = TokenService(Settings(database_url="postgresql://h/d", jwt_secret=secret), secret)
    assert tokens.decode(out.stdout.strip()).member_id == 1

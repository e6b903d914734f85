"""The OpenAPI document as published: the API's description and tags, and the shaping FastAPI
cannot do from the routes alone (integer bounds, examples, page names, cursor links)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from connect_api.kit.config import Settings
from connect_api.kit.errors import PROBLEM_JSON, Problem

DESCRIPTION = """
The service behind a professional network's **Connect button**: invitations with a personal
note, connections, and the rules around them (connection cap, cooldowns, anti-spam throttles,
restrictions).

* Authenticate with `Authorization: Bearer <JWT>`; `sub` is your member id. To try the API
  here, get a token and paste it under **Authorize**:
  * on the machine that runs the service, from its project directory:
    `.venv/bin/connect-api token --member 1` (`--admin` adds the `admin` scope; `--hours`
    sets how long it lives);
  * with the demo on (the embedded database, a browser on the same machine): the demo page
    at `/demo` mints a one-hour member token when you pick a member, from
    `POST /demo/token` with `{"member_id": 1}`;
  * in a deployment, your identity provider issues them: JWTs signed with the service's
    secret or key (`CONNECT_API_JWT_*` settings) with `sub` and `exp`.
* Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
  documents with a stable `code` to switch on.
* Lists are cursor-paginated: pass `next_cursor` back as `cursor` until it is `null`.
* Where the service reads from replicas, a response to a write carries `Connect-Read-After`
  (a header, and a cookie of that name): send the greatest you were given back as the
  `Connect-Read-After` header (browsers send the cookie) and your reads see your writes on
  any instance.
"""

TAGS = [
    {"name": "invitations", "description": "Send, answer and withdraw connection invitations."},
    {"name": "connections", "description": "Who is connected to whom."},
    {
        "name": "relationships",
        "description": "Everything between the caller and other members: what the Connect "
        "button says and does.",
    },
    {
        "name": "network",
        "description": "The network around you: your second degree, and people you may know.",
    },
    {"name": "follows", "description": "One-way subscriptions to a member's activity."},
    {
        "name": "notes",
        "description": "Private notes and tags on your connections; only their author sees them.",
    },
    {"name": "blocks", "description": "Hide yourself from a member, and them from you."},
    {"name": "groups", "description": "Named sets of members."},
    {"name": "members", "description": "Member profiles, erasure and your data export."},
    {"name": "events", "description": "What changed, as a feed to poll."},
    {"name": "webhooks", "description": "What changed, pushed to your endpoints (admin)."},
    {"name": "operations", "description": "Health and readiness for operators."},
]


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without the ``null`` of an optional Python type: a query string
    or a header cannot be null, a parameter is left out instead."""
    branches = schema.get("anyOf")
    if not branches or {"type": "null"} not in branches or len(branches) != 2:
        return schema
    (kept,) = [b for b in branches if b != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept, **rest}


_BIGINT_MAX = 2**63 - 1


def _by(pointer: str, param: str, *targets: str) -> dict[str, dict[str, Any]]:
    return {
        target: {"operationId": target, "parameters": {param: f"$response.body#{pointer}"}}
        for target in targets
    }


def _next_page(operation: str, cursor: str = "cursor", *path: str) -> dict[str, dict[str, Any]]:
    parameters = {cursor: "$response.body#/next_cursor"} | {p: f"$request.path.{p}" for p in path}
    return {f"{operation}_next_page": {"operationId": operation, "parameters": parameters}}


_MEMBER_OPS = (
    "get_member",
    "follow_member",
    "block_member",
    "list_connections",
    "list_followers",
    "list_following",
    "erase_member",
)
_INVITATION_OPS = (
    "get_invitation",
    "accept_invitation",
    "decline_invitation",
    "withdraw_invitation",
)
# OpenAPI links: what an answer lets a client do next (the stateful fuzzing follows them).
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("create_member", "201"): _by("/id", "member_id", *_MEMBER_OPS)
    | {
        "send_invitation": {
            "operationId": "send_invitation",
            "requestBody": {"invitee_id": "$response.body#/id"},
        }
    },
    **{
        ("send_invitation", code): _by("/id", "invitation_id", *_INVITATION_OPS)
        for code in ("200", "201")
    },
    **{
        ("follow_member", code): _by("/member/id", "member_id", "unfollow_member", "get_member")
        for code in ("200", "201")
    },
    **{
        ("block_member", code): _by("/member/id", "member_id", "unblock_member", "get_member")
        for code in ("200", "201")
    },
    **{
        ("put_note", code): _by("/member_id", "member_id", "get_note", "delete_note")
        for code in ("200", "201")
    },
    ("put_tags", "200"): _by("/member_id", "member_id", "get_tags"),
    ("create_group", "201"): _by(
        "/id", "group_id", "get_group", "join_group", "leave_group", "list_group_members"
    ),
    **{
        ("join_group", code): _by("/group/id", "group_id", "leave_group", "list_group_members")
        for code in ("200", "201")
    },
    ("list_blocks", "200"): _next_page("list_blocks"),
    ("list_groups", "200"): _next_page("list_groups"),
    ("list_group_members", "200"): _next_page("list_group_members", "cursor", "group_id"),
    ("list_followers", "200"): _next_page("list_followers", "cursor", "member_id"),
    ("list_following", "200"): _next_page("list_following", "cursor", "member_id"),
    ("read_events", "200"): _next_page("read_events", "after"),
}


def _integer_bounds(node: Any) -> None:
    """Integer bounds as integers. FastAPI's document model holds them as floats, and the
    float nearest 2^63 - 1 (a BIGINT id's bound) is 2^63, an id the service refuses."""
    if isinstance(node, list):
        for item in node:
            _integer_bounds(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                value = node.get(key)
                if isinstance(value, float) and value.is_integer():
                    node[key] = min(int(value), _BIGINT_MAX)
        for value in node.values():
            _integer_bounds(value)


def _restore_examples(schemas: dict[str, Any]) -> None:
    """The models' examples as written. FastAPI drops every ``null`` from the document, those
    inside examples too, which leaves examples without fields their schema requires."""
    todo: list[type[BaseModel]] = [BaseModel]
    while todo:
        model = todo.pop()
        todo += model.__subclasses__()
        extra = model.model_config.get("json_schema_extra")
        name = model.__name__
        if isinstance(extra, dict) and "examples" in extra and name in schemas:
            schemas[name]["examples"] = extra["examples"]


def _rename_pages(doc: dict[str, Any]) -> None:
    """``Page_BlockRead_`` (pydantic's name for ``Page[BlockRead]``) becomes ``BlockPage``, a
    name that generated clients can carry."""
    schemas = doc["components"]["schemas"]
    renames = {
        old: old.removeprefix("Page_").removesuffix("_").removesuffix("Read") + "Page"
        for old in list(schemas)
        if old.startswith("Page_")
    }
    for old, new in renames.items():
        assert new not in schemas, new
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    refs = {f"#/components/schemas/{o}": f"#/components/schemas/{n}" for o, n in renames.items()}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The generated document, with errors typed as problem+json and the validation schema ours."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    doc["info"]["license"] = {"name": "MIT", "identifier": "MIT"}
    # Relative: the document's own origin, wherever it is served (Swagger UI's "Try it out",
    # and clients given the base URL they run against).
    doc["servers"] = [{"url": "/", "description": "The server that serves this document."}]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    doc["components"].setdefault("securitySchemes", {})["metricsToken"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "`CONNECT_API_METRICS_TOKEN`, when it is set.",
    }
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _integer_bounds(doc)
    # The message's limit is a setting (`message_too_long` past it), below the model's own cap.
    message = schemas["InvitationCreate"]["properties"]["message"]["anyOf"][0]
    message["maxLength"] = min(message["maxLength"], settings.policy.message_max_length)
    for route, path in doc.get("paths", {}).items():
        for op in path.values():
            for param in op.get("parameters", []):
                param["schema"] = _not_null(param["schema"])
            for code, resp in op.get("responses", {}).items():
                if links := LINKS.get((op["operationId"], code)):
                    resp["links"] = links
                if code.isdigit() and int(code) >= 400 and route not in ("/readyz", "/healthz"):
                    examples = resp.get("content", {}).get("application/json", {}).get("examples")
                    media: dict[str, Any] = {"schema": problem_ref}
                    if examples:
                        media["examples"] = examples
                    resp["content"] = {PROBLEM_JSON: media}
    for probe in ("/healthz", "/readyz"):
        op = doc["paths"][probe]["get"]
        op["security"] = []  # open: a load balancer asks without a token
        for code, text in ((414, "request target"), (431, "request headers")):
            op["responses"][str(code)] = {
                "description": f"The {text} are too large; the connection is closed.",
                "content": {PROBLEM_JSON: {"schema": problem_ref}},
            }
    doc["paths"]["/metrics"]["get"]["security"] = [{}, {"metricsToken": []}]
    _restore_examples(schemas)
    _rename_pages(doc)
    app.openapi_schema = doc
    return doc

"""Tag keys by the rule of the day: invisible characters dropped, NFKC, case-folded.

A tag's key was its name case-folded (NFC), so `London`, full-width `LONDON` and
`Lon<U+200B>don` were three tags. Each stored key (and name) is computed again with the rule
`connect_api.core.tags.normalise` now applies, written out here as it stands today (a
migration must not change when that module does):

- the name drops zero-width characters and bidirectional controls, collapses whitespace and
  is composed (NFC); the key is that name in compatibility form and case-folded (NFKC, case
  fold, NFKC), whitespace collapsed again;
- tags of one connection that now share a key are merged: the earliest one stays;
- an author's tags that now share a key take the spelling of the earliest of them (one tag,
  one name, as every write already keeps it);
- a tag with nothing visible left goes (it could not be written today); a key that would grow
  past 40 characters is kept as it was.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INVISIBLE = re.compile(r"[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_MAX = 40


def _name(raw: str) -> str:
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", raw).split()))


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(_INVISIBLE.sub("", folded).split())


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT author_id, member_id, key, name, created_at FROM connection_tags"
            " ORDER BY author_id, created_at, member_id, key"
        )
    ).all()
    gone: list[dict[str, object]] = []
    kept: dict[tuple[int, int, str], dict[str, object]] = {}
    spelling: dict[tuple[int, str], str] = {}  # (author, key) -> the earliest name
    for author_id, member_id, key, name, created_at in rows:
        new_name = _name(name)
        new_key = _key(new_name)
        old = {"author_id": author_id, "member_id": member_id, "key": key}
        if not new_name or not new_key:
            gone.append(old)
            continue
        if len(new_key) > _MAX:
            new_key = key
        new_name = spelling.setdefault((author_id, new_key), new_name)
        if (author_id, member_id, new_key) in kept:  # a later duplicate on one connection
            gone.append(old)
            continue
        kept[(author_id, member_id, new_key)] = {
            **old,
            "new_key": new_key,
            "name": new_name,
            "created_at": created_at,
            "same": new_key == key and new_name == name,
        }
    changed = [row for row in kept.values() if not row["same"]]
    # Every row that changes is taken out and put back with its new key, so that no key is
    # ever held by two rows on the way, whatever order they are in.
    out = gone + [{k: row[k] for k in ("author_id", "member_id", "key")} for row in changed]
    if out:
        conn.execute(
            sa.text(
                "DELETE FROM connection_tags"
                " WHERE author_id = :author_id AND member_id = :member_id AND key = :key"
            ),
            out,
        )
    if changed:
        conn.execute(
            sa.text(
                "INSERT INTO connection_tags (author_id, member_id, key, name, created_at)"
                " VALUES (:author_id, :member_id, :new_key, :name, :created_at)"
            ),
            [
                {k: row[k] for k in ("author_id", "member_id", "new_key", "name", "created_at")}
                for row in changed
            ],
        )


def downgrade() -> None:
    # The old keys are not kept: the merged tags stay merged. The old rule reads these keys
    # as it read its own (each is a case-folded name), so nothing else needs undoing.
    pass

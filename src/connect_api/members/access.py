"""The caller as a member: a valid token whose member no longer exists is a 401, everywhere."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from connect_api.core.models import Member
from connect_api.core.visibility import Viewing, hidden, sight
from connect_api.kit.database import Work
from connect_api.kit.errors import member_gone
from connect_api.members import repository as members


def caller_from(found: dict[int, Member], caller_id: int) -> Member:
    """The caller among members already read (and locked) by the use case."""
    me = found.get(caller_id)
    if me is None:
        raise member_gone()
    return me


async def require_member(session: Work, caller_id: int) -> Member:
    me = await members.get(session, caller_id)
    if me is None:
        raise member_gone()
    return me


async def visible_member(session: AsyncSession, caller_id: int, member_id: int) -> Member:
    """A member as the caller may see them (``visibility.sight``): 404 when there is none, or a
    block stands between them (either way). Never says which."""
    found = await members.get_many(session, (caller_id, member_id))
    if caller_id not in found:
        raise member_gone()
    member = found.get(member_id)
    blocked = (
        member is not None
        and member_id != caller_id
        and await members.between(session, caller_id, member_id)
    )
    viewing = Viewing(caller_id, member_id, exists=member is not None, blocked=blocked)
    if member is None or not sight(viewing).member:
        raise hidden()
    return member

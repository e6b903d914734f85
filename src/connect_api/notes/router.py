"""HTTP for notes and tags: private to their author, so every other caller gets 404."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from connect_api.core.tags import TagEmpty, TagTooLong, TooManyTags
from connect_api.kit.deps import Ctx, CurrentPrincipal, MemberId
from connect_api.kit.errors import NotFound, responses
from connect_api.notes import service
from connect_api.notes.schemas import (
    NoteRead,
    NoteWrite,
    TagCount,
    TagList,
    TagsRead,
    TagsWrite,
)

router = APIRouter(tags=["notes"])

_PRIVATE = " Only you ever see it; nobody is notified."


@router.put(
    "/v1/notes/{member_id}",
    status_code=status.HTTP_200_OK,
    summary="Write your note on a connection",
    description="Creates (`201`) or replaces (`200`) your private note on one of your "
    "connections. `404` when you are not connected to the member." + _PRIVATE,
    response_model=NoteRead,
    responses={201: {"model": NoteRead, "description": "Note created."}, **responses(NotFound)},
)
async def put_note(
    member_id: MemberId, body: NoteWrite, ctx: Ctx, principal: CurrentPrincipal, response: Response
) -> NoteRead:
    note, created = await ctx.db.run(
        service.put_note,
        ctx,
        principal.member_id,
        member_id,
        body=body.body,
        how_we_met=body.how_we_met,
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return NoteRead.model_validate(note)


@router.get(
    "/v1/notes/{member_id}",
    summary="Read your note on a connection",
    description="`404` when you have no note on the member (or are not connected)." + _PRIVATE,
    response_model=NoteRead,
    responses=responses(NotFound),
)
async def get_note(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> NoteRead:
    return NoteRead.model_validate(
        await ctx.db.read(service.get_note, ctx, principal.member_id, member_id)
    )


@router.delete(
    "/v1/notes/{member_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete your note on a connection",
    description="`204` whether or not there was a note; `404` when you are not connected to "
    "the member.",
    responses=responses(NotFound),
)
async def delete_note(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> Response:
    await ctx.db.run(service.delete_note, ctx, principal.member_id, member_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/v1/tags/{member_id}",
    summary="Set your tags on a connection",
    description="Replaces the whole set (`[]` clears it). Each tag is trimmed and runs of "
    "whitespace become one space; tags that differ only in case are the same tag (the first "
    "spelling wins, unless you already use the tag on another connection: then it keeps that "
    "spelling). 1 to 40 characters a tag, at most 50 on a connection. `404` when you are not "
    "connected to the member." + _PRIVATE,
    response_model=TagsRead,
    responses=responses(NotFound, TagEmpty, TagTooLong, TooManyTags),
)
async def put_tags(
    member_id: MemberId, body: TagsWrite, ctx: Ctx, principal: CurrentPrincipal
) -> TagsRead:
    names = await ctx.db.run(service.put_tags, ctx, principal.member_id, member_id, body.tags)
    return TagsRead(member_id=member_id, tags=names)


@router.get(
    "/v1/tags/{member_id}",
    summary="Your tags on a connection",
    description="Sorted case-insensitively. `404` when you are not connected to the member."
    + _PRIVATE,
    response_model=TagsRead,
    responses=responses(NotFound),
)
async def get_tags(member_id: MemberId, ctx: Ctx, principal: CurrentPrincipal) -> TagsRead:
    names = await ctx.db.read(service.get_tags, ctx, principal.member_id, member_id)
    return TagsRead(member_id=member_id, tags=names)


@router.get(
    "/v1/tags",
    summary="Your tags",
    description="Every tag you use, with how many of your connections carry it; the most "
    "used first, ties by name. Filter your connections by one with "
    "`GET /v1/members/{your id}/connections?tag=`." + _PRIVATE,
    response_model=TagList,
    responses=responses(),
)
async def list_tags(ctx: Ctx, principal: CurrentPrincipal) -> TagList:
    counts = await ctx.db.read(service.tag_counts, ctx, principal.member_id)
    return TagList(items=[TagCount(tag=name, count=n) for name, n in counts])

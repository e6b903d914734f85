from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from connect_api.members.schemas import MemberSummary


class BlockRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member": {
                        "id": 666,
                        "handle": "spammer",
                        "display_name": "Sam Spam",
                        "headline": "Growth hacker",
                    },
                    "blocked_at": "2026-11-25T10:00:00Z",
                }
            ]
        }
    )

    member: MemberSummary
    blocked_at: datetime

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from connect_api.members.schemas import MemberSummary


class ConnectionSort(StrEnum):
    recent = "recent"
    name = "name"


class ConnectionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member": {
                        "id": 42,
                        "handle": "ada",
                        "display_name": "Ada Lovelace",
                        "headline": "Analyst of engines",
                    },
                    "connected_at": "2026-11-25T10:00:00Z",
                }
            ]
        }
    )

    member: MemberSummary
    connected_at: datetime

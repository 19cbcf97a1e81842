"""An officer the supporter talks to. Every field here is sealed at rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Officer:
    alias: str
    full_name: str = ""
    contact: str = ""
    notes: str = ""
    notice_given_at: datetime | None = None
    id: str = field(default_factory=new_id)

    def __repr__(self) -> str:  # keep names out of logs and tracebacks
        return f"<Officer {self.id}>"

"""The legal-hold set: officer ids and check-in ids that no deletion or expiry may touch.

Kept as one sealed vault-wide value (``vault_secret`` row ``legal_holds``), so the held ids
never appear in clear in the database file and a hold cannot be lifted by editing it: a
changed value fails authentication.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.store.sealing import RowSealer
from peersupport.store.vault_secrets import VaultSecretRepository

LEGAL_HOLDS = "legal_holds"


@dataclass(frozen=True)
class LegalHolds:
    officers: frozenset[str] = field(default_factory=frozenset)
    checkins: frozenset[str] = field(default_factory=frozenset)

    def covers(self, checkin_id: str, officer_ids: Iterable[str | None] = ()) -> bool:
        """Whether a check-in is held: itself, or through any officer it involves."""
        return checkin_id in self.checkins or any(
            oid is not None and oid in self.officers for oid in officer_ids)

    def __bool__(self) -> bool:
        return bool(self.officers or self.checkins)


class LegalHoldRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._secrets = VaultSecretRepository(session, sealer)

    def get(self) -> LegalHolds:
        stored = self._secrets.get(LEGAL_HOLDS)
        if stored is None:
            return LegalHolds()
        try:
            value = json.loads(stored)
            officers, checkins = value["officers"], value["checkins"]
            if not isinstance(officers, list) or not isinstance(checkins, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise TamperError("the list of legal holds is malformed") from None
        return LegalHolds(frozenset(map(str, officers)), frozenset(map(str, checkins)))

    def put(self, holds: LegalHolds) -> None:
        self._secrets.put(LEGAL_HOLDS, json.dumps(
            {"officers": sorted(holds.officers), "checkins": sorted(holds.checkins)}))

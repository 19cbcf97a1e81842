"""Sealed follow-up plans, and the vault-wide values they need (the key that derives plan ids,
the set of officers marked deceased)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from peersupport.crypto.errors import TamperError
from peersupport.domain.followup import Plan, plan_from_dict, plan_to_dict
from peersupport.store.models import FollowupPlanRow
from peersupport.store.sealing import RowSealer, SealedTable
from peersupport.store.vault_secrets import VaultSecretRepository

PLAN_TABLE = SealedTable(
    model=FollowupPlanRow, fields=("plan",), metadata_columns=("vault_id",),
)
PLAN_ID_KEY = "followup_plan_key"
DECEASED = "deceased_officers"


class PlanRepository:
    def __init__(self, session: Session, sealer: RowSealer) -> None:
        self._session = session
        self._sealer = sealer
        self._secrets = VaultSecretRepository(session, sealer)
        self._id_key: bytes | None = None

    # -- ids -------------------------------------------------------------------------------
    def plan_id(self, checkin_id: str, officer_id: str) -> str:
        """The id of the plan for this check-in and officer: a keyed hash, so the plaintext
        id links to neither (the key is sealed in the vault)."""
        if self._id_key is None:
            stored = self._secrets.get(PLAN_ID_KEY)
            if stored is None:
                stored = secrets.token_hex(32)
                self._secrets.put(PLAN_ID_KEY, stored)
            self._id_key = bytes.fromhex(stored)
        digest = hmac.new(self._id_key, f"{checkin_id}\0{officer_id}".encode(),
                          hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    # -- plans -----------------------------------------------------------------------------
    def _read(self, row: FollowupPlanRow) -> Plan:
        text = self._sealer.open(PLAN_TABLE, row, "plan")
        try:
            plan = plan_from_dict(json.loads(text))
        except (ValueError, KeyError, TypeError):
            raise TamperError("a follow-up plan is malformed") from None
        if plan.id != row.id:
            raise TamperError("a follow-up plan was moved to another row")
        return plan

    def get(self, plan_id: str) -> Plan | None:
        row = self._session.get(FollowupPlanRow, plan_id)
        return None if row is None else self._read(row)

    def put(self, plan: Plan) -> None:
        row = self._session.get(FollowupPlanRow, plan.id)
        if row is None:
            row = FollowupPlanRow(id=plan.id, vault_id=self._sealer.vault_id)
            self._session.add(row)
        self._sealer.stamp(row)
        self._sealer.seal(PLAN_TABLE, row, "plan",
                          json.dumps(plan_to_dict(plan), separators=(",", ":")))

    def delete(self, plan_id: str) -> bool:
        result: Any = self._session.execute(
            delete(FollowupPlanRow).where(FollowupPlanRow.id == plan_id))
        return bool(result.rowcount)

    def all(self) -> Iterator[tuple[str, Plan | None]]:
        """Every plan (None for one that fails to open), in id order."""
        for row in self._session.scalars(select(FollowupPlanRow).order_by(FollowupPlanRow.id)):
            try:
                yield row.id, self._read(row)
            except TamperError:
                yield row.id, None

    def texts(self) -> Iterator[tuple[str, str | None]]:
        """Every plan's opened text (None for one that fails to open), in id order, not read
        into plans: a quick way to find the few plans that name some id."""
        for row in self._session.scalars(select(FollowupPlanRow).order_by(FollowupPlanRow.id)):
            try:
                yield row.id, self._sealer.open(PLAN_TABLE, row, "plan")
            except TamperError:
                yield row.id, None

    def count(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(FollowupPlanRow)) or 0)

    # -- officers marked deceased ------------------------------------------------------------
    def deceased(self) -> set[str]:
        stored = self._secrets.get(DECEASED)
        if stored is None:
            return set()
        try:
            value = json.loads(stored)
        except ValueError:
            raise TamperError("the list of deceased officers is malformed") from None
        if not isinstance(value, list):
            raise TamperError("the list of deceased officers is malformed")
        return {str(v) for v in value}

    def set_deceased(self, officer_ids: set[str]) -> None:
        self._secrets.put(DECEASED, json.dumps(sorted(officer_ids)))

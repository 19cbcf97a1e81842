"""Creating, unlocking, locking and verifying a vault."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session

from peersupport.atomic import fsync_dir, write_atomic
from peersupport.crypto import backup_file, kdf, keyslots, recovery
from peersupport.crypto.blob import FieldCipher
from peersupport.crypto.errors import TamperError
from peersupport.crypto.secret import SecretKey
from peersupport.domain.notice import DEFAULT_NOTICE
from peersupport.domain.officer import Officer
from peersupport.paths import DataDir, ensure
from peersupport.services.errors import (
    NoVaultError,
    VaultCorruptError,
    VaultExistsError,
    VaultLockedError,
)
from peersupport.store import engine as store_engine
from peersupport.store import migrate, snapshot, vault_meta
from peersupport.store.models import VaultRow
from peersupport.store.officers import OfficerList, OfficerRepository
from peersupport.store.sealing import RowSealer
from peersupport.store.vault_secrets import NOTICE, VaultSecretRepository
from peersupport.store.verification import authenticate_all, notice_problem

if TYPE_CHECKING:
    from peersupport.services.checkins import CheckinService
    from peersupport.services.followups import FollowupPolicy, FollowupService
    from peersupport.services.requests import RequestService
    from peersupport.services.statistics import StatisticsService

log = logging.getLogger(__name__)

VAULT_FORMAT_VERSION = 1


def _period(now: datetime) -> str:
    return now.strftime("%Y-%m")


@dataclass
class VerifyReport:
    integrity_problems: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    fields_checked: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # table, id, field

    @property
    def ok(self) -> bool:
        return not self.integrity_problems and not self.failures


class UnlockedVault:
    """An open vault: the data key in memory, a way to read and write sealed records."""

    def __init__(
        self, data_dir: DataDir, engine: Engine, vault_id: str, key_id: str,
        data_key: SecretKey, profile: kdf.KdfProfile,
    ) -> None:
        self.data_dir = data_dir
        self.vault_id = vault_id
        self.key_id = key_id
        self._engine: Engine | None = engine
        self._data_key = data_key
        self._profile = profile
        self._cipher = FieldCipher(data_key)
        self._sealer = RowSealer(self._cipher, vault_id, key_id)
        self._followup_policy: FollowupPolicy | None = None
        self.request_key_status = ""  # set at open: see RequestService.ensure_keys

    # -- state --------------------------------------------------------------------------
    @property
    def is_locked(self) -> bool:
        return self._engine is None

    @property
    def data_key(self) -> SecretKey:
        return self._data_key

    @property
    def sealer(self) -> RowSealer:
        """For repositories in the service layer; never hand it to a screen."""
        if self._engine is None:
            raise VaultLockedError("the vault is locked")
        return self._sealer

    def checkins(self) -> CheckinService:
        from peersupport.services.checkins import CheckinService

        return CheckinService(self)

    @property
    def followup_policy(self) -> FollowupPolicy:
        """Plan templates, time zone and clock; the app sets it from the settings."""
        if self._followup_policy is None:
            from peersupport.services.followups import FollowupPolicy

            self._followup_policy = FollowupPolicy()
        return self._followup_policy

    @followup_policy.setter
    def followup_policy(self, policy: FollowupPolicy) -> None:
        self._followup_policy = policy

    def followups(self) -> FollowupService:
        from peersupport.services.followups import FollowupService

        return FollowupService(self)

    def requests(self) -> RequestService:
        from peersupport.services.requests import RequestService

        return RequestService(self)

    def statistics(self) -> StatisticsService:
        from peersupport.services.statistics import StatisticsService

        return StatisticsService(self)

    def _live_engine(self) -> Engine:
        if self._engine is None:
            raise VaultLockedError("the vault is locked")
        return self._engine

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database and empty it, so that old versions
        of deleted rows do not linger in the log file (best effort: readers can delay it)."""
        store_engine.checkpoint(self._live_engine())

    def vacuum(self) -> None:
        """Checkpoint, rebuild the file without free pages (VACUUM) and checkpoint again:
        after a purge, so that the old bytes of expired values leave the database file."""
        store_engine.checkpoint(self._live_engine())
        store_engine.vacuum(self._live_engine())

    def lock(self) -> None:
        """Checkpoint and close the database, zero the data key, drop cipher objects."""
        engine, self._engine = self._engine, None
        self._cipher.close()
        self._data_key.wipe()
        if engine is not None:
            try:
                store_engine.checkpoint(engine)
            finally:
                engine.dispose()

    # -- transactions -------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One user action, one transaction: everything commits or nothing does."""
        with Session(self._live_engine(), expire_on_commit=False) as session, session.begin():
            yield session

    def officers(self, session: Session) -> OfficerRepository:
        return OfficerRepository(session, self._sealer)

    # -- use cases ----------------------------------------------------------------------
    def add_officer(self, officer: Officer) -> None:
        with self.transaction() as s:
            self.officers(s).add(officer)

    def update_officer(self, officer: Officer) -> None:
        with self.transaction() as s:
            self.officers(s).update(officer)

    def delete_officer(self, officer_id: str) -> None:
        with self.transaction() as s:
            self.officers(s).delete(officer_id)

    def list_officers(self) -> OfficerList:
        with self.transaction() as s:
            return self.officers(s).list_all()

    def notice(self) -> str:
        with self.transaction() as s:
            return vault_meta.read_vault(s).notice_text

    def set_notice(self, text: str) -> None:
        """Store the public notice and its sealed, authenticating copy together."""
        with self.transaction() as s:
            vault_meta.read_vault(s).notice_text = text
            VaultSecretRepository(s, self.sealer).put(NOTICE, text)

    def check_notice(self) -> str:
        """Compare the public notice (readable while locked, so not authenticated) with its
        sealed copy. Returns 'ok', 'sealed' (no copy yet: the current text was sealed now),
        'changed' (edited outside the app) or 'unreadable' (the copy failed to open)."""
        with self.transaction() as s:
            problem = notice_problem(s, self.sealer)
            if problem is not None:
                return problem
            secrets_repo = VaultSecretRepository(s, self.sealer)
            if secrets_repo.get(NOTICE) is None:
                secrets_repo.put(NOTICE, vault_meta.read_vault(s).notice_text)
                return "sealed"
        return "ok"

    def restore_notice(self) -> str:
        """Put back the notice as last set in the app (its sealed copy); returns it."""
        with self.transaction() as s:
            sealed = VaultSecretRepository(s, self.sealer).get(NOTICE)
            if sealed is None:
                raise VaultCorruptError("there is no sealed copy of the notice")
            vault_meta.read_vault(s).notice_text = sealed
            return sealed

    def set_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase (new salt) in one transaction."""
        with self.transaction() as s:
            self._rewrap_passphrase(s, new_passphrase)

    # -- keys ---------------------------------------------------------------------------
    def _passphrase_slot(self, s: Session) -> keyslots.WrappedKey:
        found = vault_meta.read_slot(s, keyslots.SLOT_PASSPHRASE)
        if found is None:
            raise VaultCorruptError("the vault has no passphrase slot")
        return found[1]

    def _check_passphrase(self, s: Session, passphrase: str) -> None:
        """WrongSecretError unless ``passphrase`` unwraps the stored slot to this data key."""
        opened = keyslots.unwrap_with_passphrase(
            self._passphrase_slot(s), passphrase, self._profile, self.vault_id,
            VAULT_FORMAT_VERSION,
        )
        try:
            if not secrets.compare_digest(opened.raw(), self._data_key.raw()):
                raise TamperError("the passphrase slot holds another data key")
        finally:
            opened.wipe()

    def check_passphrase(self, passphrase: str) -> None:
        """Raise WrongSecretError unless ``passphrase`` is the vault's current passphrase."""
        with self.transaction() as s:
            self._check_passphrase(s, passphrase)

    def change_passphrase(self, old_passphrase: str, new_passphrase: str) -> None:
        """Check the old passphrase against the stored slot (WrongSecretError if wrong, and
        nothing changes), then re-wrap the data key under the new one, in one transaction.
        The data key and every sealed field stay as they are."""
        with self.transaction() as s:
            self._check_passphrase(s, old_passphrase)
            self._rewrap_passphrase(s, new_passphrase)
        self._fold_log()

    def new_recovery_key(self) -> str:
        """Replace the recovery slot with one for a new recovery key, in one transaction, and
        return the new key formatted (shown once). The old recovery key stops working."""
        key = recovery.generate()
        try:
            text = recovery.format_key(key)
            wrapped = keyslots.wrap_with_recovery(
                self._data_key, key, self.vault_id, VAULT_FORMAT_VERSION
            )
        finally:
            key.wipe()
        with self.transaction() as s:
            vault_meta.write_slot(s, self.vault_id, self.key_id, VAULT_FORMAT_VERSION, wrapped)
        self._fold_log()
        return text

    def _fold_log(self) -> None:
        """After a key slot changed: the old slot must not linger in the write-ahead log
        (best effort: the change is committed whatever happens here)."""
        try:
            self.checkpoint()
        except OperationalError:
            log.warning("checkpoint after a key change failed; it runs again on lock")

    def _rewrap_passphrase(self, s: Session, new_passphrase: str) -> None:
        """Write a passphrase slot for ``new_passphrase`` (new salt; parameters never lower)."""
        old = self._passphrase_slot(s).params
        iterations = max(old.iterations, self._profile.min_iterations)
        params = kdf.KdfParams(
            kdf.ALGORITHM, max(old.memory_kib, self._profile.memory_kib), iterations,
            max(old.lanes, self._profile.lanes), secrets.token_bytes(kdf.SALT_LENGTH),
        )
        wrapped = keyslots.wrap_with_passphrase(
            self._data_key, new_passphrase, params, self.vault_id, VAULT_FORMAT_VERSION
        )
        vault_meta.write_slot(s, self.vault_id, self.key_id, VAULT_FORMAT_VERSION, wrapped)

    def verify(self) -> VerifyReport:
        """Ask SQLite to check its file, then authenticate every sealed field."""
        report = VerifyReport(integrity_problems=store_engine.integrity_errors(self._live_engine()))
        with self.transaction() as s:
            sealed = authenticate_all(s, self._sealer)
        report.records = sealed.records
        report.fields_checked = sealed.fields_checked
        report.failures = sealed.failures
        return report


class VaultService:
    """Entry point for everything done to a vault as a whole."""

    def __init__(self, data_dir: DataDir, profile: kdf.KdfProfile = kdf.PRODUCTION) -> None:
        self.data_dir = data_dir
        self.profile = profile

    def exists(self) -> bool:
        return self.data_dir.has_vault()

    # -- creation -----------------------------------------------------------------------
    def create(
        self, passphrase: str, recovery_key: SecretKey, notice: str = DEFAULT_NOTICE,
        now: datetime | None = None,
    ) -> UnlockedVault:
        """Create the vault in a temporary file and move it into place when complete."""
        ensure(self.data_dir.root)
        final = self.data_dir.database
        if final.exists():
            raise VaultExistsError(f"a vault already exists in {self.data_dir.root}")
        now = now or datetime.now(UTC)
        tmp = final.with_name(final.name + ".creating")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)

        vault_id = str(uuid.uuid4())
        key_id = secrets.token_hex(8)
        data_key = SecretKey.random(32)
        params = kdf.new_params(self.profile)
        pass_slot = keyslots.wrap_with_passphrase(
            data_key, passphrase, params, vault_id, VAULT_FORMAT_VERSION
        )
        rec_slot = keyslots.wrap_with_recovery(
            data_key, recovery_key, vault_id, VAULT_FORMAT_VERSION
        )
        engine = store_engine.sqlite_engine(tmp)
        try:
            migrate.upgrade(engine)
            with Session(engine) as s, s.begin():
                s.add(VaultRow(
                    id=vault_id, format_version=VAULT_FORMAT_VERSION,
                    created_period=_period(now), current_key_id=key_id, notice_text=notice,
                ))
                s.flush()
                for slot in (pass_slot, rec_slot):
                    vault_meta.write_slot(s, vault_id, key_id, VAULT_FORMAT_VERSION, slot)
            store_engine.checkpoint(engine)
        finally:
            engine.dispose()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        fsync_dir(final.parent)
        opened = self._open_with_key(data_key, vault_id, key_id)
        opened.check_notice()  # seals the authenticating copy of the notice
        return opened

    # -- opening ------------------------------------------------------------------------
    def _engine(self) -> Engine:
        if not self.exists():
            raise NoVaultError(f"no vault in {self.data_dir.root}")
        return store_engine.sqlite_engine(self.data_dir.database)

    def read_notice(self) -> str:
        """The confidentiality notice; readable without any key (it is public text)."""
        engine = self._engine()
        try:
            with Session(engine) as s:
                return vault_meta.read_vault(s).notice_text
        except (DatabaseError, vault_meta.VaultMissingError) as exc:
            raise VaultCorruptError("the vault file cannot be read") from exc
        finally:
            engine.dispose()

    def _read_slot(
        self, engine: Engine, slot: str
    ) -> tuple[VaultRow, keyslots.WrappedKey, str]:
        try:
            with Session(engine, expire_on_commit=False) as s:
                vault = vault_meta.read_vault(s)
                found = vault_meta.read_slot(s, slot)
                s.expunge_all()
        except OperationalError as exc:
            raise VaultCorruptError("the vault file cannot be read") from exc
        except (DatabaseError, vault_meta.VaultMissingError) as exc:
            raise VaultCorruptError("the file is not a peersupport vault or is damaged") from exc
        if found is None:
            raise VaultCorruptError(f"the vault has no {slot} key slot")
        row, wrapped = found
        if row.vault_id != vault.id or row.schema_version != vault.format_version:
            raise TamperError("the key slot does not belong to this vault")
        return vault, wrapped, row.key_id

    def unlock(self, passphrase: str) -> UnlockedVault:
        engine = self._engine()
        try:
            vault, wrapped, key_id = self._read_slot(engine, keyslots.SLOT_PASSPHRASE)
            data_key = keyslots.unwrap_with_passphrase(
                wrapped, passphrase, self.profile, vault.id, vault.format_version
            )
        finally:
            engine.dispose()
        return self._open_with_key(data_key, vault.id, key_id)

    def unlock_with_recovery(self, recovery_text: str, new_passphrase: str) -> UnlockedVault:
        """Open with the recovery key and set a new passphrase in the same step."""
        recovery_key = recovery.parse(recovery_text)
        engine = self._engine()
        try:
            vault, wrapped, key_id = self._read_slot(engine, keyslots.SLOT_RECOVERY)
            data_key = keyslots.unwrap_with_recovery(
                wrapped, recovery_key, vault.id, vault.format_version
            )
        finally:
            recovery_key.wipe()
            engine.dispose()
        opened = self._open_with_key(data_key, vault.id, key_id)
        try:
            opened.set_passphrase(new_passphrase)
        except BaseException:
            opened.lock()
            raise
        return opened

    def _open_with_key(self, data_key: SecretKey, vault_id: str, key_id: str) -> UnlockedVault:
        engine = store_engine.sqlite_engine(self.data_dir.database)
        try:
            if migrate.needs_upgrade(engine):
                self._copy_before_migration(engine, data_key, vault_id)
                migrate.upgrade(engine)
        except BaseException:
            engine.dispose()
            data_key.wipe()
            raise
        opened = UnlockedVault(self.data_dir, engine, vault_id, key_id, data_key, self.profile)
        try:
            # check-ins written before the sealed month index existed: index them once
            opened.checkins().ensure_month_indexes()
            opened.request_key_status = opened.requests().ensure_keys()
            opened.statistics().ensure_records()  # once, for check-ins saved before them
        except BaseException:
            opened.lock()
            raise
        return opened

    def _copy_before_migration(self, engine: Engine, data_key: SecretKey, vault_id: str) -> None:
        """An encrypted copy of the whole database, written before any migration runs."""
        from_rev = migrate.current_revision(engine) or "base"
        with Session(engine) as s:
            slots = tuple(
                found[1]
                for name in (keyslots.SLOT_PASSPHRASE, keyslots.SLOT_RECOVERY)
                if (found := vault_meta.read_slot(s, name)) is not None
            )
        header = backup_file.new_header(vault_id, VAULT_FORMAT_VERSION, slots)
        target = ensure(self.data_dir.root).backups / (
            f"pre-migration-{from_rev}-to-{migrate.HEAD_REVISION}.psbak"
        )
        write_atomic(target, backup_file.encrypt(header, data_key, snapshot.database_bytes(engine)))
        log.info("encrypted copy written before migrating the vault")

    # -- whole-vault checks ---------------------------------------------------------------
    def verify(self, passphrase: str) -> VerifyReport:
        opened = self.unlock(passphrase)
        try:
            return opened.verify()
        finally:
            opened.lock()


def new_recovery_key() -> tuple[SecretKey, str]:
    key = recovery.generate()
    return key, recovery.format_key(key)

"""SQLAlchemy 2 tables. Columns ending in ``_sealed`` hold field blobs; every other column
is plaintext and must appear in ``PLAINTEXT_ALLOW_LIST`` (a test enforces this)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class VaultRow(Base):
    __tablename__ = "vault"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    format_version: Mapped[int] = mapped_column(Integer)
    created_period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    current_key_id: Mapped[str] = mapped_column(String(32))
    # The notice is a public template every officer is shown (even while the vault is
    # locked, on the request form); it names no one.
    notice_text: Mapped[str] = mapped_column(Text)


class KeySlotRow(Base):
    __tablename__ = "key_slot"

    slot: Mapped[str] = mapped_column(String(16), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    kdf_algorithm: Mapped[str] = mapped_column(String(16))
    kdf_memory_kib: Mapped[int] = mapped_column(Integer)
    kdf_iterations: Mapped[int] = mapped_column(Integer)
    kdf_lanes: Mapped[int] = mapped_column(Integer)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)


class OfficerRow(Base):
    __tablename__ = "officer"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    alias_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    full_name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    contact_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    notes_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    notice_given_at_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class CheckinRow(Base):
    __tablename__ = "checkin"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7), index=True)
    incident_category: Mapped[str] = mapped_column(String(32))
    contact_type: Mapped[str] = mapped_column(String(32))
    initiated_by: Mapped[str] = mapped_column(String(32))
    recipient_class: Mapped[str] = mapped_column(String(32))
    duration_bucket: Mapped[str] = mapped_column(String(16))
    referral_types: Mapped[str] = mapped_column(String(200))  # sorted codes, comma-separated
    summary_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    incident_ref_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    referral_providers_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    notes_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class CheckinMonthRow(Base):
    """The sealed index of one month's check-ins: each one's exact time and id, sorted, so
    the newest rows can be found without opening every summary of the month."""

    __tablename__ = "checkin_month"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    entries_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class DraftRow(Base):
    """A form that was open when the vault locked; restored after unlock, then removed."""

    __tablename__ = "draft"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class VaultSecretRow(Base):
    """Sealed values that belong to the vault as a whole (e.g. the copy of the notice that
    authenticates the public one). ``id`` is a fixed name, bound into the associated data."""

    __tablename__ = "vault_secret"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    value_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class FollowupPlanRow(Base):
    """One follow-up plan (one check-in, one officer), sealed whole. The id is derived from
    the check-in and officer ids with a sealed per-vault key, so it links to neither in clear."""

    __tablename__ = "followup_plan"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    plan_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class FollowupAgendaRow(Base):
    """The sealed agenda of pending follow-up steps (see store/followup_agenda.py)."""

    __tablename__ = "followup_agenda"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[int] = mapped_column(Integer)
    entries_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class RequestKeyRow(Base):
    """The vault's X25519 public key for follow-up requests (its private half is sealed in
    ``vault_secret``), and the name the supporter chose to print on their request card."""

    __tablename__ = "request_key"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # "current"
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    display_name: Mapped[str] = mapped_column(String(80))


class FollowRequestRow(Base):
    """A follow-up request. Until the vault is next unlocked it is only ``envelope``: the
    request file sealed to the public key, written without any key of the vault. On unlock it
    is opened and re-sealed under the data key (``record_sealed``) and the envelope dropped."""

    __tablename__ = "follow_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vault_id: Mapped[str] = mapped_column(ForeignKey("vault.id"))
    is_new: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    schema_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    record_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class StatRecordRow(Base):
    """One contact's coarse statistics, kept apart from the check-in (see store/stat_records).
    Stored WITHOUT ROWID, ordered by month then by its random id, so the order rows were
    written in does not pair them with check-ins."""

    __tablename__ = "stat_record"
    # clustered by month: counting a range of months reads those rows in one sweep
    __table_args__ = (
        Index("ix_stat_record_id", "id", unique=True),
        {"sqlite_with_rowid": False},
    )

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_category: Mapped[str] = mapped_column(String(32))
    contact_type: Mapped[str] = mapped_column(String(32))
    initiated_by: Mapped[str] = mapped_column(String(32))
    recipient_class: Mapped[str] = mapped_column(String(32))
    duration_bucket: Mapped[str] = mapped_column(String(16))
    referral_types: Mapped[str] = mapped_column(String(200))  # sorted codes, comma-separated
    followup: Mapped[str] = mapped_column(String(8))  # "", on_time or late


# Every plaintext column, and why it may be plaintext. Anything else must be sealed.
PLAINTEXT_ALLOW_LIST: dict[str, dict[str, str]] = {
    "vault": {
        "id": "random UUID",
        "format_version": "vault format number",
        "created_period": "coarse month the vault was created",
        "current_key_id": "random key id",
        "notice_text": "public confidentiality-notice template shown to every officer",
    },
    "key_slot": {
        "slot": "slot name: passphrase or recovery",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
        "kdf_algorithm": "KDF name",
        "kdf_memory_kib": "KDF cost",
        "kdf_iterations": "KDF cost",
        "kdf_lanes": "KDF cost",
        "kdf_salt": "random salt",
        "wrapped_key": "AES-GCM wrapped data key",
    },
    "officer": {
        "id": "random UUID",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "checkin": {
        "id": "random UUID",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
        "period": "coarse month of the contact, for anonymized counts",
        "incident_category": "fixed category code, for anonymized counts",
        "contact_type": "fixed category code, for anonymized counts",
        "initiated_by": "fixed category code, for anonymized counts",
        "recipient_class": "fixed category code, for anonymized counts",
        "duration_bucket": "coarse duration code, for anonymized counts",
        "referral_types": "fixed referral codes, for anonymized counts",
    },
    "checkin_month": {
        "period": "coarse month, the same value check-ins of that month hold in clear",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "draft": {
        "id": "random UUID",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "vault_secret": {
        "id": "fixed name of the value (e.g. 'notice')",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "followup_plan": {
        "id": "keyed hash of check-in and officer ids: links to neither without the key",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "followup_agenda": {
        "id": "fixed name 'agenda'",
        "vault_id": "random UUID",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "request_key": {
        "id": "fixed name 'current'",
        "vault_id": "random UUID",
        "public_key": "X25519 public key requests are sealed to (public by design)",
        "display_name": "name the supporter chose to print on their public request card",
    },
    "follow_request": {
        "id": "random request id; its first 8 characters are the officer's reference code",
        "vault_id": "random UUID",
        "is_new": "1 until the supporter has seen it: the lock screen's 'N new requests'",
        "envelope": "request file sealed to the public key, until the next unlock",
        "key_id": "random key id",
        "schema_version": "format number",
    },
    "stat_record": {
        "id": "keyed hash of the check-in id: links to it only with a key sealed in the vault",
        "period": "coarse month of the contact",
        "incident_category": "fixed category code",
        "contact_type": "fixed category code",
        "initiated_by": "fixed category code",
        "recipient_class": "fixed category code",
        "duration_bucket": "coarse duration code",
        "referral_types": "fixed referral codes",
        "followup": "whether a follow-up step this contact completed was on time",
    },
    "alembic_version": {"version_num": "migration revision id"},
}

"""``peersupport request`` as officers and supporters run it: a request submitted without any
passphrase, read after unlock and never in the clear at rest; request files sealed with a
card on a computer without a vault, exported cards, imports that refuse changed, cut, foreign,
repeated, oversized and newer files (writing nothing), the inbox listing, and the form window
opened without a passphrase."""

from __future__ import annotations

import builtins
import inspect
import io
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from peersupport import cli
from peersupport.crypto.request_card import RequestCard, parse_card
from peersupport.domain.follow_request import request_from_json
from peersupport.paths import DataDir, ensure
from peersupport.services.requests import RequestDrop, seal_for_card
from peersupport.services.vault import VaultService, new_recovery_key
from tests._support import CLI_PASSPHRASE, FLOOR, Run, raw_execute, raw_one, raw_query, scan

REPO = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"Reference: ([0-9A-Z]{4})-([0-9A-Z]{4})\n")
CANARIES = {
    "address_as": "Sergeant Canarywhistle",
    "contact": "canary-reach-7741@example.invalid",
    "best_times": "after the canary shift ends",
    "message": "CNRYMSG-5522 I have not slept since the call\nsecond line",
}
TYPED: dict[str, Any] = {
    "urgency": "within_24h",
    "address_as": CANARIES["address_as"],
    "contact": {"method": "email", "detail": CANARIES["contact"]},
    "best_times": CANARIES["best_times"],
    "message": CANARIES["message"],
}
JSON_KEYS = {
    "id", "reference", "state", "seen", "urgency", "submitted_at", "received_at", "via",
    "address_as", "contact_method", "contact", "best_times", "message", "officer_id",
    "plan_id", "follow_up_at", "note", "handled_at",
}
UTC_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@dataclass
class Templates:
    vault: Path  # the supporter's vault (locked; request key made at creation)
    card: RequestCard
    other_card: RequestCard  # another supporter's vault


def _new_vault(root: Path) -> RequestCard:
    key, _ = new_recovery_key()
    VaultService(ensure(root), FLOOR).create(CLI_PASSPHRASE, key).lock()
    return RequestDrop(DataDir(root)).card()


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    base = tmp_path_factory.mktemp("cli-requests")
    card = _new_vault(base / "vault")
    other = _new_vault(base / "other")
    return Templates(base / "vault", card, other)


@pytest.fixture
def root(templates: Templates, tmp_path: Path) -> Path:
    target = tmp_path / "vault"
    shutil.copytree(templates.vault, target)
    return target


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], root: Path) -> Any:
    def go(*args: str, stdin: str = CLI_PASSPHRASE + "\n", passphrase: bool = True,
           data_dir: Path | None = None) -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        out = io.StringIO()
        argv = ["--data-dir", str(data_dir or root), *args]
        if passphrase:
            argv.append("--passphrase-stdin")
        try:
            code = cli.main(argv, out=out)
        except SystemExit as exit_:  # argparse's usage errors leave through SystemExit
            code = int(exit_.code or 0)
        return Run(code, out.getvalue(), capsys.readouterr().err)

    return go


def rows(root: Path) -> list[tuple[object, ...]]:
    return raw_query(DataDir(root).database,
                     "SELECT id, envelope IS NOT NULL, record_sealed IS NOT NULL "
                     "FROM follow_request ORDER BY id")


def db_bytes(root: Path) -> bytes:
    return DataDir(root).database.read_bytes()


def count(root: Path) -> int:
    value = raw_one(DataDir(root).database, "SELECT count(*) FROM follow_request")
    assert isinstance(value, int)
    return value


def reference_of(result: Run) -> str:
    found = REFERENCE.search(result.out)
    assert found, result.out
    return f"{found.group(1)}-{found.group(2)}"


def listed(run: Any) -> list[dict[str, Any]]:
    result = run("request", "list", "--json")
    assert result.code == 0, result.err
    assert result.err == ""
    value = json.loads(result.out)
    assert isinstance(value, list)
    return value


def sealed(card: RequestCard, urgency: str = "routine", message: str = "call me") -> bytes:
    return seal_for_card(card, request_from_json({"urgency": urgency, "message": message}))[1]


def psreq(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# -- submit to the vault on this computer -----------------------------------------------------
def test_submit_needs_no_passphrase_and_the_reference_names_the_new_row(
    run: Any, root: Path
) -> None:
    result = run("request", "submit", "--file", "-",
                 stdin=json.dumps({"urgency": "routine", "message": "hello"}), passphrase=False)
    assert result.code == 0, result.err
    assert result.err == ""
    assert re.fullmatch(r"Request sent\. Reference: [0-9A-Z]{4}-[0-9A-Z]{4}\n", result.out)
    reference = reference_of(result)
    # one envelope (sealed to the public key), not yet opened: nothing under the data key
    ((row_id, has_envelope, has_record),) = rows(root)
    assert str(row_id)[:8] == reference.replace("-", "")
    assert (has_envelope, has_record) == (1, 0)


def test_an_urgent_request_also_prints_crisis_lines(run: Any, root: Path) -> None:
    (root / "settings.json").write_text(json.dumps(
        {"crisis_resources": "Agency EAP line: 555-0199"}), encoding="utf-8")
    result = run("request", "submit", "--file", "-",
                 stdin=json.dumps({"urgency": "urgent_now"}), passphrase=False)
    assert result.code == 0, result.err
    assert "988" in result.out
    assert "Agency EAP line: 555-0199" in result.out
    routine = run("request", "submit", "--file", "-",
                  stdin=json.dumps({"urgency": "routine"}), passphrase=False)
    assert "988" not in routine.out


def test_a_request_is_read_after_unlock_and_never_written_in_the_clear(
    run: Any, root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(TYPED), encoding="utf-8")
    submitted = run("request", "submit", "--file", str(path), passphrase=False)
    assert submitted.code == 0, submitted.err
    assert scan(root, CANARIES.values()) == []

    (row,) = listed(run)
    assert set(row) == JSON_KEYS
    assert row["reference"] == reference_of(submitted)
    assert row["id"].startswith(row["reference"].replace("-", ""))
    assert (row["urgency"], row["address_as"], row["contact_method"], row["contact"],
            row["best_times"], row["message"]) == (
        "within_24h", CANARIES["address_as"], "email", CANARIES["contact"],
        CANARIES["best_times"], CANARIES["message"])
    assert (row["state"], row["seen"], row["via"]) == ("open", False, "command")
    assert (row["officer_id"], row["plan_id"], row["follow_up_at"], row["handled_at"],
            row["note"]) == (None, None, None, None, "")
    assert UTC_TEXT.match(row["received_at"]) and UTC_TEXT.match(row["submitted_at"])
    # opened at unlock and sealed again under the data key: the envelope is gone
    assert [r[1:] for r in rows(root)] == [(0, 1)]
    assert scan(root, CANARIES.values()) == []
    assert listed(run) == [row]  # listing again opens nothing twice


def test_text_listing_shows_each_field_and_refuses_terminal_controls(run: Any) -> None:
    # a bidi override could make a listing read differently than stored: refused at submit
    refused = run("request", "submit", "--file", "-", passphrase=False,
                  stdin=json.dumps({"urgency": "urgent_now", "message": "evil \u202e reversed"}))
    assert refused.code == 2 and "control characters" in refused.err
    for body in (TYPED, {"urgency": "urgent_now", "message": "evil reversed"}):
        assert run("request", "submit", "--file", "-", stdin=json.dumps(body),
                   passphrase=False).code == 0
    result = run("request", "list")
    assert result.code == 0, result.err
    first, second = result.out.split("\n\n")
    # urgent first; an anonymous request says so
    assert re.match(r"^[0-9A-Z]{4}-[0-9A-Z]{4}  open      urgent_now  \S+Z  \(anonymous\)  new\n",
                    first)
    assert "evil reversed" in first
    assert f"  {CANARIES['address_as']}  new\n" in second
    assert f"  contact:    E-mail {CANARIES['contact']}\n" in second
    assert f"  best times: {CANARIES['best_times']}\n" in second
    assert "  message:    CNRYMSG-5522 I have not slept since the call\n" \
           "              second line\n" in second


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ('{"urgency": "asap"}', "invalid request: Choose how soon: urgent_now, within_24h, "
                                "routine (not 'asap')."),
        ('{"urgency": "routine", "colour": "red"}', "invalid request: Unknown field(s): colour."),
        ('{"urgency": "routine",', "invalid request: not valid JSON"),
        ("", "invalid request: not valid JSON"),
        ('["routine"]', "invalid request: The request must be a JSON object."),
        ('{"message": "hi"}', "invalid request: 'urgency' is required"),
        ('{"urgency": "routine", "urgency": "urgent_now"}',
         "invalid request: the key 'urgency' appears twice"),
        ('{"urgency": "routine", "message": 5}', "invalid request: 'message' must be text."),
        ('{"urgency": "routine", "contact": {"method": "phone"}}',
         "invalid request: Add the phone to reach you at"),
        ('{"urgency": "routine", "contact": {"method": "fax", "detail": "1"}}',
         "invalid request: How to reach you must be one of"),
        (json.dumps({"urgency": "routine", "message": "x" * 2001}),
         "invalid request: The message can be at most 2,000 characters"),
    ],
)
def test_invalid_input_exits_2_with_one_line_and_writes_nothing(
    run: Any, root: Path, stdin: str, message: str
) -> None:
    before = db_bytes(root)
    result = run("request", "submit", "--file", "-", stdin=stdin, passphrase=False)
    assert result.code == 2
    assert result.one_line_error().startswith("peersupport: " + message)
    assert result.out == ""
    assert count(root) == 0
    assert db_bytes(root) == before


def test_unreadable_or_oversized_input_exits_2(run: Any, root: Path, tmp_path: Path) -> None:
    missing = run("request", "submit", "--file", str(tmp_path / "nope.json"), passphrase=False)
    assert missing.code == 2
    assert "cannot read the request" in missing.one_line_error()
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"urgency": "routine", "message": "x" * 70_000}))
    too_big = run("request", "submit", "--file", str(big), passphrase=False)
    assert too_big.code == 2
    assert too_big.one_line_error() == "peersupport: invalid request: larger than 64 KiB"
    assert count(root) == 0


def test_submit_without_a_vault_exits_2(run: Any, tmp_path: Path) -> None:
    result = run("request", "submit", "--file", "-", stdin='{"urgency": "routine"}',
                 passphrase=False, data_dir=tmp_path / "none")
    assert result.code == 2
    assert result.one_line_error() == f"peersupport: no vault in {tmp_path / 'none'}"


def test_a_vault_that_cannot_take_requests_yet_exits_1(run: Any, root: Path) -> None:
    raw_execute(DataDir(root).database, "DELETE FROM request_key")
    result = run("request", "submit", "--file", "-", stdin='{"urgency": "routine"}',
                 passphrase=False)
    assert result.code == 1
    assert "cannot take requests yet" in result.one_line_error()
    assert count(root) == 0


# -- cards --------------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_card_export_writes_the_vaults_card_and_its_qr_code(
    run: Any, root: Path, tmp_path: Path, templates: Templates
) -> None:
    out = tmp_path / "rivera.pscard"
    result = run("request", "card", "export", str(out))
    assert result.code == 0, result.err
    card = parse_card(out.read_bytes())
    assert card == templates.card == RequestDrop(DataDir(root)).card()
    image = tmp_path / "rivera.png"
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert result.out == (f"Request card: {out}\nQR code: {image}\n"
                          f"Fingerprint: {card.fingerprint}\n")
    for path in (out, image):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    bare = run("request", "card", "export", str(tmp_path / "card"))
    assert bare.code == 0, bare.err
    assert (tmp_path / "card.png").read_bytes().startswith(b"\x89PNG")
    clash = run("request", "card", "export", str(tmp_path / "qr.png"))
    assert clash.code == 2
    assert "same name" in clash.one_line_error()
    assert not (tmp_path / "qr.png").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_card_request_needs_no_vault_and_the_supporter_imports_it(
    run: Any, root: Path, tmp_path: Path, templates: Templates
) -> None:
    card_path = tmp_path / "card.pscard"
    card_path.write_text(templates.card.to_text(), encoding="utf-8")
    officer = tmp_path / "officer-laptop"  # no vault, not even a folder
    out = tmp_path / "mine.psreq"
    made = run("request", "submit", "--card", str(card_path), "--out", str(out),
               "--file", "-", stdin=json.dumps(TYPED), passphrase=False, data_dir=officer)
    assert made.code == 0, made.err
    assert made.err == ""
    reference = reference_of(made)
    assert made.out.startswith(f"Request sealed in {out}. Reference: {reference}\n")
    assert f"Fingerprint: {templates.card.fingerprint}\n" in made.out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not officer.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert scan(tmp_path, CANARIES.values()) == []  # the file is sealed too

    # the card may also come before the action
    later = tmp_path / "later.psreq"
    again = run("request", "--card", str(card_path), "submit", "--out", str(later),
                "--file", "-", stdin='{"urgency": "urgent_now"}', passphrase=False,
                data_dir=officer)
    assert again.code == 0, again.err
    assert "988" in again.out

    imported = run("request", "import", str(out), str(later))
    assert imported.code == 0, imported.err
    assert imported.out.splitlines() == [
        f"imported {out}: reference {reference} (within_24h)",
        f"imported {later}: reference {reference_of(again)} (urgent_now)",
    ]
    by_reference = {r["reference"]: r for r in listed(run)}
    row = by_reference[reference]
    assert (row["via"], row["message"], row["contact"]) == (
        "file", CANARIES["message"], CANARIES["contact"])
    assert scan(root, CANARIES.values()) == []


def test_a_card_request_never_replaces_a_file(run: Any, tmp_path: Path,
                                              templates: Templates) -> None:
    card_path = tmp_path / "card.pscard"
    card_path.write_text(templates.card.to_text(), encoding="utf-8")
    out = tmp_path / "taken.psreq"
    out.write_bytes(b"keep me")
    result = run("request", "submit", "--card", str(card_path), "--out", str(out), "--file", "-",
                 stdin='{"urgency": "routine"}', passphrase=False)
    assert result.code == 1
    assert "already exists" in result.one_line_error()
    assert result.out == ""
    assert out.read_bytes() == b"keep me"


def _edited_card(card: RequestCard, **changes: Any) -> str:
    body = json.loads(card.to_text())
    body.update(changes)
    return json.dumps(body)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: c.to_text()[:-10], "this is not a peersupport request card"),
        (lambda c: "hello", "this is not a peersupport request card"),
        (lambda c: _edited_card(c, public_key=("0" if c.public_key.hex()[0] != "0" else "1")
                                + c.public_key.hex()[1:]),
         "the request card's fingerprint does not match its key"),
        (lambda c: _edited_card(c, version=2), "request card version 2 is not supported"),
        (lambda c: _edited_card(c, colour="red"),
         "the request card is incomplete or has unknown fields"),
    ],
)
def test_a_corrupt_card_exits_2_and_writes_nothing(
    run: Any, tmp_path: Path, templates: Templates, make: Any, message: str
) -> None:
    card_path = tmp_path / "card.pscard"
    card_path.write_text(make(templates.card), encoding="utf-8")
    out = tmp_path / "r.psreq"
    result = run("request", "submit", "--card", str(card_path), "--out", str(out),
                 "--file", "-", stdin='{"urgency": "routine"}', passphrase=False)
    assert result.code == 2
    assert result.one_line_error().startswith("peersupport: invalid request card: " + message)
    assert result.out == ""
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit", "--card", "c.pscard", "--file", "-"], "--card and --out go together"),
        (["submit", "--out", "r.psreq", "--file", "-"], "--card and --out go together"),
        (["submit"], "the following arguments are required: --file"),
        (["card"], "the following arguments are required: ACTION"),
        (["import"], "the following arguments are required: FILE"),
    ],
)
def test_usage_errors_exit_2(run: Any, args: list[str], message: str) -> None:
    result = run("request", *args, stdin='{"urgency": "routine"}', passphrase=False)
    assert result.code == 2
    assert message in result.one_line_error()


# -- import -------------------------------------------------------------------------------------
def _flip_body(data: bytes) -> bytes:
    edited = bytearray(data)
    edited[-20] ^= 0x01  # inside the ciphertext
    return bytes(edited)


def _newer_version(data: bytes) -> bytes:
    edited = bytearray(data)
    struct.pack_into(">H", edited, 8, 2)
    return bytes(edited)


REFUSALS: dict[str, tuple[Callable[[Templates], bytes], int, str]] = {
    "tampered": (lambda t: _flip_body(sealed(t.card)), 4, "failed its integrity check"),
    "truncated": (lambda t: sealed(t.card)[:-10], 2, "not a whole Peer Support request"),
    "other-vault": (lambda t: sealed(t.other_card), 2, "sealed to another peer supporter's"),
    "oversized": (lambda t: bytes(65 * 1024), 2, "too large to be a request (over 64 KiB)"),
    "newer": (lambda t: _newer_version(sealed(t.card)), 2, "made by a newer version"),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_import_refuses_a_bad_file_with_one_clear_line_and_writes_nothing(
    run: Any, root: Path, tmp_path: Path, templates: Templates, kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make, code, message = REFUSALS[kind]
    path = psreq(tmp_path, f"{kind}.psreq", make(templates))
    opened: list[str] = []
    real_open = builtins.open

    def spying_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spying_open)
    before = count(root)
    result = run("request", "import", str(path))
    assert result.code == code
    (line,) = result.out.splitlines()
    assert line.startswith(f"refused {path}: ")
    assert message in line
    assert result.one_line_error() == "peersupport: 1 of 1 request file was refused" + (
        " (1 failed the integrity check)" if code == 4 else "")
    assert count(root) == before
    if kind == "oversized":  # refused on its size, never read
        assert str(path) not in opened
    else:
        assert str(path) in opened


def test_import_refuses_a_file_already_in_the_inbox(run: Any, root: Path, tmp_path: Path,
                                                    templates: Templates) -> None:
    path = psreq(tmp_path, "once.psreq", sealed(templates.card))
    first = run("request", "import", str(path))
    assert first.code == 0, first.err
    again = run("request", "import", str(path))
    assert again.code == 2
    reference = first.out.split("reference ")[1].split()[0]
    assert again.out == (f"refused {path}: Already imported: request {reference} is already "
                         "in your inbox.\n")
    assert again.one_line_error() == "peersupport: 1 of 1 request file was refused"
    assert count(root) == 1


def test_a_mix_imports_the_good_files_and_the_worst_refusal_sets_the_exit_code(
    run: Any, root: Path, tmp_path: Path, templates: Templates
) -> None:
    good = psreq(tmp_path, "good.psreq", sealed(templates.card, "urgent_now", "first"))
    cut = psreq(tmp_path, "cut.psreq", sealed(templates.card)[:-10])
    changed = psreq(tmp_path, "changed.psreq", _flip_body(sealed(templates.card)))
    good2 = psreq(tmp_path, "good2.psreq", sealed(templates.card, "routine", "second"))
    missing = tmp_path / "missing.psreq"
    result = run("request", "import", str(good), str(cut), str(changed), str(missing),
                 str(good2))
    assert result.code == 4
    verdicts = [line.split(" ", 2)[:2] for line in result.out.splitlines()]
    assert verdicts == [["imported", f"{good}:"], ["refused", f"{cut}:"],
                        ["refused", f"{changed}:"], ["refused", f"{missing}:"],
                        ["imported", f"{good2}:"]]
    assert "(urgent_now)" in result.out.splitlines()[0]
    assert "The file cannot be read (No such file or directory)." in result.out
    assert result.one_line_error() == (
        "peersupport: 3 of 5 request files were refused (1 failed the integrity check)")
    assert count(root) == 2
    assert sorted(r["message"] for r in listed(run)) == ["first", "second"]

    # without a changed file, the other refusals give 2
    good3 = psreq(tmp_path, "good3.psreq", sealed(templates.card))
    mixed = run("request", "import", str(good3), str(good))
    assert mixed.code == 2
    assert count(root) == 3


# -- listing, damage, passphrase ----------------------------------------------------------------
def test_a_damaged_request_is_never_shown_and_exits_4(run: Any, root: Path) -> None:
    for message in ("kept", "swapped", "waiting"):
        assert run("request", "submit", "--file", "-", passphrase=False, stdin=json.dumps(
            {"urgency": "routine", "message": message})).code == 0
    # listing opens the three and seals them under the data key
    by_message = {r["message"]: r["id"] for r in listed(run)}
    db = DataDir(root).database
    # one sealed record moved onto another row; one waiting envelope with a flipped byte
    raw_execute(db, "UPDATE follow_request SET record_sealed = (SELECT record_sealed FROM "
                "follow_request WHERE id = ?) WHERE id = ?",
                (by_message["kept"], by_message["swapped"]))
    assert run("request", "submit", "--file", "-", passphrase=False,
               stdin='{"urgency": "routine", "message": "envelope"}').code == 0
    (envelope_id,) = [r[0] for r in rows(root) if r[1]]
    envelope = raw_one(db, "SELECT envelope FROM follow_request WHERE id = ?", (envelope_id,))
    assert isinstance(envelope, bytes)
    data = bytearray(envelope)
    data[-20] ^= 1
    raw_execute(db, "UPDATE follow_request SET envelope = ? WHERE id = ?",
                (bytes(data), envelope_id))
    result = run("request", "list", "--json")
    assert result.code == 4
    assert result.one_line_error() == (
        "peersupport: 2 follow-up requests failed authentication and were not shown "
        "(run verify)")
    assert sorted(r["message"] for r in json.loads(result.out)) == ["kept", "waiting"]


@pytest.mark.parametrize("action", [["list"], ["list", "--json"], ["import", "FILE"],
                                    ["card", "export", "OUT"]])
def test_wrong_passphrase_exits_3_and_does_nothing(
    run: Any, root: Path, tmp_path: Path, templates: Templates, action: list[str]
) -> None:
    path = psreq(tmp_path, "r.psreq", sealed(templates.card))
    out = tmp_path / "card.pscard"
    args = [str(path) if a == "FILE" else str(out) if a == "OUT" else a for a in action]
    result = run("request", *args, stdin="not the passphrase at all\n")
    assert result.code == 3
    assert result.one_line_error() == "peersupport: wrong passphrase or recovery key"
    assert result.out == ""
    assert count(root) == 0
    assert not out.exists()


def test_passphrase_commands_need_a_vault(run: Any, tmp_path: Path) -> None:
    result = run("request", "list", data_dir=tmp_path / "none")
    assert result.code == 2
    assert "no vault in" in result.one_line_error()


# -- the form window ------------------------------------------------------------------------------
@pytest.fixture
def fake_form(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, Path | None]]:
    """Replaces ``run_request_gui``: the real one if the window module exists (checking its
    signature), otherwise a stand-in module."""
    calls: list[tuple[Path, Path | None]] = []

    def fake(data_root: Path, card_path: Path | None = None,
             argv: list[str] | None = None) -> int:
        calls.append((data_root, card_path))
        return 7

    name = "peersupport.ui.request_window"
    try:
        module = __import__(name, fromlist=["run_request_gui"])
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(module, "run_request_gui", fake, raising=False)
    else:
        parameters = list(inspect.signature(module.run_request_gui).parameters)
        assert parameters[:3] == ["data_root", "card_path", "argv"]
        monkeypatch.setattr(module, "run_request_gui", fake)
    return calls


def test_request_without_an_action_opens_the_form_without_a_passphrase(
    run: Any, root: Path, tmp_path: Path, fake_form: list[tuple[Path, Path | None]],
    templates: Templates,
) -> None:
    result = run("request", stdin="", passphrase=False)
    assert (result.code, result.out, result.err) == (7, "", "")
    assert fake_form == [(root.resolve(), None)]
    card_path = tmp_path / "card.pscard"
    card_path.write_text(templates.card.to_text(), encoding="utf-8")
    with_card = run("request", "--card", str(card_path), stdin="", passphrase=False)
    assert with_card.code == 7
    assert fake_form[1] == (root.resolve(), card_path.resolve())
    missing = run("request", "--card", str(tmp_path / "nope.pscard"), stdin="",
                  passphrase=False)
    assert missing.code == 2
    assert "no request card at" in missing.one_line_error()
    assert len(fake_form) == 2


# -- a real process -------------------------------------------------------------------------------
def _process(args: list[str], stdin: str, home: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("PEERSUPPORT_HOME",)}
    env.update(HOME=str(home), PEERSUPPORT_HOME=str(home / "unused"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "peersupport", *args], input=stdin, capture_output=True,
        text=True, cwd=REPO, env=env, timeout=120, check=False,
        start_new_session=True,  # no controlling terminal: nothing can be asked there
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.slow
def test_a_real_process_submits_without_a_passphrase_and_lists_after_unlock(
    root: Path, tmp_path: Path
) -> None:
    sent = _process(["--data-dir", str(root), "request", "submit", "--file", "-"],
                    json.dumps(TYPED), tmp_path)
    assert sent.code == 0, sent.err
    assert sent.err == ""
    reference = reference_of(sent)
    ((row_id, _, _),) = rows(root)
    assert str(row_id).startswith(reference.replace("-", ""))
    assert scan(root, CANARIES.values()) == []
    shown = _process(["--data-dir", str(root), "request", "list", "--json",
                      "--passphrase-stdin"], CLI_PASSPHRASE + "\n", tmp_path)
    assert shown.code == 0, shown.err
    (row,) = json.loads(shown.out)
    assert (row["reference"], row["message"], row["address_as"]) == (
        reference, CANARIES["message"], CANARIES["address_as"])
    assert scan(root, CANARIES.values()) == []
    bad = _process(["--data-dir", str(root), "request", "submit", "--file", "-"],
                   '{"urgency": "whenever"}', tmp_path)
    assert bad.code == 2
    assert bad.one_line_error().startswith("peersupport: invalid request: Choose how soon")
    assert len(rows(root)) == 1

"""Command-line commands on the vault's keys: ``change-passphrase`` and ``new-recovery-key``.

Same contract as the rest of the command line (see ``cli``): exit 2 for a weak, mismatched or
unchanged new passphrase (nothing is written), 3 for a wrong current passphrase (nothing is
written), one line on standard error for every failure. Both re-wrap the data key only: no
record is re-encrypted.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from peersupport import paths
from peersupport.cli import EXIT_OK, EXIT_USAGE, CliError, _read_passphrase

if TYPE_CHECKING:
    from peersupport.services.vault import VaultService


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register ``change-passphrase`` and ``new-recovery-key`` (called by ``cli``)."""
    change = sub.add_parser(
        "change-passphrase", help="choose a new passphrase (the records are not re-encrypted)",
        description="Asks for the current passphrase, then the new one twice. The data key "
        "is wrapped again under the new passphrase in one step: the old passphrase stops "
        "working, the records and the recovery key stay as they are.",
    )
    change.add_argument(
        "--passphrase-stdin", action="store_true",
        help="read the current passphrase from the first line of standard input and the new "
        "one from the second",
    )
    recovery = sub.add_parser(
        "new-recovery-key", help="make a new recovery key and print it once; the old one "
        "stops working",
        description="Asks for the passphrase, makes a new recovery key, prints it once and "
        "replaces the old one: the old recovery key no longer opens this vault.",
    )
    recovery.add_argument(
        "--passphrase-stdin", action="store_true",
        help="read the passphrase from the first line of standard input",
    )


def _service(args: argparse.Namespace) -> VaultService:
    from peersupport.services.vault import VaultService

    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    service = VaultService(data_dir)
    if not service.exists():
        raise CliError(f"no vault in {data_dir.root}", EXIT_USAGE)
    return service


def _cmd_change_passphrase(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.domain.passphrase import assess

    service = _service(args)
    old = _read_passphrase(args.passphrase_stdin, "Current passphrase: ", confirm=False)
    new = _read_passphrase(args.passphrase_stdin, "New passphrase: ", confirm=True)
    strength = assess(new)
    if not strength.acceptable:
        raise CliError(
            f"new passphrase too weak ({strength.label}): {strength.feedback}", EXIT_USAGE
        )
    if new == old:
        raise CliError("the new passphrase is the same as the current one", EXIT_USAGE)
    vault = service.unlock(old)  # a wrong passphrase leaves here (exit 3), nothing written
    try:
        vault.change_passphrase(old, new)
    finally:
        vault.lock()
    out.write("Passphrase changed. The old passphrase no longer opens this vault.\n")
    out.write("Backups made before now still open with the old passphrase.\n")
    return EXIT_OK


def _cmd_new_recovery_key(args: argparse.Namespace, out: TextIO) -> int:
    service = _service(args)
    passphrase = _read_passphrase(args.passphrase_stdin, "Passphrase: ", confirm=False)
    vault = service.unlock(passphrase)
    try:
        text = vault.new_recovery_key()
    finally:
        vault.lock()
    out.write("New recovery key made. The old recovery key no longer opens this vault.\n")
    out.write("Recovery key (shown once; write it on paper and keep it safe):\n")
    out.write(f"  {text}\n")
    return EXIT_OK


HANDLERS = {
    "change-passphrase": _cmd_change_passphrase,
    "new-recovery-key": _cmd_new_recovery_key,
}

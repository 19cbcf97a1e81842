"""``peersupport backup OUT`` and ``peersupport restore IN`` (see services.backup).

Exit codes as for the rest of the command line: 3 wrong passphrase or recovery key, 4 a backup
that is damaged, truncated or altered (nothing written), 2 usage (an existing OUT without
``--force``, a missing input, a target folder that is not empty), 1 the app is running for
the folder, or another error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from peersupport import paths
from peersupport.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, _read_passphrase


def _shown(text: str) -> str:
    from peersupport.cli_records import _clean

    return _clean(text)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    backup = sub.add_parser(
        "backup", help="write an encrypted backup of the vault to a file",
        description="Write the whole vault, encrypted, to OUT (readable by you only). It opens "
        "with the passphrase valid now, or with the recovery key.",
    )
    backup.add_argument("out", metavar="OUT", help="the backup file to write, such as "
                        "vault.psbak")
    backup.add_argument("--force", action="store_true", help="replace OUT if it exists")
    restore = sub.add_parser(
        "restore", help="check a backup and put it back in place of the vault",
        description="Check the whole backup first (nothing is written if any part is wrong), "
        "then replace the vault in the data folder with it. The database it replaces is kept "
        "in the folder's backups/ sub-folder. Refused while the app is running for the folder. "
        "The restored vault opens with the passphrase that was valid when the backup was made.",
    )
    restore.add_argument("source", metavar="IN", help="the backup file (.psbak)")
    restore.add_argument(
        "--target-dir", metavar="DIR",
        help="restore into this new or empty folder instead, leaving the vault untouched",
    )
    restore.add_argument(
        "--recovery-key", action="store_true",
        help="open the backup with the recovery key instead of the passphrase (typed at the "
        "prompt, or the first line of standard input with --passphrase-stdin)",
    )
    for command in (backup, restore):
        command.add_argument(
            "--passphrase-stdin", action="store_true",
            help="read the passphrase (or recovery key) from the first line of standard input",
        )


def _cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.cli_records import _unlocked
    from peersupport.services.backup import write_backup

    target = Path(args.out).expanduser()
    if not target.parent.is_dir():
        raise CliError(f"no folder {_shown(str(target.parent))} to write the backup in",
                       EXIT_USAGE)
    if target.is_dir() or (target.exists() and not args.force):
        raise CliError(f"{_shown(args.out)} already exists; it was not replaced (use --force)",
                       EXIT_USAGE)
    with _unlocked(args) as vault:
        info = write_backup(vault, target)
    out.write(f"Backup written to {_shown(str(info.path))}\n")
    out.write(f"size: {info.size:,} bytes\n")
    out.write(f"vault: {info.vault_id}\n")
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from peersupport.services.backup import (
        AppRunningError,
        BackupError,
        TargetNotEmptyError,
        restore_backup,
    )

    source = Path(args.source).expanduser()
    if not source.is_file():
        raise CliError(f"no backup file {_shown(args.source)}", EXIT_USAGE)
    data_dir = paths.DataDir(paths.resolve(args.data_dir))
    target = paths.DataDir(paths.resolve(args.target_dir)) if args.target_dir else None
    if target is not None and target.root == data_dir.root:
        raise CliError("--target-dir is the vault's own folder; leave it out to restore "
                       "in place", EXIT_USAGE)
    prompt = "Recovery key: " if args.recovery_key else "Passphrase of the backup: "
    secret = _read_passphrase(args.passphrase_stdin, prompt, confirm=False)
    try:
        info = restore_backup(
            source, data_dir, target_dir=target,
            passphrase=None if args.recovery_key else secret,
            recovery_text=secret if args.recovery_key else None,
        )
    except AppRunningError as exc:
        raise CliError(str(exc), EXIT_ERROR) from None
    except TargetNotEmptyError as exc:
        raise CliError(f"{exc}; choose a new or empty folder", EXIT_USAGE) from None
    except BackupError as exc:
        raise CliError(str(exc), EXIT_ERROR) from None
    out.write("Backup verified: every part authenticated.\n")
    out.write(f"Restored vault {info.vault_id} to {_shown(str(info.database))} "
              f"({info.database_size:,} bytes)\n")
    if info.replaced_copy is not None:
        kind = "encrypted copy" if info.replaced_encrypted else "copy"
        out.write(f"The database it replaced was kept ({kind}): "
                  f"{_shown(str(info.replaced_copy))}\n")
    out.write("Unlock it with the passphrase that was valid when the backup was made.\n")
    return EXIT_OK


HANDLERS = {"backup": _cmd_backup, "restore": _cmd_restore}

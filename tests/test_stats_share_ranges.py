"""Two shared files whose ranges overlap without being the same would let their difference
give away counts suppression hid: the supporter's app refuses such an export."""

from __future__ import annotations

import pytest

from peersupport.crypto import stats_file
from peersupport.services.demo import fill
from peersupport.services.statistics import ShareOverlapError, ShareRange
from peersupport.services.vault import UnlockedVault
from tests._support import raw_one


@pytest.fixture
def filled(vault: UnlockedVault) -> UnlockedVault:
    fill(vault, 120, seed=11)
    return vault


def test_nested_ranges_are_refused_and_nothing_is_remembered(filled: UnlockedVault) -> None:
    stats = filled.statistics()
    first = ShareRange("2026-01", "2026-03", "month")
    stats_file.read(stats.export(first))
    for overlapping in (ShareRange("2026-01", "2026-04", "month"),
                        ShareRange("2026-03", "2026-05", "month"),
                        ShareRange("2026-01", "2026-03", "quarter")):
        assert stats.check_share(overlapping) is not None
        with pytest.raises(ShareOverlapError, match="2026-01 to 2026-03"):
            stats.export(overlapping)
    assert stats.shared_ranges() == [first]


def test_the_same_range_again_and_disjoint_ranges_are_allowed(filled: UnlockedVault) -> None:
    stats = filled.statistics()
    first = ShareRange("2026-01", "2026-03", "quarter")
    again = stats.export(first)
    assert stats_file.read(stats.export(first)).tables == stats_file.read(again).tables
    later = ShareRange("2026-04", "2026-06", "month")
    assert stats.check_share(later) is None
    stats_file.read(stats.export(later))
    assert stats.shared_ranges() == [first, later]


def test_shared_ranges_are_sealed(filled: UnlockedVault) -> None:
    filled.statistics().export(ShareRange("2025-07", "2025-09", "month"))
    filled.checkpoint()
    blob = raw_one(filled.data_dir.database,
                   "SELECT value_sealed FROM vault_secret WHERE id = 'stats_shared_ranges'")
    assert isinstance(blob, bytes) and len(blob) > 16
    assert b"2025-07" not in blob and b"month" not in blob

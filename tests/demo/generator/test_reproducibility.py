"""Same seed, same bytes; another seed, other data; old output replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.generator import generate, telephony


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    generate(
        tmp_path / "a" / "landing", tmp_path / "a" / "truth", 300, seed=11, increments=1
    )
    generate(
        tmp_path / "b" / "landing", tmp_path / "b" / "truth", 300, seed=11, increments=1
    )
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(first) > 30
    assert first == second


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", 300, seed=11)
    generate(tmp_path / "b" / "landing", tmp_path / "b" / "truth", 300, seed=12)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first["landing/crm/almaty.json"] != second["landing/crm/almaty.json"]
    assert first["truth/entities.csv"] != second["truth/entities.csv"]


def test_existing_output_is_replaced(tmp_path: Path) -> None:
    landing, truth = tmp_path / "landing", tmp_path / "truth"
    generate(landing, truth, 200, seed=1, increments=3)
    (landing / "crm" / "leftover.json").write_text("{}")
    (landing / "unrelated.txt").write_text("keep me")
    generate(landing, truth, 100, seed=1)
    assert not (landing / "crm" / "leftover.json").exists()
    assert not (landing / "telephony" / "cdr-2026-11.csv").exists()
    assert (landing / "unrelated.txt").read_text() == "keep me"
    fresh = tmp_path / "fresh"
    generate(fresh / "landing", fresh / "truth", 100, seed=1)
    assert _files(tmp_path / "landing") | {} == {
        **_files(fresh / "landing"),
        "unrelated.txt": b"keep me",
    }


@pytest.mark.parametrize("customers", [0, -5, 10_000_001])
def test_customer_count_out_of_range_is_refused(tmp_path: Path, customers: int) -> None:
    with pytest.raises(ValueError, match="customers must be between 1 and"):
        generate(tmp_path / "landing", tmp_path / "truth", customers)


def test_months_sorted_in_runs_give_the_bytes_of_one_sort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month too long to sort in memory at once is sorted in runs and merged."""
    generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", 300, seed=5)
    monkeypatch.setattr(telephony, "SORT_RUN_LINES", 7)
    generate(tmp_path / "b" / "landing", tmp_path / "b" / "truth", 300, seed=5)
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert max(len(v.splitlines()) for k, v in first.items() if "cdr-" in k) > 3 * 7
    assert first == second
    assert not [p for p in (tmp_path / "b").rglob("*") if p.name.startswith("tmp")]

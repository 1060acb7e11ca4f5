"""The vendored official schemas are byte-for-byte the published OCPP 2.0.1 files.

``schemas/SHA256SUMS`` (``sha256sum`` format) lists the 128 JSON schemas and
``actions.csv``; the test recomputes every hash.  When the published distribution is
unpacked at /work/shared/ocpp-2.0.1 the files are also compared with it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SUMS = SCHEMA_DIR / "SHA256SUMS"
UPSTREAM = Path("/work/shared/ocpp-2.0.1")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listed() -> dict[str, str]:
    listed: dict[str, str] = {}
    for line in SUMS.read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    return listed


def test_sha256sums_lists_the_128_schemas_and_actions_csv() -> None:
    listed = _listed()
    assert len([n for n in listed if n.endswith(".json")]) == 128
    assert "actions.csv" in listed
    present = {p.name for p in SCHEMA_DIR.glob("*.json")} | {
        p.name for p in SCHEMA_DIR.glob("*.csv")
    }
    assert present == set(listed), (
        f"not listed: {sorted(present - set(listed))}, "
        f"missing: {sorted(set(listed) - present)}"
    )


def test_schema_files_match_their_recorded_hashes() -> None:
    changed = [n for n, d in _listed().items() if _sha256(SCHEMA_DIR / n) != d]
    assert not changed, f"modified: {changed}"


@pytest.mark.skipif(
    not (UPSTREAM / "schemas").is_dir(), reason=f"{UPSTREAM}/schemas not present"
)
def test_schema_files_match_the_published_distribution() -> None:
    upstream = {p.name: p for p in (UPSTREAM / "schemas").glob("*.json")}
    if (UPSTREAM / "actions.csv").is_file():
        upstream["actions.csv"] = UPSTREAM / "actions.csv"
    listed = _listed()
    assert {n for n in listed if n.endswith(".json")} == {
        n for n in upstream if n.endswith(".json")
    }
    differ = [n for n, p in upstream.items() if _sha256(p) != _sha256(SCHEMA_DIR / n)]
    assert not differ, f"differ from {UPSTREAM}: {differ}"

"""Pure conflict-of-interest rules: who may not judge which body."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

AFFILIATION_KINDS: dict[str, str] = {
    "institution": "Instansi tempat bekerja/berafiliasi",
    "parent_government": "Pemerintah induk (mis. pemda tempat bertugas)",
    "former_employer": "Bekas tempat bekerja",
    "family": "Hubungan keluarga dengan pimpinan/PPID",
    "other": "Lainnya",
}


def family_of(body_id: int, parent_of: Mapping[int, int | None]) -> set[int]:
    """The body and its parent body (a PPID pelaksana's PPID utama)."""
    parent = parent_of.get(body_id)
    return {body_id} if parent is None else {body_id, parent}


def is_conflicted(
    affiliated_body_ids: Iterable[int], body_id: int, parent_of: Mapping[int, int | None]
) -> bool:
    """True when an affiliation is the body or its parent body, or the body is the parent of an
    affiliated unit (a unit's staff do not judge their own government). Sibling units are not a
    conflict by themselves: declare the parent government for that."""
    target = family_of(body_id, parent_of)
    return any(a in target or body_id in family_of(a, parent_of) for a in affiliated_body_ids)

"""Permanent equation ids (gated_ref/registry.py): the committed registry and changes file
guard every published id; each way an id can break is planted and must be caught."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gated_ref as gr
from gated_ref import registry as reg
from gated_ref.exports import equation_records

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def records() -> list:
    return equation_records()


def write_changes(path: Path, *entries: dict) -> Path:
    """A changes file with these [[change]] tables (values are strings or True)."""
    lines = []
    for entry in entries:
        lines.append("[[change]]")
        for key, value in entry.items():
            lines.append(f"{key} = {'true' if value is True else json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_published_id_is_registered_with_its_content(records: list) -> None:
    """The guard itself: this build's equations are exactly what the committed registry and
    changes say (an id gone, new content or an unregistered id fails here, with what to do)."""
    found = reg.problems(records, reg.load_registry(), reg.load_changes())
    assert found == [], "\n".join(found)
    # the registry holds every id of this build, first published no later than this version
    registry = reg.load_registry()
    assert {r.id for r in records} <= set(registry) | set(
        reg.replay(registry, reg.load_changes()).current
    )
    assert all(e.since <= gr.__version__ for e in registry.values())


def test_the_fingerprint_is_of_the_published_srepr(records: list) -> None:
    """Independent of the module: SHA-256 of the srepr text, first 16 hex digits."""
    import hashlib

    rec = records[0]
    assert reg.fingerprint(rec) == hashlib.sha256(rec.srepr.encode()).hexdigest()[:16]


def test_changed_content_fails_until_recorded(records: list, tmp_path: Path) -> None:
    registry = reg.with_new_ids(records, {}, [], "0.1.0")
    victim = next(r for r in records if r.id == "lstm.h_t")
    changed = dataclasses.replace(victim, srepr=victim.srepr.replace("tanh", "sinh"))
    assert changed.srepr != victim.srepr
    now = [changed if r is victim else r for r in records]
    found = reg.problems(now, registry, [])
    old, new = reg.fingerprint(victim), reg.fingerprint(changed)
    assert found == [
        f"lstm.h_t: its content changed (fingerprint {old} -> {new}); record it in "
        f'{reg.CHANGES}: id = "lstm.h_t", old = "{old}", new = "{new}", version and reason'
    ]
    entry = {"id": "lstm.h_t", "version": "0.2.0", "old": old, "new": new, "reason": "sign fixed"}
    changes = reg.load_changes(write_changes(tmp_path / "c.toml", entry))
    assert reg.problems(now, registry, changes) == []
    # `add` never rewrites a published fingerprint
    assert reg.with_new_ids(now, registry, [], "0.2.0")["lstm.h_t"].fingerprint == old


def test_a_gone_id_fails_until_renamed_or_removed(records: list, tmp_path: Path) -> None:
    registry = reg.with_new_ids(records, {}, [], "0.1.0")
    victim = next(r for r in records if r.id == "gru.h_t")
    renamed = dataclasses.replace(victim, id="gru.h")
    now = [renamed if r is victim else r for r in records]
    found = reg.problems(now, registry, [])
    assert any(p.startswith("gru.h_t: a published id is gone") for p in found), found
    assert "gru.h: not in the registry; run python -m gated_ref.registry add" in found
    entry = {"id": "gru.h_t", "version": "0.2.0", "renamed_to": "gru.h", "reason": "shorter"}
    changes = reg.load_changes(write_changes(tmp_path / "c.toml", entry))
    assert reg.problems(now, registry, changes) == []
    state = reg.replay(registry, changes)
    assert state.aliases == {"gru.h_t": "gru.h"}
    # a second rename moves the first alias along: every old id lands on the equation
    again = {"id": "gru.h", "version": "0.3.0", "renamed_to": "gru.hidden", "reason": "clearer"}
    changes = reg.load_changes(write_changes(tmp_path / "c2.toml", entry, again))
    assert reg.replay(registry, changes).aliases == {"gru.h_t": "gru.hidden", "gru.h": "gru.hidden"}
    # removal
    gone = [r for r in records if r is not victim]
    entry = {"id": "gru.h_t", "version": "0.2.0", "removed": True, "reason": "withdrawn"}
    changes = reg.load_changes(write_changes(tmp_path / "c3.toml", entry))
    assert reg.problems(gone, registry, changes) == []
    # a removed or renamed id cannot come back as a new equation
    assert reg.problems(records, registry, changes) == [
        "gru.h_t: this id was renamed or removed before; a new equation needs a new id"
    ]


def test_a_new_id_must_be_registered(records: list) -> None:
    registry = reg.with_new_ids(records[1:], {}, [], "0.1.0")
    assert reg.problems(records, registry, []) == [
        f"{records[0].id}: not in the registry; run python -m gated_ref.registry add"
    ]
    added = reg.with_new_ids(records, registry, [], "0.2.0")
    assert added[records[0].id].since == "0.2.0"
    assert reg.problems(records, added, []) == []


def test_editing_a_cell_fails_the_check_naming_its_ids(tmp_path: Path) -> None:
    """A real edit (the GRU's candidate tanh made a sigmoid), in a copy of the package, run in
    a fresh interpreter: the check names the changed GRU ids and nothing else."""
    shutil.copytree(
        ROOT / "gated_ref", tmp_path / "gated_ref", ignore=shutil.ignore_patterns("__pycache__")
    )
    cell = tmp_path / "gated_ref" / "cells" / "gru.py"
    text = cell.read_text(encoding="utf-8")
    assert "sp.tanh(" in text
    cell.write_text(
        text.replace("sp.tanh(", "gr_sigmoid(", 1).replace(
            "import sympy as sp",
            "import sympy as sp\nfrom ..functions import sigmoid as gr_sigmoid",
            1,
        ),
        encoding="utf-8",
    )
    registry, changes = ROOT / reg.REGISTRY, ROOT / reg.CHANGES
    code = (
        "from gated_ref import registry as reg\n"
        "from gated_ref.exports import equation_records\n"
        f"known = reg.load_registry({str(registry)!r})\n"
        "known = {k: v for k, v in known.items() if k.startswith('gru.')}\n"
        f"changes = reg.load_changes({str(changes)!r})\n"
        "print('\\n'.join(reg.problems(equation_records(['gru']), known, changes)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(tmp_path),
            "GATED_REF_CACHE": str(tmp_path / "kc"),
        },
    ).stdout.splitlines()
    changed = [line.split(":")[0] for line in out]
    assert "gru.h_t" not in changed and "gru.n_t" in changed, out
    assert all(line.startswith("gru.") and "its content changed" in line for line in out), out


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"id": "lstm.c_t", "version": "0.2.0", "old": "0" * 16, "new": "1" * 16},
            "change 1 (id 'lstm.c_t'): no reason given; every change needs reason = \"...\"",
        ),
        (
            {
                "id": "lstm.c_t",
                "version": "0.2.0",
                "old": "0" * 16,
                "new": "1" * 16,
                "reason": "  ",
            },
            "change 1 (id 'lstm.c_t'): no reason given; every change needs reason = \"...\"",
        ),
        (
            {"id": "lstm.c_t", "version": "2", "removed": True, "reason": "r"},
            "change 1 (id 'lstm.c_t'), version: '2' is not a version (expected like '0.1.0')",
        ),
        (
            {"id": "lstm c_t", "version": "0.2.0", "removed": True, "reason": "r"},
            "change 1: id 'lstm c_t' is not an equation id (expected like 'lstm.c_t')",
        ),
        (
            {"id": "lstm.c_t", "version": "0.2.0", "old": "0" * 16, "reason": "r"},
            "change 1 (id 'lstm.c_t'): a content change needs both old and new fingerprints",
        ),
        (
            {"id": "lstm.c_t", "version": "0.2.0", "old": "xyz", "new": "1" * 16, "reason": "r"},
            "change 1 (id 'lstm.c_t'), old: 'xyz' is not a fingerprint (16 lower-case hex digits)",
        ),
        (
            {"id": "lstm.c_t", "version": "0.2.0", "reason": "r"},
            "change 1 (id 'lstm.c_t'): says nothing changed; "
            "give old and new, renamed_to, or removed",
        ),
        (
            {
                "id": "lstm.c_t",
                "version": "0.2.0",
                "removed": True,
                "renamed_to": "lstm.c",
                "reason": "r",
            },
            "change 1 (id 'lstm.c_t'): a removal cannot also rename or change the equation",
        ),
        (
            {"id": "lstm.c_t", "version": "0.2.0", "removed": True, "reason": "r", "why": "x"},
            "change 1: unknown keys ['why']",
        ),
    ],
)
def test_a_bad_change_entry_is_named(entry: dict, message: str, tmp_path: Path) -> None:
    path = write_changes(tmp_path / "c.toml", entry)
    with pytest.raises(reg.RegistryError) as info:
        reg.load_changes(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_a_change_that_does_not_fit_its_history_is_named(records: list, tmp_path: Path) -> None:
    registry = reg.with_new_ids(records, {}, [], "0.1.0")
    actual = registry["lstm.c_t"].fingerprint
    wrong = {"id": "lstm.c_t", "version": "0.2.0", "old": "0" * 16, "new": "1" * 16, "reason": "r"}
    with pytest.raises(
        reg.RegistryError, match=f"old = '{'0' * 16}', but the fingerprint before it is '{actual}'"
    ):
        reg.replay(registry, reg.load_changes(write_changes(tmp_path / "a.toml", wrong)))
    clash = {"id": "lstm.c_t", "version": "0.2.0", "renamed_to": "lstm.h_t", "reason": "r"}
    with pytest.raises(reg.RegistryError, match="renamed_to 'lstm.h_t' is an id already used"):
        reg.replay(registry, reg.load_changes(write_changes(tmp_path / "b.toml", clash)))
    unknown = {"id": "lstm.nope", "version": "0.2.0", "removed": True, "reason": "r"}
    with pytest.raises(reg.RegistryError, match="that id is not a current id"):
        reg.replay(registry, reg.load_changes(write_changes(tmp_path / "c.toml", unknown)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[", "not valid JSON"),
        ('{"ids": []}', "expected an object with an 'ids' object"),
        (
            '{"ids": {"lstm": {"fingerprint": "0000000000000000", "since": "0.1.0"}}}',
            "id 'lstm': not an equation id",
        ),
        (
            '{"ids": {"lstm.c_t": {"fingerprint": "00", "since": "0.1.0"}}}',
            "id 'lstm.c_t', fingerprint: '00' is not a fingerprint",
        ),
        (
            '{"ids": {"lstm.c_t": {"fingerprint": "0000000000000000"}}}',
            "id 'lstm.c_t': expected {'fingerprint': ..., 'since': ...}",
        ),
    ],
)
def test_a_bad_registry_is_named(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(reg.RegistryError, match="^" + re.escape(f"{path}: {message}")):
        reg.load_registry(path)


def test_the_registry_file_is_the_one_add_writes(records: list) -> None:
    """Committed, sorted, byte-stable: reading and writing it back changes no byte."""
    text = (ROOT / reg.REGISTRY).read_text(encoding="utf-8")
    assert reg.to_json(reg.load_registry()) == text

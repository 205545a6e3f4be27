"""Permanent equation ids: the registry of published ids and the log of their changes.

A citation of ``lstm.c_t`` must land, years later, on the same equation with the same meaning.
Two committed files keep that promise:

- ``data/equation_ids.json``, the registry: every id ever published, with a fingerprint of its
  mathematical content (the SHA-256 of its plain-SymPy ``srepr``, as ``equations.json``
  publishes it) and the version that first published it. Entries are only ever added
  (``python -m gated_ref.registry add``); an entry is never edited.
- ``data/equation_changes.toml``, the changes: each change to a published id, in order, with
  the version that made it and the reason. A change is one of: new content (``old`` and
  ``new`` fingerprints), a new name (``renamed_to``: the old id stays an alias, and its old
  anchor still lands on the equation), or removal (``removed = true``). The site's "Errata and
  changes" page is generated from it.

Replaying the changes over the registry gives what every id must be now; :func:`problems` lists
every way the equations of this build differ from that (``python -m gated_ref.registry check``,
and a test).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .exports import EquationRecord
from .lower import write_atomic

ROOT = Path(__file__).resolve().parents[1]
#: The registry and the changes, relative to the repository root.
REGISTRY = "data/equation_ids.json"
CHANGES = "data/equation_changes.toml"

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
_ID = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$")
_KEYS = {"id", "version", "reason", "old", "new", "renamed_to", "removed"}


class RegistryError(ValueError):
    """The registry or the changes file is malformed: the message names the entry and the field."""


@dataclass(frozen=True)
class Entry:
    """A published id: its fingerprint when first published, and that version."""

    fingerprint: str
    since: str


@dataclass(frozen=True)
class Change:
    """One recorded change to a published id (see the module docstring)."""

    id: str
    version: str
    reason: str
    old: str | None = None
    new: str | None = None
    renamed_to: str | None = None
    removed: bool = False

    @property
    def kind(self) -> str:
        """ "removed", "renamed", "renamed and changed" or "changed"."""
        if self.removed:
            return "removed"
        if self.renamed_to is not None:
            return "renamed and changed" if self.new is not None else "renamed"
        return "changed"


@dataclass(frozen=True)
class State:
    """What replaying the changes over the registry gives."""

    current: dict[str, str]  # id -> the fingerprint it must have now
    aliases: dict[str, str]  # old id -> the id it now lands on
    removed: dict[str, Change]  # id -> the change that removed it


def fingerprint(record: EquationRecord) -> str:
    """The fingerprint of an equation's mathematical content: 16 hex digits of the SHA-256 of
    its published ``srepr``."""
    return hashlib.sha256(record.srepr.encode("utf-8")).hexdigest()[:16]


def _path(path: Path | str | None, default: str) -> Path:
    return Path(path) if path is not None else ROOT / default


def load_registry(path: Path | str | None = None) -> dict[str, Entry]:
    """The registry (default :data:`REGISTRY`), checked: every id well formed, every
    fingerprint 16 hex digits, every version ``x.y.z``."""
    where = _path(path, REGISTRY)
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{where}: cannot read the equation id registry: {exc}") from exc
    except ValueError as exc:
        raise RegistryError(f"{where}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("ids"), dict):
        raise RegistryError(f"{where}: expected an object with an 'ids' object")
    entries = {}
    for ident, value in data["ids"].items():
        where_id = f"{where}: id {ident!r}"
        if not _ID.match(ident):
            raise RegistryError(f"{where_id}: not an equation id (expected like 'lstm.c_t')")
        if not isinstance(value, dict) or set(value) != {"fingerprint", "since"}:
            raise RegistryError(f"{where_id}: expected {{'fingerprint': ..., 'since': ...}}")
        _check_fingerprint(value["fingerprint"], f"{where_id}, fingerprint")
        _check_version(value["since"], f"{where_id}, since")
        entries[ident] = Entry(value["fingerprint"], value["since"])
    return entries


def _check_fingerprint(value: object, where: str) -> None:
    if not isinstance(value, str) or not _FINGERPRINT.match(value):
        raise RegistryError(f"{where}: {value!r} is not a fingerprint (16 lower-case hex digits)")


def _check_version(value: object, where: str) -> None:
    if not isinstance(value, str) or not _VERSION.match(value):
        raise RegistryError(f"{where}: {value!r} is not a version (expected like '0.1.0')")


def load_changes(path: Path | str | None = None) -> list[Change]:
    """The changes (default :data:`CHANGES`), in file order, each checked: a known id form, a
    version, a non-empty reason, and exactly one kind of change."""
    where = _path(path, CHANGES)
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{where}: cannot read the equation changes: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{where}: not valid TOML: {exc}") from exc
    extra = set(data) - {"change"}
    if extra:
        raise RegistryError(f"{where}: unknown top-level keys {sorted(extra)}; expected [[change]]")
    rows = data.get("change", [])
    if not isinstance(rows, list):
        raise RegistryError(f"{where}: 'change' must be an array of tables ([[change]])")
    return [_change(row, f"{where}: change {n}") for n, row in enumerate(rows, start=1)]


def _change(row: Mapping[str, object], where: str) -> Change:
    unknown = set(row) - _KEYS
    if unknown:
        raise RegistryError(
            f"{where}: unknown keys {sorted(unknown)}; expected some of {sorted(_KEYS)}"
        )
    ident = row.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise RegistryError(
            f"{where}: id {ident!r} is not an equation id (expected like 'lstm.c_t')"
        )
    where = f"{where} (id {ident!r})"
    reason = row.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise RegistryError(f'{where}: no reason given; every change needs reason = "..."')
    _check_version(row.get("version"), f"{where}, version")
    old, new, renamed, removed = (row.get(k) for k in ("old", "new", "renamed_to", "removed"))
    if removed not in (None, True):
        raise RegistryError(
            f"{where}: removed = {removed!r}; write removed = true, or leave it out"
        )
    if (old is None) != (new is None):
        raise RegistryError(f"{where}: a content change needs both old and new fingerprints")
    for key, value in (("old", old), ("new", new)):
        if value is not None:
            _check_fingerprint(value, f"{where}, {key}")
    if renamed is not None and (not isinstance(renamed, str) or not _ID.match(renamed)):
        raise RegistryError(f"{where}: renamed_to {renamed!r} is not an equation id")
    if removed and (renamed is not None or old is not None):
        raise RegistryError(f"{where}: a removal cannot also rename or change the equation")
    if not removed and renamed is None and old is None:
        raise RegistryError(
            f"{where}: says nothing changed; give old and new, renamed_to, or removed"
        )
    return Change(ident, str(row["version"]), reason.strip(), old, new, renamed, bool(removed))  # type: ignore[arg-type]


def replay(registry: Mapping[str, Entry], changes: Iterable[Change]) -> State:
    """Apply the changes, in order, to the registry: what every id must be now. Raises
    :class:`RegistryError` for a change that does not fit what came before it."""
    current = {ident: entry.fingerprint for ident, entry in registry.items()}
    aliases: dict[str, str] = {}
    removed: dict[str, Change] = {}
    for n, change in enumerate(changes, start=1):
        where = f"{CHANGES}: change {n} (id {change.id!r}, {change.version})"
        if change.id not in current:
            known = "was removed" if change.id in removed else "is not a current id"
            if change.id in aliases:
                known = f"was renamed to {aliases[change.id]!r}"
            raise RegistryError(f"{where}: that id {known} at that point")
        if change.old is not None and current[change.id] != change.old:
            raise RegistryError(
                f"{where}: old = {change.old!r}, but the fingerprint before it is "
                f"{current[change.id]!r}"
            )
        value = change.new if change.new is not None else current[change.id]
        if change.removed:
            del current[change.id]
            removed[change.id] = change
        elif change.renamed_to is not None:
            target = change.renamed_to
            if target in current or target in aliases or target in removed:
                raise RegistryError(f"{where}: renamed_to {target!r} is an id already used")
            del current[change.id]
            current[target] = value
            aliases = {old: (target if new == change.id else new) for old, new in aliases.items()}
            aliases[change.id] = target
        else:
            current[change.id] = value
    return State(current, aliases, removed)


def problems(
    records: Iterable[EquationRecord], registry: Mapping[str, Entry], changes: Iterable[Change]
) -> list[str]:
    """Every difference between the equations of this build and what the registry and the
    changes say they must be, each with what to do about it."""
    state = replay(registry, changes)
    now = {r.id: fingerprint(r) for r in records}
    found = []
    for ident, expected in sorted(state.current.items()):
        if ident not in now:
            found.append(
                f"{ident}: a published id is gone; record it in {CHANGES} "
                f'(renamed_to = "<new id>", or removed = true), with version and reason'
            )
        elif now[ident] != expected:
            found.append(
                f"{ident}: its content changed (fingerprint {expected} -> {now[ident]}); record "
                f'it in {CHANGES}: id = "{ident}", old = "{expected}", new = "{now[ident]}", '
                "version and reason"
            )
    for ident in sorted(set(now) - set(state.current)):
        if ident in state.aliases or ident in state.removed:
            found.append(
                f"{ident}: this id was renamed or removed before; a new equation needs a new id"
            )
        else:
            found.append(f"{ident}: not in the registry; run python -m gated_ref.registry add")
    return found


def with_new_ids(
    records: Iterable[EquationRecord],
    registry: Mapping[str, Entry],
    changes: Iterable[Change],
    version: str,
) -> dict[str, Entry]:
    """The registry with every id of this build that it does not know yet added (published in
    ``version``). Existing entries are never touched."""
    _check_version(version, "version")
    state = replay(registry, changes)
    added = dict(registry)
    for record in records:
        taken = (
            record.id in state.current or record.id in state.aliases or record.id in state.removed
        )
        if not taken and record.id not in added:
            added[record.id] = Entry(fingerprint(record), version)
    return added


def to_json(registry: Mapping[str, Entry]) -> str:
    """The registry file's text: ids sorted, one per line, byte-stable."""
    about = (
        "Every published equation id, with the fingerprint of its content when first published "
        f"and that version. Only ever added to (python -m gated_ref.registry add); changes go to "
        f"{CHANGES}. See gated_ref/registry.py."
    )
    lines = [
        "{",
        f' "about": {json.dumps(about)},',
        ' "ids": {',
    ]
    body = [
        f"  {json.dumps(ident)}: "
        + json.dumps({"fingerprint": e.fingerprint, "since": e.since}, separators=(", ", ": "))
        for ident, e in sorted(registry.items())
    ]
    lines.append(",\n".join(body))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m gated_ref.registry check|add``: check this build's equations against the
    registry and the changes, or add the ids the registry does not know yet."""
    import argparse

    from . import __version__
    from .exports import equation_records

    parser = argparse.ArgumentParser(prog="python -m gated_ref.registry", description=main.__doc__)
    parser.add_argument("command", choices=("check", "add"))
    parser.add_argument("--registry", type=Path, default=ROOT / REGISTRY)
    parser.add_argument("--changes", type=Path, default=ROOT / CHANGES)
    args = parser.parse_args(argv)
    records = equation_records()
    registry = load_registry(args.registry) if args.registry.exists() else {}
    changes = load_changes(args.changes)
    if args.command == "add":
        updated = with_new_ids(records, registry, changes, __version__)
        write_atomic(args.registry, to_json(updated))
        print(f"{args.registry}: {len(updated) - len(registry)} ids added, {len(updated)} in all")
    found = problems(records, load_registry(args.registry), changes)
    for line in found:
        print(line)
    print(f"{len(records)} equations, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Errata and changes: every recorded change to a published equation id, by version.

Read from the committed registry and changes file (``gated_ref/registry.py``:
``data/equation_ids.json``, ``data/equation_changes.toml``), never typed into a page: the
counts and the list on ``docs/errata.md`` are this script's output. A renamed id links to the
equation it now names (its old anchor still lands there); a removed id is listed with its
reason and is no longer a link.

Writes the snippets ``summary.md`` (the registry in one sentence) and ``changes.md`` (the
changes, newest version first).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from gated_ref import registry as reg

SEED = 0  # nothing random here
DEPENDS = (reg.REGISTRY, reg.CHANGES)
__all__ = ["DEPENDS", "main"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def summary(registry: dict[str, reg.Entry], state: reg.State, changes: list[reg.Change]) -> str:
    """One paragraph: how many ids are published, since when, and how many changes."""
    versions = sorted({e.since for e in registry.values()}, key=_version_key)
    since = versions[0] if len(versions) == 1 else f"{versions[0]} to {versions[-1]}"
    return (
        f"The registry holds **{len(registry)}** published equation ids, first published in "
        f"version {since}; "
        f"**{len(state.current)}** of them are on the site today under their own or a new name, "
        f"**{len(state.aliases)}** old ids are aliases of renamed equations, "
        f"**{len(state.removed)}** were removed, and **{len(changes)}** changes are recorded.\n"
    )


def _link(ident: str, state: reg.State) -> str:
    if ident in state.current or ident in state.aliases:
        return f"[`{ident}`](gr-eq:{ident})"
    return f"`{ident}`"


def change_row(change: reg.Change, state: reg.State) -> str:
    """One table row: the id, what happened to it, the fingerprints and the reason."""
    what = change.kind
    if change.renamed_to is not None:
        what += f" to {_link(change.renamed_to, state)}"
    prints = f"`{change.old}` → `{change.new}`" if change.old is not None else "unchanged"
    if change.removed:
        prints = "—"
    reason = change.reason.replace("|", "\\|").replace("\n", " ")
    return f"| {_link(change.id, state)} | {what} | {prints} | {reason} |"


def changes_md(changes: list[reg.Change], state: reg.State) -> str:
    """The changes, one section per version, newest first; a sentence when there are none."""
    if not changes:
        return (
            "No published equation has changed: every id still names the content it was first "
            "published with.\n"
        )
    by_version: dict[str, list[reg.Change]] = defaultdict(list)
    for change in changes:
        by_version[change.version].append(change)
    text = []
    for version in sorted(by_version, key=_version_key, reverse=True):
        text += [
            f"### Version {version}\n",
            "| Id | Change | Content fingerprint | Reason |",
            "| --- | --- | --- | --- |",
            *(change_row(c, state) for c in by_version[version]),
            "",
        ]
    return "\n".join(text)


def main(out_dir: Path) -> None:
    """Write ``summary.md`` and ``changes.md`` from the registry and the changes file."""
    registry, changes = reg.load_registry(), reg.load_changes()
    state = reg.replay(registry, changes)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.md").write_text(summary(registry, state, changes), encoding="utf-8")
    (out_dir / "changes.md").write_text(changes_md(changes, state), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))

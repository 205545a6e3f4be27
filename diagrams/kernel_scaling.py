"""Scaling against torch: the generated kernels' time over T, B and H, from the record.

Reads the committed record ``data/kernel_scaling.json`` (made by ``make bench-scaling``,
``bench/record_scaling.py``): a build measures nothing, so two builds give the same bytes.
Every number in the table is printed from the record; a missing or malformed record stops
the build with an error naming ``make bench-scaling``. A record made with ``--quick`` (a tiny
placeholder grid) is shown as such.

Writes ``table.md``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECORD = "data/kernel_scaling.json"
ROOT = Path(__file__).resolve().parents[1]
#: The measured times come from this committed record, not a clock.
DEPENDS = (RECORD,)
ROW_KEYS = {
    "cell": str,
    "T": int,
    "B": int,
    "H": int,
    "runs": int,
    "ours_ms_min": float,
    "ours_ms_median": float,
    "torch_ms_min": float,
    "torch_ms_median": float,
}
REMEDY = "run `make bench-scaling` (bench/record_scaling.py)"


def load(root: Path = ROOT) -> dict:
    """The record, checked: FileNotFoundError / ValueError naming ``make bench-scaling``."""
    path = root / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{RECORD}: not found; {REMEDY}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{RECORD}: not JSON ({exc}); {REMEDY}") from None
    check(record)
    return record


def check(record: object) -> None:
    """ValueError naming ``make bench-scaling`` unless the record has every grid point once,
    each with the fields the table prints."""

    def bad(what: str) -> ValueError:
        return ValueError(f"{RECORD}: {what}; {REMEDY}")

    if not isinstance(record, dict):
        raise bad(f"got a {type(record).__name__}, expected an object")
    for field in ("grid", "rows", "machine", "method", "load", "quick"):
        if field not in record:
            raise bad(f"no {field!r}")
    grid = record["grid"]
    try:
        wanted = {
            (c, t, b, h)
            for c in grid["cells"]
            for t in grid["T"]
            for b in grid["B"]
            for h in grid["H"]
        }
    except (KeyError, TypeError) as exc:
        raise bad(f"grid {grid!r} lacks {exc}, expected cells, T, B, H lists") from None
    seen = []
    for row in record["rows"]:
        for name, kind in ROW_KEYS.items():
            if not isinstance(row.get(name), kind) or isinstance(row.get(name), bool):
                raise bad(f"row {row!r}: {name} is {row.get(name)!r}, expected a {kind.__name__}")
        for name in ("ratio", "gemm_fraction"):
            if name not in row or not (row[name] is None or isinstance(row[name], float)):
                raise bad(f"row {row!r}: {name} is {row.get(name)!r}, expected a float or null")
        seen.append((row["cell"], row["T"], row["B"], row["H"]))
    if sorted(seen) != sorted(wanted):
        missing = sorted(wanted - set(seen))
        extra = sorted(set(seen) - wanted)
        raise bad(f"rows do not cover the grid once: missing {missing}, extra or repeated {extra}")


def _ms(value: float) -> str:
    return f"{value:,.3g}" if value < 100 else f"{value:,.0f}"


def table(record: dict) -> str:
    """The scaling table as Markdown, with the machine, method and load beneath it."""
    rows = [
        "| Cell | $T$ | $B$ | $H$ | generated, ms (min / median) | torch, ms (min / median) "
        "| generated / torch | time in GEMMs | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in record["rows"]:
        ratio = "withheld (busy)" if r["ratio"] is None else f"{r['ratio']:.2f}"
        gemm = "not measured" if r["gemm_fraction"] is None else f"{100 * r['gemm_fraction']:.0f}%"
        rows.append(
            f"| `{r['cell']}` | {r['T']:,} | {r['B']} | {r['H']:,} "
            f"| {_ms(r['ours_ms_min'])} / {_ms(r['ours_ms_median'])} "
            f"| {_ms(r['torch_ms_min'])} / {_ms(r['torch_ms_median'])} | {ratio} | {gemm} "
            f"| {r['runs']} |"
        )
    m, method, load = record["machine"], record["method"], record["load"]
    note = (
        f"\n*Forward + backward, {method['dtype']}, {method['sizes']}; {method['statistic']}. "
        f"Each contender in a process of its own (`bench/harness.py`), measured alone while "
        f"the other's threads were idle; {method['rounds']} runs per configuration, at most "
        f"{method['long_rounds']} for one whose single run took over "
        f"{method['long_run_seconds']:g} s (the last column). "
        f"Time in GEMMs: {method['gemm_fraction']}. "
        f"Machine: {m['cpu']} ({m['cores']} cores), NumPy {m['numpy']} "
        f"(BLAS threads: {m['blas_threads']}), torch {m['torch']} ({m['torch_threads']} threads). "
        f"Load average before / after: {', '.join(map(str, load['load_average_before']))} / "
        f"{', '.join(map(str, load['load_average_after']))}; other processes used "
        f"{load['other_processes_cores']} core on average. Measured by `make bench-scaling` "
        f"and committed as `{RECORD}`, not at build time.*\n"
    )
    if record["quick"]:
        note = (
            '\n!!! warning "Placeholder measurement"\n'
            "    This record was made with `--quick`: a tiny grid at sizes far below the ones "
            "that matter, on a shared machine. It shows the table's form, not the kernels' "
            "speed; `make bench-scaling` on an idle machine replaces it.\n" + note
        )
    if load["busy"]:
        note += (
            f"\n**The machine was busy** (other processes above {load['busy_above_cores']} "
            "core on average): the ratios are withheld.\n"
        )
    return "\n".join(rows) + "\n" + note


def main(out_dir: Path) -> None:
    """Write ``table.md`` from the record."""
    (out_dir / "table.md").write_text(table(load()), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))

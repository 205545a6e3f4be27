"""Markdown for the LSTM vs GRU page: every number printed from the record, never typed.

``diagrams/lstm_vs_gru.py`` writes these snippets; the functions take the record and the
literature file (``data/literature.json``) as dicts, so tests can render synthetic ones.
"""

from __future__ import annotations

import math

from .. import tasks as T
from .claims import METRIC_WORDS, Comparison, Verdict, family, final_runs
from .run import METRIC, SOLVED, parameter_count
from .stats import FAILS, HOLDS, UNRESOLVED, Estimate

#: Admonition type of each verdict.
STYLE = {HOLDS: "success", FAILS: "failure", UNRESOLVED: "warning"}


def fmt(x: float, budget: int | None = None) -> str:
    """A number with three significant digits; infinity as "> budget" (never solved)."""
    if math.isinf(x):
        return f"> {budget:,}" if budget else "∞"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def interval(e: Estimate, budget: int | None = None) -> str:
    """``value [low, high]``; a zero-width interval prints as the value alone."""
    if e.kind == "threshold" or e.low == e.high:
        return fmt(e.value, budget)
    return f"{fmt(e.value, budget)} [{fmt(e.low, budget)}, {fmt(e.high, budget)}]"


def _budget(record: dict) -> int:
    return record["protocol"]["steps"]


def protocol_md(record: dict) -> str:
    """The protocol in words, with every setting read from the record."""
    p = record["protocol"]
    lrs = ", ".join(f"{x:g}" for x in p["lrs"])
    seeds = len(p["seeds"])
    return (
        f"- **Budget:** {p['steps']:,} training steps for every cell on every task, batches of "
        f"{p['batch']} fresh sequences, Adam, gradient clipping by global norm at {p['clip']:g}. "
        f"The validation metric is read every {p['eval_every']} steps; a run on a task with a "
        '"solved" threshold stops once its validation metric crosses it.\n'
        f"- **Learning rate:** for every cell and task, a sweep over {lrs} from seed "
        f"{p['seeds'][0]}; the rate is chosen on the **validation** split (solved runs first, "
        "fewest steps to solve; otherwise the best final validation metric). Seeds "
        f"{', '.join(str(s) for s in p['seeds'][1:])} then run at that rate, and with the "
        f"sweep's run at the chosen rate make {seeds} seeds.\n"
        f'- **Sizes:** hidden size {p["hidden"]} for every cell ("same hidden size"); the '
        '"same parameters" setups take the hidden size whose parameter count (cell and '
        "readout) comes closest to the LSTM's on that task.\n"
        "- **Metrics:** on held-out data only: a validation split for choosing, a test split "
        "for reporting. Every number below is a mean over seeds with a Student-t 95 % "
        "interval, or a median with a bootstrap 95 % interval where unsolved runs count as "
        '"more than the budget"; the per-seed values are listed under each table.\n'
        "- **Verdicts:** *holds* when the intervals separate in the claimed direction (or, for "
        '"comparable", lie within one margin of each other); *does not hold* only when the '
        "intervals separate the other way; otherwise *not resolved at this budget*.\n"
    )


def tasks_md(record: dict) -> str:
    """One row per task: length, sizes, metric, what guessing scores, and its source."""
    rows = [
        "| Task | $T$ | Input | Output | Metric | Solved when | Source |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for key in record["protocol"]["tasks"]:
        task = T.make(key)
        metric, lower = METRIC[family(key)]
        rule = SOLVED.get(family(key))
        solved = (
            "—" if rule is None else f"validation {rule[0]} {'<' if lower else '≥'} {rule[1]:g}"
        )
        rows.append(
            f"| `{key}` | {task.length} | {task.input_size} | {task.output_size} | "
            f"{METRIC_WORDS[metric]} | {solved} | {task.source} |"
        )
    return "\n".join(rows) + "\n"


def setups_md(record: dict) -> str:
    """One row per setup: cell, forget bias, hidden size and parameter count per task."""
    tasks = record["protocol"]["tasks"]
    head = "| Setup | Cell | Forget bias | " + " | ".join(f"`{t}`" for t in tasks) + " |"
    rows = [head, "| --- | --- | ---: |" + " ---: |" * len(tasks)]
    for s in record["protocol"]["setups"].values():
        cells = []
        for t in tasks:
            if t not in s["hidden"]:
                cells.append("—")
                continue
            h = s["hidden"][t]
            cells.append(f"H = {h}, {parameter_count(s['cell'], t, h):,}")
        fb = f"{s['forget_bias']:g}" if "f" in _gates(s["cell"]) else "—"
        rows.append(f"| {s['label']} | `{s['cell']}` | {fb} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def _gates(cell_name: str) -> tuple[str, ...]:
    from ..cells import cell

    return cell(cell_name).gates


def results_md(record: dict) -> str:
    """Headline test metric per setup and task (mean [95 % interval]), and the chosen rates."""
    from .claims import metric_estimate

    tasks = record["protocol"]["tasks"]
    head = "| Setup | " + " | ".join(f"`{t}`" for t in tasks) + " |"
    lines = [head, "| --- |" + " ---: |" * len(tasks)]
    for key, s in record["protocol"]["setups"].items():
        cells = []
        for t in tasks:
            if f"{key}/{t}" not in record["chosen_lr"]:
                cells.append("—")
                continue
            e = metric_estimate(record, key, t)
            cells.append(
                f"{interval(e)}<br><small>lr {record['chosen_lr'][f'{key}/{t}']:g}</small>"
            )
        lines.append(f"| {s['label']} | " + " | ".join(cells) + " |")
    words = "; ".join(f"`{t}`: {METRIC_WORDS[METRIC[family(t)][0]]}" for t in tasks)
    return "\n".join(lines) + f"\n\n*Metrics: {words}.*\n"


def per_seed_md(record: dict) -> str:
    """Every final run's test metric, steps to solve and learning rate, per setup and task."""
    lines = [
        "| Setup | Task | lr | Test metric per seed | Steps to solve per seed |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for key, s in record["protocol"]["setups"].items():
        for t in s["tasks"]:
            runs = final_runs(record, key, t)
            if not runs:
                continue
            metric = METRIC[family(t)][0]
            values = ", ".join(fmt(r["final"]["test"][metric]) for r in runs)
            steps = ", ".join(
                "—"
                if family(t) not in SOLVED
                else (str(r["solved_at"]) if r["solved_at"] else "no")
                for r in runs
            )
            lr = record["chosen_lr"][f"{key}/{t}"]
            lines.append(f"| {s['label']} | `{t}` | {lr:g} | {values} | {steps} |")
    return "\n".join(lines) + "\n"


def _row_md(row: Comparison, labels: tuple[str, str], budget: int) -> str:
    b = interval(row.b, budget)
    return f"| `{row.task}` | {row.what} | {interval(row.a, budget)} | {b} | {row.status} |"


def agreement(status: str, stance: int) -> str:
    """Whether our verdict agrees with a source's finding."""
    if status == UNRESOLVED:
        return "cannot tell at this budget"
    if stance == 0:
        return "the source is inconclusive"
    ours = 1 if status == HOLDS else -1
    return "agrees" if ours == stance else "**disagrees**"


def literature_md(entries: list[dict], status: str) -> str:
    """The sources beside our verdict: finding, where, numbers, and whether we agree."""
    if not entries:
        return ""
    lines = [
        "| Source | Where | What it found | Setting | Quote seen | Ours |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        numbers = ""
        if e.get("numbers"):
            numbers = " (" + ", ".join(f"{k}: {v}" for k, v in e["numbers"].items()) + ")"
        link = f"[{e['paper']}]({e['url']})" if e.get("url") else e["paper"]
        seen = "yes" if e.get("verified") else "no: reported, not checked"
        lines.append(
            f"| {link} | {e['where']} | {e['finding']}{numbers} | {e['setting']} | {seen} | "
            f"{agreement(status, e['stance'])} |"
        )
    return "\n".join(lines) + "\n"


def verdict_md(v: Verdict, record: dict, literature: dict, why: str = "") -> str:
    """One claim: an admonition with the verdict, its evidence table, per-seed values, the
    literature beside it and, where we disagree with a source, why we think so."""
    budget = _budget(record)
    a, b = v.labels
    lines = [
        f'!!! {STYLE[v.status]} "Claim: {v.claim}"',
        "",
        f"    **Verdict: {v.status}.**",
        "",
        f"| Task | Compared | {a or 'Measured'} | {b or 'Against'} | Verdict on this row |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    lines += [_row_md(r, v.labels, budget) for r in v.rows]
    seeds = []
    for r in v.rows:
        for label, e in ((a, r.a), (b, r.b)):
            if e.kind != "threshold":
                values = ", ".join(fmt(x, budget) for x in e.values)
                seeds.append(f"    - `{r.task}`, {label or r.what}: {values}")
    if seeds:
        lines += ["", '??? note "Per-seed values"', "", *dict.fromkeys(seeds)]
    entries = literature.get("claims", {}).get(v.key, [])
    if entries:
        lines += ["", "What the literature found:", "", literature_md(entries, v.status).rstrip()]
    if why and any(agreement(v.status, e["stance"]).endswith("disagrees**") for e in entries):
        lines += ["", f"*Why we think we disagree:* {why}"]
    return "\n".join(lines) + "\n"


#: The page section (anchor on ``cells/lstm-vs-gru.md``) that discusses each verdict.
SECTION = {
    "comparable_accuracy": "their-accuracy-is-comparable",
    "comparable_accuracy_params": "their-accuracy-is-comparable",
    "cheaper_steps": "per-step",
    "fewer_updates": "per-update",
    "lstm_better_long": "lstm-is-better-on-long-sequences",
    "lstm_better_lm": "lstm-is-better-at-language-modelling",
    "forget_bias_one": "a-forget-bias-of-1-helps-the-lstm",
    "gated_beat_tanh": "gated-cells-beat-the-plain-rnn",
    "gated_beat_tanh_gru": "gated-cells-beat-the-plain-rnn",
    "rnn_vanishes": "plain-rnn-gradients-vanish",
    "cell_state_unchanged": "the-lstm-cell-state-carries-information-unchanged",
}


def summary_md(verdicts: dict[str, Verdict], exact: tuple[str, str] | None = None) -> str:
    """A table of every claim and its verdict, linking to its section; ``exact`` is a claim
    decided by arithmetic (its text and verdict), listed first."""
    lines = [
        "| Claim | Verdict | Rows that hold / do not hold / not resolved |",
        "| --- | --- | --- |",
    ]
    if exact:
        lines.append(f"| [{exact[0]}](#gru-has-fewer-parameters) | {exact[1]} | exact |")
    for key, v in verdicts.items():
        anchor = SECTION.get(key, "no-lstm-variant-beats-the-lstm")
        counts = [sum(r.status == s for r in v.rows) for s in (HOLDS, FAILS, UNRESOLVED)]
        lines.append(
            f"| [{v.claim}](#{anchor}) | **{v.status}** | {' / '.join(map(str, counts))} |"
        )
    return "\n".join(lines) + "\n"


def timing_md(record: dict) -> str:
    """Seconds per forward + backward pass at the timing size, each contender measured alone."""
    t = record["timing"]
    s = t["sizes"]
    lines = [
        "| Implementation | Cell | dtype | min (ms) | median (ms) | GRU / LSTM (median) |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    secs = t["seconds"]
    for impl in ("gated_ref", "torch"):
        for dtype in ("float32", "float64"):
            for cell_name in ("lstm", "gru"):
                m = secs[f"{impl}/{cell_name}/{dtype}"]
                ratio = ""
                if cell_name == "gru":
                    ratio = f"{m['median'] / secs[f'{impl}/lstm/{dtype}']['median']:.2f}"
                lines.append(
                    f"| {impl} | {cell_name} | {dtype} | {m['min'] * 1e3:.1f} | "
                    f"{m['median'] * 1e3:.1f} | {ratio} |"
                )
    loads = t["load_average_before"]
    return (
        "\n".join(lines)
        + f"\n\n*T = {s['T']}, B = {s['B']}, I = H = {s['H']}; {t['what']}. Each contender ran "
        f"in a process of its own, {t['rounds']} interleaved rounds of {t['repeats_per_round']} "
        f"repeats; torch used {t['torch_threads']} threads. Load average before each "
        f"measurement: {min(loads):.2f} to {max(loads):.2f} on {record['machine']['cores']} "
        f"cores ({record['machine']['cpu']}).*\n"
    )

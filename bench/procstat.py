"""CPU time read from Linux's /proc: of one process (all its threads), and of the whole machine.

Both are counted in clock ticks (``os.sysconf("SC_CLK_TCK")``, usually 100 per second), so a
single reading is exact to 10 ms; the harness compares differences against thresholds that are
many ticks wide, or against zero.
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = 1.0 / os.sysconf("SC_CLK_TCK")  # seconds per clock tick


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread, living or ended) a process has used so far.

    Raises ``ProcessLookupError`` naming the pid when it is gone.
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        raise ProcessLookupError(
            f"pid {pid}: no /proc/{pid}/stat (the process has ended)"
        ) from None
    # the command name (field 2) is in parentheses and may hold spaces: split after it
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) * TICK


def machine_busy_cpu() -> float:
    """CPU seconds the whole machine has spent not idle since boot (every core, every process).

    From the first line of /proc/stat: user + nice + system + irq + softirq + steal (guest time
    is already inside user).
    """
    first = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    if first[0] != "cpu":
        raise ValueError(f"/proc/stat: first line starts with {first[0]!r}, expected 'cpu'")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) * TICK


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)

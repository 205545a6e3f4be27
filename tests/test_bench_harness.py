"""bench/harness.py's promises, each with a contender built to break it.

A worker whose thread keeps spinning after a call (as OpenBLAS's and OpenMP's do) must be waited
for; one that spins during another's run must get that run redone; one that never stops fails
the idle proof; a process outside the bench burning a core makes the result busy, and busy
results give no ratio. No timing of real kernels here: ``bench/bench_*.py --quick`` run in
``tests/test_bench_smoke.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import harness as hn  # noqa: E402

#: Short windows; busy_cores so high that other sessions on the machine never make it busy.
FAST = {"rounds": 2, "warmup": 1, "start_wait": 0.2, "start_window": 0.2, "idle_window": 0.05}
FAST_IDLE = FAST | {"busy_cores": 1000.0}


#: Another process burning a core: niced, so it takes only what the bench leaves idle.
BURN = "import os\nos.nice(19)\nwhile True: pass"


def _measure(settings: hn.Settings, a: tuple[str, dict], b: tuple[str, dict]) -> hn.Result:
    config = hn.Config("k", {"a": ("a", *a), "b": ("b", *b)})
    with hn.Harness({"a": None, "b": None}, settings, progress=None) as harness:
        return harness.measure([config])


def test_runs_wait_until_the_other_workers_threads_stop_spinning() -> None:
    """a leaves a thread spinning 0.3 s after each call: b's runs wait for it, none is redone."""
    result = _measure(
        hn.Settings(**FAST_IDLE),
        ("contenders:spinner", {"work": 0.01, "spin_after": 0.3}),
        ("contenders:sleeper", {"seconds": 0.02}),
    )
    assert result.total_redos == 0, result.redos
    assert result.idle_wait >= 0.2 * FAST["rounds"], result.idle_wait
    assert [len(v) for v in result.times["k"].values()] == [FAST["rounds"]] * 2


def test_a_run_another_worker_disturbed_is_redone() -> None:
    """a's thread sleeps 0.2 s (so a looks idle), then spins 0.3 s: during b's 0.4 s run."""
    result = _measure(
        hn.Settings(**FAST_IDLE),
        ("contenders:spinner", {"work": 0.01, "spin_after": 0.3, "delay": 0.2}),
        ("contenders:sleeper", {"seconds": 0.4}),
    )
    assert result.redos.get("k", {}).get("b", 0) >= 1, result.redos
    assert len(result.times["k"]["b"]) == FAST["rounds"]
    assert any("redone" in line and f": {result.total_redos};" in line for line in result.report())


def test_a_thread_that_never_stops_fails_the_idle_proof() -> None:
    with pytest.raises(hn.HarnessError, match="idle proof failed: worker 'a'"):
        _measure(
            hn.Settings(**FAST_IDLE, idle_timeout=0.5),
            ("contenders:spinner", {"forever": True}),
            ("contenders:sleeper", {}),
        )


def test_a_busy_machine_withholds_the_ratios() -> None:
    """A process outside the bench burns a core: the result is busy, and gives no ratio."""
    burner = subprocess.Popen([sys.executable, "-c", BURN])  # noqa: S603
    try:
        result = _measure(
            hn.Settings(**FAST, busy_cores=0.25),
            ("contenders:sleeper", {"seconds": 0.1}),
            ("contenders:sleeper", {"seconds": 0.1}),
        )
    finally:
        burner.kill()
        burner.wait()
    assert result.others_cores > 0.5, result.others_cores
    assert result.busy
    assert result.ratio("k", "a", "b") is None
    assert any("busy: ratios withheld" in line and "0.25" in line for line in result.report())
    idle = hn.Result(hn.Settings(busy_cores=0.25), times=result.times, others_cores=0.1)
    assert idle.ratio("k", "a", "b") == pytest.approx(idle.min("k", "a") / idle.min("k", "b"))


def test_a_failing_worker_is_named() -> None:
    with pytest.raises(hn.HarnessError, match="worker 'a'.*no_such_factory"):
        _measure(
            hn.Settings(**FAST_IDLE), ("contenders:no_such_factory", {}), ("contenders:sleeper", {})
        )


def test_the_benchs_own_cpu_does_not_make_it_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine where only the bench runs (its processes' CPU is all /proc/stat sees), two
    contenders burning a core each leave nothing for "other processes"."""
    import os

    import procstat

    config = hn.Config(
        "k",
        {
            "a": ("a", "contenders:spinner", {"work": 0.1}),
            "b": ("b", "contenders:spinner", {"work": 0.1}),
        },
    )
    with hn.Harness({"a": None, "b": None}, hn.Settings(**FAST), progress=None) as harness:
        pids = [os.getpid(), *(w.pid for w in harness.workers.values())]
        monkeypatch.setattr(
            procstat, "machine_busy_cpu", lambda: sum(procstat.process_cpu(p) for p in pids)
        )
        result = harness.measure([config])
    assert result.others_cores < 0.05, result.others_cores
    assert not result.busy

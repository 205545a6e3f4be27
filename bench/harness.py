"""The benchmark harness: each contender in its own worker process, measured alone and idle.

Why: OpenBLAS's and OpenMP's worker threads keep spinning for a while after a call. Timing
torch right after NumPy in one process hands torch two cores that NumPy's threads still hold.
So every contender (the NumPy kernels, torch, ...) lives in a process of its own
(``bench/worker.py``, JSON lines over stdin/stdout), and

- **interleaved rounds**: each configuration is warmed up in each worker, then for each round,
  for each configuration, for each contender, one timed run (``time.perf_counter`` inside the
  worker): a slow phase of the machine hits every contender alike. (``interleave="config"``
  runs the rounds of one configuration before the next: for configurations too large to hold
  in memory all at once; the record says which.)
- **alone, provably**: before each timed run, the harness waits until no other worker's CPU
  time (``/proc/<pid>/stat``: user + system of all its threads) grows over ``idle_window``
  seconds; during the run it records the CPU the other workers used, and if that exceeds
  ``max_share`` of the run's wall time the sample is discarded and redone (counted).
- **machine busy check**: load average before and after; the CPU used by processes outside the
  bench (``/proc/stat`` minus the bench's own processes) over the whole measurement; at the
  start it waits (up to ``start_wait`` s) for that to stay under ``start_idle_cores`` over 2 s,
  and a result whose outside use averaged above ``busy_cores`` is **busy**: callers withhold
  ratios (:meth:`Result.ratio` returns ``None``).

Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import procstat

WORKER = Path(__file__).resolve().with_name("worker.py")
#: Environment of a worker that runs torch: NumPy's BLAS (OpenBLAS) gets one thread, so that
#: even an accidental NumPy product there cannot leave threads spinning.
TORCH_ENV = {"OPENBLAS_NUM_THREADS": "1"}
#: What the workers of the kernel benchmarks import as they start.
PRELOAD = {"numpy": ["problems"], "torch": ["torch", "problems"]}


class HarnessError(RuntimeError):
    """A worker failed, or no clean (alone and idle) sample could be taken."""


@dataclass(frozen=True)
class Settings:
    """The harness's thresholds and counts; every one is printed with the results."""

    rounds: int = 7
    warmup: int = 1
    idle_window: float = 0.1  # s: a worker is idle when its CPU time does not grow over this
    idle_timeout: float = 20.0  # s: a worker still busy after this fails the idle proof
    max_share: float = 0.02  # other workers' CPU during a run, as a share of its wall time
    max_redos: int = 20  # per sample; more and the harness gives up
    start_wait: float = 60.0  # s: how long to wait at the start for an idle machine
    start_window: float = 2.0  # s: the window over which the start checks the machine
    start_idle_cores: float = 0.1  # outside CPU (cores, over start_window) that counts as idle
    busy_cores: float = 0.25  # outside CPU (cores, averaged over the run) above which: busy
    interleave: str = "rounds"  # or "config"
    long_run: float | None = None  # s: a configuration whose warm-up run takes longer ...
    long_rounds: int = 3  # ... gets this many rounds instead (interleave="config" only)

    def __post_init__(self) -> None:
        if self.interleave not in ("rounds", "config"):
            raise ValueError(f"interleave: got {self.interleave!r}, expected 'rounds' or 'config'")
        if self.rounds < 1 or self.warmup < 0:
            raise ValueError(
                f"rounds, warmup: got {self.rounds}, {self.warmup}; expected >= 1, >= 0"
            )

    @classmethod
    def for_cli(
        cls, quick: bool, rounds: int, warmup: int, wait: float | None, busy_cores: float, **more
    ) -> Settings:
        """The settings a bench script's command line asks for: ``quick`` shortens the idle
        checks for smoke tests; ``wait`` (s) overrides the start's wait for an idle machine."""
        return cls(
            rounds=rounds,
            warmup=warmup,
            start_wait=wait if wait is not None else (2.0 if quick else 60.0),
            busy_cores=busy_cores,
            idle_window=0.05 if quick else 0.1,
            start_window=0.5 if quick else 2.0,
            **more,
        )

    def describe(self) -> list[str]:
        """The method and the thresholds, in words, one line each."""
        order = (
            "interleaved rounds: each round times every configuration once in each worker"
            if self.interleave == "rounds"
            else "per configuration: its rounds alternate between the workers"
        )
        lines = [
            f"method: each contender in its own process; warm-up {self.warmup}, then "
            f"{self.rounds} timed runs (min and median); {order}",
            f"alone: before each run every other worker's CPU time must stop growing "
            f"(no tick over {self.idle_window:g} s, give up after {self.idle_timeout:g} s); a "
            f"run during which the others used > {100 * self.max_share:g}% of its wall time is "
            f"redone (at most {self.max_redos} times)",
            f"machine: wait up to {self.start_wait:g} s at the start for other processes to use "
            f"< {self.start_idle_cores:g} core over {self.start_window:g} s; ratios withheld if "
            f"they used > {self.busy_cores:g} core on average during the run",
        ]
        if self.long_run is not None:
            lines.append(
                f"long configurations: a warm-up run over {self.long_run:g} s gets "
                f"{self.long_rounds} rounds instead of {self.rounds}"
            )
        return lines


@dataclass(frozen=True)
class Config:
    """One configuration: per contender (a label such as ``"ours"``), the worker it runs in and
    the factory (``module:function`` there) with its keyword arguments. Several contenders may
    share a worker (the generated kernels and the NumPy loop both run in the NumPy worker)."""

    key: str
    runs: dict[str, tuple[str, str, dict]]  # label -> (worker, factory, kwargs)


class Worker:
    """One contender's process (``bench/worker.py``)."""

    def __init__(
        self, name: str, env: dict[str, str] | None = None, preload: Iterable[str] = ()
    ) -> None:
        self.name = name
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(WORKER), name, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ | (env or {}),
        )

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.proc.pid

    def cpu(self) -> float:
        """CPU seconds the worker has used, all threads."""
        return procstat.process_cpu(self.pid)

    def request(self, **cmd: object) -> dict:
        """Send one command and return the answer; HarnessError (naming this worker) on error."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise HarnessError(f"worker {self.name!r} has exited ({self.proc.poll()})") from None
        line = self.proc.stdout.readline()
        if not line:
            raise HarnessError(f"worker {self.name!r} exited ({self.proc.wait()}) on {cmd}")
        reply = json.loads(line)
        if "error" in reply:
            raise HarnessError(f"worker {self.name!r}, command {cmd}:\n{reply['error']}")
        return reply

    def ask_exit(self) -> None:
        """Ask the worker to exit, without waiting for it."""
        if self.proc.poll() is None and self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.write('{"op": "exit"}\n')
                self.proc.stdin.close()
            except BrokenPipeError:
                pass

    def close(self) -> None:
        """Ask the worker to exit; kill it if it does not within 10 s."""
        self.ask_exit()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass


def call_once(fn: str, kwargs: dict | None = None, env: dict[str, str] | None = None) -> object:
    """Run ``module:function`` in a fresh worker that exits afterwards (its threads with it)."""
    worker = Worker("once", env)
    try:
        return worker.request(op="call", fn=fn, kwargs=kwargs or {})["result"]
    finally:
        worker.close()


@dataclass
class Result:
    """Times (seconds) per configuration and contender, redos, idle waits and the machine load."""

    settings: Settings
    times: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    redos: dict[str, dict[str, int]] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)
    idle_wait: float = 0.0  # s spent waiting for other workers to stop
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    start_wait: float = 0.0  # s waited at the start for an idle machine
    start_others: float = 0.0  # outside CPU, cores, over the last window of that wait
    others_cores: float = 0.0  # outside CPU, cores, averaged over the measurement
    seconds: float = 0.0  # wall time of the measurement

    @property
    def busy(self) -> bool:
        """Whether processes outside the bench used more than ``busy_cores`` on average."""
        return self.others_cores > self.settings.busy_cores

    def load_record(self) -> dict:
        """The machine's load during the measurement, as a timing record keeps it."""
        return {
            "load_average_before": list(self.load_before),
            "load_average_after": list(self.load_after),
            "other_processes_cores": round(self.others_cores, 2),
            "busy": self.busy,
            "busy_above_cores": self.settings.busy_cores,
            "redos": self.total_redos,
            "seconds": round(self.seconds),
        }

    @property
    def total_redos(self) -> int:
        """Samples discarded and redone because another worker used CPU during them."""
        return sum(n for by in self.redos.values() for n in by.values())

    def min(self, key: str, contender: str) -> float:
        """Fastest run, seconds."""
        return min(self.times[key][contender])

    def median(self, key: str, contender: str) -> float:
        """Median run, seconds."""
        return statistics.median(self.times[key][contender])

    def ratio(self, key: str, a: str, b: str, key_b: str | None = None) -> float | None:
        """min(a) / min(b) (b at ``key_b`` if given); ``None`` when the machine was busy."""
        if self.busy:
            return None
        return self.min(key, a) / self.min(key_b or key, b)

    def report(self) -> list[str]:
        """The load and the cleanliness of the run, one line each (the method: Settings)."""
        s = self.settings
        verdict = (
            f"busy: ratios withheld (other processes used {self.others_cores:.2f} core on "
            f"average, threshold {s.busy_cores:g})"
            if self.busy
            else f"idle enough: other processes used {self.others_cores:.2f} core on average "
            f"(threshold {s.busy_cores:g})"
        )
        return [
            "load average (1/5/15 min): before "
            + " ".join(f"{v:.2f}" for v in self.load_before)
            + ", after "
            + " ".join(f"{v:.2f}" for v in self.load_after),
            f"start: waited {self.start_wait:.1f} s for an idle machine; other processes then "
            f"used {self.start_others:.2f} core",
            f"samples redone because another worker used CPU during them: {self.total_redos}; "
            f"waited {self.idle_wait:.1f} s in all for workers to go idle",
            verdict,
        ]


def _say(progress: TextIO | None, text: str) -> None:
    if progress is not None:
        print(text, file=progress, flush=True)


class Harness:
    """Workers by contender name; :meth:`measure` times configurations on them."""

    def __init__(
        self,
        contenders: dict[str, dict[str, str] | None],
        settings: Settings | None = None,
        progress: TextIO | None = sys.stderr,
        preload: dict[str, list[str]] | None = None,
    ) -> None:
        """Start one worker per contender name, with extra environment variables; ``preload``
        names modules a worker imports at once (so that workers start up side by side)."""
        self.settings = settings or Settings()
        self.progress = progress
        self.workers: dict[str, Worker] = {}
        try:
            for name, env in contenders.items():
                self.workers[name] = Worker(name, env, (preload or {}).get(name, ()))
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (all asked at once, so that they shut down side by side)."""
        for worker in self.workers.values():
            worker.ask_exit()
        for worker in self.workers.values():
            worker.close()

    def call(self, contender: str, fn: str, **kwargs: object) -> object:
        """Run ``module:function`` in a contender's worker and return its result."""
        return self.workers[contender].request(op="call", fn=fn, kwargs=kwargs)["result"]

    # ---- the machine ----------------------------------------------------------------------
    def own_cpu(self) -> float:
        """CPU seconds of the bench's own processes: this one and its workers."""
        return procstat.process_cpu(os.getpid()) + sum(w.cpu() for w in self.workers.values())

    def others_cores(self, seconds: float) -> float:
        """Cores used by processes outside the bench over the next ``seconds``."""
        m0, o0, t0 = procstat.machine_busy_cpu(), self.own_cpu(), time.perf_counter()
        time.sleep(seconds)
        m1, o1, t1 = procstat.machine_busy_cpu(), self.own_cpu(), time.perf_counter()
        return max(0.0, (m1 - m0) - (o1 - o0)) / (t1 - t0)

    def wait_for_idle_machine(self, result: Result) -> None:
        """Wait up to ``start_wait`` s for outside use < ``start_idle_cores`` over a window."""
        s = self.settings
        start = time.perf_counter()
        while True:
            result.start_others = self.others_cores(s.start_window)
            waited = time.perf_counter() - start
            if result.start_others < s.start_idle_cores or waited + s.start_window > s.start_wait:
                break
            _say(
                self.progress,
                f"[bench] waiting for an idle machine: others use {result.start_others:.2f} "
                f"core ({waited:.0f}/{self.settings.start_wait:g} s)",
            )
        result.start_wait = time.perf_counter() - start

    # ---- one clean sample -----------------------------------------------------------------
    def wait_idle(self, workers: Iterable[Worker]) -> float:
        """Wait until none of ``workers`` uses CPU over ``idle_window``; seconds waited.

        HarnessError naming the worker if one is still busy after ``idle_timeout``."""
        s = self.settings
        start = time.perf_counter()
        for worker in workers:
            while True:
                before = worker.cpu()
                time.sleep(s.idle_window)
                used = worker.cpu() - before
                if used == 0.0:
                    break
                if time.perf_counter() - start > s.idle_timeout:
                    raise HarnessError(
                        f"idle proof failed: worker {worker.name!r} (pid {worker.pid}) still "
                        f"used {used:.2f} s of CPU in {s.idle_window:g} s after "
                        f"{s.idle_timeout:g} s of waiting (a thread that never stops?)"
                    )
        return time.perf_counter() - start

    def sample(self, config: Config, contender: str, result: Result) -> float:
        """One timed run of ``contender`` on ``config``, alone and with the other workers idle."""
        key = config.key
        worker = self.workers[config.runs[contender][0]]
        others = [w for w in self.workers.values() if w is not worker]
        for attempt in range(self.settings.max_redos + 1):
            result.idle_wait += self.wait_idle(others)
            before = [w.cpu() for w in others]
            seconds = worker.request(op="run", key=f"{key}/{contender}")["seconds"]
            stolen = sum(w.cpu() - b for w, b in zip(others, before, strict=True))
            if stolen <= self.settings.max_share * seconds:
                return seconds
            redos = result.redos.setdefault(key, {})
            redos[contender] = redos.get(contender, 0) + 1
            _say(
                self.progress,
                f"[bench] redo {key} {contender}: other workers used {stolen:.3f} s of CPU "
                f"during its {seconds:.3f} s run (attempt {attempt + 1})",
            )
        raise HarnessError(
            f"{key} {contender}: no clean sample in {self.settings.max_redos + 1} attempts; "
            "another worker keeps using CPU during the runs"
        )

    # ---- the measurement ------------------------------------------------------------------
    def _setup(self, config: Config) -> None:
        for label, (worker, factory, kwargs) in config.runs.items():
            if worker not in self.workers:
                raise ValueError(
                    f"{config.key}: {label!r} names worker {worker!r}, which is not "
                    f"one of {sorted(self.workers)}"
                )
            self.workers[worker].request(
                op="setup", key=f"{config.key}/{label}", factory=factory, kwargs=kwargs
            )

    def _drop(self, config: Config) -> None:
        for label, (worker, _, _) in config.runs.items():
            self.workers[worker].request(op="drop", key=f"{config.key}/{label}")

    def _warm(self, config: Config) -> float:
        """Warm-up runs; the longest single run, seconds."""
        longest = 0.0
        for _ in range(self.settings.warmup):
            for label, (worker, _, _) in config.runs.items():
                reply = self.workers[worker].request(op="run", key=f"{config.key}/{label}")
                longest = max(longest, reply["seconds"])
        return longest

    def measure(self, configs: list[Config]) -> Result:
        """Time every configuration in every contender it names; see the module docstring."""
        s = self.settings
        keys = [c.key for c in configs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"configs: duplicate keys in {keys}")
        result = Result(s, times={c.key: {n: [] for n in c.runs} for c in configs})
        result.load_before = procstat.load_average()
        if s.interleave == "rounds":
            for i, config in enumerate(configs):
                _say(self.progress, f"[bench] set up {config.key} ({i + 1}/{len(configs)})")
                self._setup(config)
                self._warm(config)
        self.wait_for_idle_machine(result)
        m0, o0, t0 = procstat.machine_busy_cpu(), self.own_cpu(), time.perf_counter()
        if s.interleave == "rounds":
            for rnd in range(s.rounds):
                for config in configs:
                    for name in config.runs:
                        result.times[config.key][name].append(self.sample(config, name, result))
                _say(
                    self.progress,
                    f"[bench] round {rnd + 1}/{s.rounds} done "
                    f"({time.perf_counter() - t0:.0f} s, {result.total_redos} redos)",
                )
            result.rounds = dict.fromkeys(keys, s.rounds)
        else:
            for i, config in enumerate(configs):
                self._setup(config)
                longest = self._warm(config)
                rounds = s.rounds
                if s.long_run is not None and longest > s.long_run:
                    rounds = min(rounds, s.long_rounds)
                for _ in range(rounds):
                    for name in config.runs:
                        result.times[config.key][name].append(self.sample(config, name, result))
                result.rounds[config.key] = rounds
                self._drop(config)
                _say(
                    self.progress,
                    f"[bench] {config.key} done ({i + 1}/{len(configs)}, {rounds} rounds, "
                    f"{time.perf_counter() - t0:.0f} s)",
                )
        m1, o1, t1 = procstat.machine_busy_cpu(), self.own_cpu(), time.perf_counter()
        result.seconds = t1 - t0
        result.others_cores = max(0.0, (m1 - m0) - (o1 - o0)) / result.seconds
        result.load_after = procstat.load_average()
        return result

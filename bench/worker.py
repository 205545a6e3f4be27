"""A benchmark worker: one contender's process, driven by ``bench/harness.py`` over JSON lines.

Started as ``python bench/worker.py NAME [MODULE ...]`` (it imports the modules at once); reads
one command per line on stdin and answers one JSON object per line on the protocol pipe (the
original stdout; ``print`` inside the worker goes to stderr, so nothing a library prints can
corrupt the protocol). Commands:

- ``{"op": "setup", "key": K, "factory": "module:function", "kwargs": {...}}``: call the
  factory (a module in ``bench/`` or on ``PYTHONPATH``), keep the zero-argument callable it
  returns under K; answers ``{"ok": true}``.
- ``{"op": "run", "key": K}``: one timed call; answers ``{"seconds": wall}``, timed with
  ``time.perf_counter`` around the call only.
- ``{"op": "drop", "key": K}``: forget K (and its data).
- ``{"op": "call", "fn": "module:function", "kwargs": {...}}``: answers ``{"result": value}``.
- ``{"op": "exit"}``.

An exception answers ``{"error": traceback}``; the harness raises it, naming the worker.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def resolve(target: str) -> Callable:
    """The function named ``module:function``; ValueError if the name is not of that form."""
    module, sep, name = target.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"factory/fn: got {target!r}, expected 'module:function'")
    return getattr(importlib.import_module(module), name)


def serve(commands, answers) -> None:  # noqa: ANN001
    """Answer commands (an iterable of JSON lines) on ``answers`` until exit or end of input."""
    runners: dict[str, Callable[[], object]] = {}
    for line in commands:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            op = cmd["op"]
            if op == "exit":
                break
            if op == "setup":
                runners[cmd["key"]] = resolve(cmd["factory"])(**cmd.get("kwargs", {}))
                reply: dict = {"ok": True}
            elif op == "run":
                run = runners[cmd["key"]]
                start = time.perf_counter()
                run()
                reply = {"seconds": time.perf_counter() - start}
            elif op == "drop":
                runners.pop(cmd["key"], None)
                gc.collect()
                reply = {"ok": True}
            elif op == "call":
                reply = {"result": resolve(cmd["fn"])(**cmd.get("kwargs", {}))}
            else:
                raise ValueError(f"op: got {op!r}, expected setup, run, drop, call or exit")
        except Exception:  # noqa: BLE001 - the harness reports it, naming this worker
            reply = {"error": traceback.format_exc()}
        answers.write(json.dumps(reply) + "\n")
        answers.flush()


def main() -> None:
    """Serve stdin; the protocol goes to the original stdout, everything else to stderr."""
    sys.path.insert(0, str(ROOT))  # this checkout's gated_ref, not an installed one
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what C libraries write to fd 1 lands on stderr too
    sys.stdout = sys.stderr
    for module in sys.argv[2:]:  # python worker.py NAME [MODULE ...]: import these at once
        importlib.import_module(module)
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()

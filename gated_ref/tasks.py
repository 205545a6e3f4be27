"""Sequence tasks for the LSTM vs GRU experiments: each a pure function of a seed.

Four tasks, each with its source and a held-out validation and test split:

- :class:`Adding`: the adding problem (Hochreiter & Schmidhuber 1997, experiment 4; in the
  form of Le, Jaitly & Hinton 2015): regress the sum of two marked values.
- :class:`Recall`: remember a symbol shown once among distractors, a long time-lag
  classification task in the spirit of Hochreiter & Schmidhuber (1997, experiment 2)
  and Bengio, Simard & Frasconi (1994, "information latching").
- :class:`SequentialDigits`: scikit-learn's bundled 8x8 digits read pixel by pixel (T = 64),
  the small cousin of pixel-by-pixel MNIST (Le, Jaitly & Hinton 2015).
- :class:`CharLM`: next-character prediction on English prose from the CPython documentation
  (``pydoc_data.topics``, shipped with every CPython; PSF License).

A training batch is a function of ``(seed, step)`` only; validation and test sets are fixed.
Every array is float64 (inputs) or int64 (class labels).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import cache

import numpy as np

#: The kinds of target a task has: a number read at the last step, a class read at the last
#: step, or a class at every step.
REGRESS_LAST, CLASSIFY_LAST, CLASSIFY_EVERY = "regress_last", "classify_last", "classify_every"
SPLITS = ("val", "test")


def _rng(*key: int | str) -> np.random.Generator:
    """A generator seeded by a tuple of ints and names (names hashed with CRC-32: stable)."""
    words = [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in key]
    return np.random.default_rng(words)


def _check_positive(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: got {value!r}, expected an integer >= {minimum}")
    return int(value)


@dataclass(frozen=True)
class Task:
    """What every task provides; subclasses fill in the data."""

    name = "task"
    kind = REGRESS_LAST
    #: The paper the task comes from.
    source = ""

    @property
    def key(self) -> str:
        """Short unique name including the length, e.g. ``adding-200``."""
        return f"{self.name}-{self.length}"

    @property
    def length(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def input_size(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def output_size(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def train_batch(self, seed: int, step: int, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (T, B, I) and targets for training step ``step`` of run ``seed``."""
        _check_positive("batch", batch)
        return self._sample(_rng(self.key, "train", seed, step), batch)

    def split(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        """The fixed held-out ``"val"`` or ``"test"`` set: inputs and targets."""
        if which not in SPLITS:
            raise ValueError(f"split: got {which!r}, expected one of {', '.join(SPLITS)}")
        return self._held_out(which)

    def _sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError  # pragma: no cover

    def _held_out(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        size = 256 if which == "val" else 512
        return self._sample(_rng(self.key, which), size)


@dataclass(frozen=True)
class Adding(Task):
    """The adding problem: x_t = (value, marker); the target is the sum of the two marked values.

    Values are uniform on [0, 1]; one marker lies in the first half of the sequence, one in
    the second. Predicting the mean (1) scores an MSE of 1/6.
    """

    T: int = 100
    name = "adding"
    kind = REGRESS_LAST
    source = "Hochreiter & Schmidhuber (1997), experiment 4; Le, Jaitly & Hinton (2015)"
    baseline = 1.0 / 6.0  # Var(u1 + u2), u ~ U(0, 1): the MSE of always answering 1

    def __post_init__(self) -> None:
        _check_positive("T", self.T, 2)

    length = property(lambda self: self.T)
    input_size = property(lambda self: 2)
    output_size = property(lambda self: 1)

    def _sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        t = self.T
        values = rng.uniform(0.0, 1.0, size=(t, batch))
        cols = np.arange(batch)
        first = rng.integers(0, t // 2, size=batch)
        second = rng.integers(t // 2, t, size=batch)
        markers = np.zeros((t, batch))
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        target = (values[first, cols] + values[second, cols])[:, None]
        return np.stack([values, markers], axis=-1), target


@dataclass(frozen=True)
class Recall(Task):
    """Remember a symbol: at one random step (uniform over 0..T-2) the input is one of K class
    symbols; every other step shows one of D distractor symbols. The class, read at the last
    step, is that symbol.

    Inputs are one-hot over K + D channels; class symbols appear once, so the task is latching
    over a lag of 1 to T - 1 steps (T/2 on average). Solving it to 99 % needs the long lags too.
    Guessing scores 1/K.
    """

    T: int = 100
    symbols: int = 4
    distractors: int = 4
    name = "recall"
    kind = CLASSIFY_LAST
    source = (
        "Hochreiter & Schmidhuber (1997), experiment 2; Bengio, Simard & Frasconi (1994), "
        "information latching"
    )

    def __post_init__(self) -> None:
        _check_positive("T", self.T, 2)
        _check_positive("symbols", self.symbols, 2)
        _check_positive("distractors", self.distractors, 1)

    length = property(lambda self: self.T)
    input_size = property(lambda self: self.symbols + self.distractors)
    output_size = property(lambda self: self.symbols)

    def _sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        label = rng.integers(0, self.symbols, size=batch)
        where = rng.integers(0, self.T - 1, size=batch)
        seq = self.symbols + rng.integers(0, self.distractors, size=(self.T, batch))
        seq[where, np.arange(batch)] = label
        x = np.zeros((self.T, batch, self.input_size))
        np.put_along_axis(x, seq[..., None], 1.0, axis=-1)
        return x, label.astype(np.int64)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 bundled 8x8 digits: pixels scaled to [0, 1], labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - the experiments extra installs it
        raise ImportError(
            "SequentialDigits needs scikit-learn: pip install -e '.[experiments]'"
        ) from exc
    data = load_digits()
    return data.data / 16.0, data.target.astype(np.int64)


@dataclass(frozen=True)
class SequentialDigits(Task):
    """scikit-learn's 8x8 digits, one pixel per step (T = 64, I = 1), class at the last step.

    The 1,797 images are shuffled once (fixed seed) into 1,197 for training, 300 for
    validation and 300 for testing.
    """

    name = "digits"
    kind = CLASSIFY_LAST
    source = "Le, Jaitly & Hinton (2015), pixel-by-pixel MNIST, on scikit-learn's 8x8 digits"
    sizes = (1197, 300, 300)

    length = property(lambda self: 64)
    input_size = property(lambda self: 1)
    output_size = property(lambda self: 10)

    @property
    def key(self) -> str:
        """``digits-64``."""
        return "digits-64"

    def _parts(self) -> dict[str, np.ndarray]:
        images, _ = _digits()
        order = _rng("digits-split").permutation(len(images))
        a, b, _c = self.sizes
        return {"train": order[:a], "val": order[a : a + b], "test": order[a + b :]}

    def _rows(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images, labels = _digits()
        return images[idx].T[..., None].copy(), labels[idx]

    def _sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        train = self._parts()["train"]
        return self._rows(train[rng.integers(0, len(train), size=batch)])

    def _held_out(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        return self._rows(self._parts()[which])


#: Characters the language model sees: lower-case letters, digits, space and punctuation.
ALPHABET = " abcdefghijklmnopqrstuvwxyz0123456789.,;:'\"()-\n"


@cache
def prose() -> str:
    """English prose from the CPython documentation (``pydoc_data.topics``, PSF License).

    Every topic in key order; only unindented paragraph lines are kept (no code examples, no
    heading underlines), lower-cased, with characters outside :data:`ALPHABET` dropped and
    runs of spaces collapsed.
    """
    from pydoc_data.topics import topics

    lines = []
    for key in sorted(topics):
        for line in topics[key].splitlines():
            if not line.strip() or line[0] == " " or re.fullmatch(r"([*=\-~^])\1+", line):
                continue
            lines.append(line.lower())
    text = "\n".join(lines)
    text = "".join(ch for ch in text if ch in ALPHABET)
    return re.sub(r" {2,}", " ", text)


def prose_sha256() -> str:
    """SHA-256 of :func:`prose` (it follows the CPython version that ships the text)."""
    return hashlib.sha256(prose().encode()).hexdigest()


@dataclass(frozen=True)
class CharLM(Task):
    """Next-character prediction on :func:`prose`: windows of T characters, a class every step.

    The text is cut into three contiguous parts: the first 90 % for training, then 5 % for
    validation and 5 % for testing. Held-out sets are consecutive, non-overlapping windows
    (validation 64, test 128) read from a zero state; the metric is bits per character.
    """

    T: int = 50
    name = "char_lm"
    kind = CLASSIFY_EVERY
    source = "Character-level language modelling (Graves 2013; Karpathy 2015 char-rnn)"

    def __post_init__(self) -> None:
        _check_positive("T", self.T, 2)

    length = property(lambda self: self.T)
    input_size = property(lambda self: len(ALPHABET))
    output_size = property(lambda self: len(ALPHABET))

    def codes(self, part: str) -> np.ndarray:
        """The character codes (indices into :data:`ALPHABET`) of ``"train"``, ``"val"``,
        ``"test"``."""
        text = prose()
        a, b = int(0.9 * len(text)), int(0.95 * len(text))
        bounds = {"train": (0, a), "val": (a, b), "test": (b, len(text))}
        if part not in bounds:
            raise ValueError(f"part: got {part!r}, expected train, val or test")
        lookup = {ch: i for i, ch in enumerate(ALPHABET)}
        lo, hi = bounds[part]
        return np.array([lookup[ch] for ch in text[lo:hi]], dtype=np.int64)

    def windows(self, codes: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One-hot inputs (T, B, V) of the windows at ``starts``; next-character labels (T, B)."""
        idx = starts[None, :] + np.arange(self.T)[:, None]
        x = np.zeros((self.T, len(starts), len(ALPHABET)))
        np.put_along_axis(x, codes[idx][..., None], 1.0, axis=-1)
        return x, codes[idx + 1]

    def _sample(self, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
        codes = _train_codes(self)
        return self.windows(codes, rng.integers(0, len(codes) - self.T - 1, size=batch))

    def _held_out(self, which: str) -> tuple[np.ndarray, np.ndarray]:
        codes = self.codes(which)
        count = 64 if which == "val" else 128
        count = min(count, (len(codes) - 1) // self.T)
        return self.windows(codes, np.arange(count) * self.T)


@cache
def _train_codes(task: CharLM) -> np.ndarray:
    return task.codes("train")


def make(key: str) -> Task:
    """The task called ``key``: ``adding-<T>``, ``recall-<T>``, ``digits-64``,
    ``char_lm-<T>``."""
    name, _, length = key.rpartition("-")
    makers = {"adding": Adding, "recall": Recall, "char_lm": CharLM}
    if name == "digits" and length == "64":
        return SequentialDigits()
    if name not in makers or not length.isdigit():
        raise KeyError(
            f"task: got {key!r}, expected adding-<T>, recall-<T>, digits-64 or char_lm-<T>"
        )
    return makers[name](int(length))

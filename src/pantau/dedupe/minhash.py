"""MinHash signatures with numpy: what dedupe.fingerprint loads when it computes one.

Kept apart from fingerprint.py so that only the processes that compute signatures (pantau's analysis
workers, or the main process when it runs without them) load numpy; comparing signatures and reading
their band keys needs none of it. The constants are fixed: a signature stored today must equal the one
computed for the same text tomorrow, on any machine.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pantau.dedupe.fingerprint import PERMUTATIONS, SHINGLE

_U64 = np.uint64
_rng = np.random.Generator(np.random.PCG64(20261125))  # fixed seed: signatures must not change between runs
_A = _rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) * _U64(2) + _U64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
# Position weights that turn 5 word hashes into one shingle hash (order matters: "a b" != "b a").
_W = [_U64(c) for c in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 1)]


def signature(word_hashes: list[int]) -> tuple[bytes, int]:
    """The signature of a text given its words' 32-bit hashes (PERMUTATIONS little-endian uint32 values),
    and its number of distinct shingles."""
    shingles = _shingles(word_hashes)
    distinct = 1 + int(np.count_nonzero(shingles[1:] != shingles[:-1]))
    return _minhash(shingles).astype("<u4").tobytes(), distinct


def _shingles(word_hashes: list[int]) -> npt.NDArray[np.uint64]:
    # 32-bit word hashes are plenty for a vocabulary; the shingle hash below spreads them over 64 bits.
    hashes = np.array(word_hashes, dtype=np.uint64)
    width = min(SHINGLE, len(hashes))  # a text shorter than a shingle is one shingle
    n = len(hashes) - width + 1
    acc = np.zeros(n, dtype=np.uint64)
    # Array arithmetic on uint64 wraps around silently (only scalar overflow warns), as hashing wants.
    for i, weight in enumerate(_W[SHINGLE - width :]):
        acc += hashes[i : i + n] * weight
    mixed = _mix(acc)
    mixed.sort()  # cheaper than np.unique; repeats are dropped below only for the count
    return mixed


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _minhash(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # Multiply-shift: the top 32 bits of a*x+b (mod 2^64) for random odd a: one permutation per row.
    # The shift commutes with min, so it runs on 128 values instead of the whole table.
    table = np.multiply.outer(_A, shingles)
    table += _B[:, None]
    result: npt.NDArray[np.uint64] = table.min(axis=1) >> _U64(32)
    return result

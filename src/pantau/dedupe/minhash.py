"""MinHash signatures with numpy: what dedupe.fingerprint loads when it computes one.

Kept apart from fingerprint.py so that only the processes that compute signatures (pantau's analysis
workers, or the main process when it runs without them) load numpy; comparing signatures and reading
their band keys needs none of it. The constants are fixed: a signature stored today must equal the one
computed for the same text tomorrow, on any machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pantau.dedupe.fingerprint import SHINGLE

if TYPE_CHECKING:
    import numpy.typing as npt

_U64 = np.uint64
# The permutations' constants: numpy's PCG64 seeded with 20261125, its first PERMUTATIONS draws below 2**63
# times 2 plus 1 (odd multipliers), then PERMUTATIONS more (tests/dedupe/test_fingerprint.py draws them again).
# Written out, as signatures are stored and must never change, and so that the analysis workers' fork server
# need not import numpy.random (a tenth of numpy's import time) for them.
_A = np.array(  # odd multipliers
    (
        0x5ae267f66d3febd9, 0x0984c3f22119d755, 0x4f3ab783de246edf, 0xaf883f62440accc7, 0x3ae9fc482b5efb8b,
        0x02fe8b4f335c610b, 0x800d723d629937e1, 0xc9086d3a84ec820b, 0xc7c683f360f744b9, 0x2ba9c5229fa40dbf,
        0x069f10e770e42079, 0xcaba041e7bfee931, 0xc8d4321011b26301, 0x146b4fceda856c91, 0x8f605147504a3115,
        0x02389b7748282b6b, 0xc24068004b812a03, 0x1c2243f749202a19, 0x0beef53d0ec1ba67, 0x54cff8d6d0cd9219,
        0xfc69f06003beda25, 0xcfab7c01189312c1, 0x55505787e19f3f8b, 0x736965f19d0623d3, 0x644f415b5357b45b,
        0xa3f88deed20a90bd, 0x5e72b169a259d413, 0xd02aa5d2ad477481, 0x487aa524991a93cf, 0xd669cacb5c64877b,
        0x7a3bc9e4f74da72d, 0x15afa9257f77c64f, 0xabad9cbce9d9ef93, 0x43fdb4856203691b, 0x52a8390f8de73c45,
        0x77974d67e467d5bd, 0x953a26498b1ea621, 0xf51062c22738e46f, 0x96be6cc20e8c18df, 0xd4ba19486cbfc535,
        0xe6d083c471fb10bf, 0x3529ef6759d2fedf, 0x3b4db226b033dabd, 0xbf2dae8c22feb67b, 0x7e53d529c756da8d,
        0x89cb6d53ba950763, 0x6600660d0a2dfb2b, 0xd96957c32fc6b6ff, 0x9932d01dac77668d, 0x2146c3a800c69bb3,
        0x3f023d6a2c6b2d11, 0x9a690eb1bd875689, 0xf1418b7d46f42999, 0x86b967d95f3d2311, 0x959ffaf33ede0e19,
        0x69d6f5881ef5f973, 0x033a7f6fd90049cb, 0x65fee8ad302b1fd7, 0xc7f64e6987bd4461, 0x3da77edf454ee851,
        0xaf815a662343c237, 0x7ed2b3940af90df5, 0xb9e9bfd244d2de61, 0x97853e2ea3919ce1, 0x37d0d32687f2ce33,
        0x40c0c19b2770dad9, 0x5af396de571d419d, 0xda41a70d58f28d11, 0x1a44b717df2a5cdf, 0x1073ef44a626ad45,
        0x7917d744abd4ee73, 0xa9d8014f0f7ad229, 0xca503f1e368978e3, 0x91a659de243ff945, 0xac1b537339d15a1f,
        0x7a04a9bea5086d4d, 0xb55cf79e488addc5, 0x86089764fc0ea1fb, 0xeac4cda7229a5555, 0xbe85e35bf46399ab,
        0xfdd9402700f33feb, 0x549ce01f6ccc66cd, 0x1270632e9cc9821f, 0xf1d889f69c32b7a7, 0x14916f4e5080241b,
        0x42b9bf63307ded0f, 0xa234894a8a4900bf, 0xc8ee047f2d6c66c3, 0xe5bdf58a604c7b2b, 0x260f0937651e0a1d,
        0x4d6fdefbe6f07b47, 0xc84bc746908e35e1, 0x9dd13fd3a235a0a5, 0x7710722f3d7c5859, 0x8ca2020d7c84b477,
        0x899d7168d538a7b7, 0x960b35ddaf74923f, 0x1a4e499e483a2787, 0xefb715f1efdc275d, 0x4eb708b1e77e1241,
        0x3696a8c1f19afbd3, 0x31e948fc84905ee7, 0xa5f2517d233398c9, 0xb0f963a68e0ca57d, 0xfbf08d99b356a5bd,
        0x234f48bf4b447447, 0xf3fc3578b9fc18c9, 0x90176c3d08057431, 0x1a4a1b21b30e9dbb, 0x0bd76154fa6c43c5,
        0x2bfd563d138db80b, 0x32981cdddcd52235, 0xba5438a568dc4413, 0xb3a565447371291d, 0xa7cdb3c84c47866f,
        0xfbd463bc5ca5224b, 0xa5829849460f572d, 0x1b6fbc0d4baa3caf, 0xda8ac4415b94c433, 0x92d1fc2e8c864bcd,
        0x29a8918ab8038a5f, 0x6af7ae7e44bb692d, 0x3e28eb230ce7b2f9, 0x4ecec698a9ae0639, 0x472f06183cc057af,
        0x6baf2c62edbdd19f, 0x1028b82fbd3262c5, 0xad513c697c48bf0b,
    ),
    dtype=np.uint64,
)  # fmt: skip
_B = np.array(  # offsets
    (
        0x2b4d1f9610c9d47e, 0x640501803101f5b1, 0x5224bceac3bc093d, 0x7d6e5041414f273c, 0x7ce377f238deb11d,
        0x7cd51b38df43ecd4, 0x56791458bb3cc447, 0x78574ae9d76a79a8, 0x407c1f2ec4ba2b15, 0x3d766941985465e5,
        0x609408295b349b28, 0x2ec7b1863901ac40, 0x29ddb5192b1e449c, 0x6549a5920a70971b, 0x1a686ef445db9a48,
        0x003827d03b05271b, 0x51b6111125be5cf1, 0x596bed1c9b50f444, 0x577f4eb5ebfcd602, 0x328da9f4b0d81d56,
        0x3de9ebddc237bdfe, 0x1aa27627812b6c18, 0x60b7550e0b10ea4f, 0x00e55a9b27c0a8d1, 0x7c6a4dabff27b155,
        0x026197c0f3c743c7, 0x72a5a86092d8419e, 0x2954121d8dad3b19, 0x37e14faead741d42, 0x29aab8277bd006f8,
        0x37ac15fdcb44a3d7, 0x2687a4dcd160abf1, 0x46b1a1815b2e7516, 0x2d385eef5bb64051, 0x6903dcee0890b3a4,
        0x1b5ab2daf3dd553c, 0x5aae577426412071, 0x3c82c92953340dde, 0x5f4925b9bee6d9c5, 0x1f3070a69fb2796d,
        0x2a370c154dc76e27, 0x7581251d39c90642, 0x63283b20e8f905b7, 0x236a82564ab77086, 0x4c569cc505204608,
        0x7c8e2ee142bd6e2d, 0x1b55b28feb4510a7, 0x4e94dfca8254c0dc, 0x2e76d7efcafe5256, 0x65886dade5090b58,
        0x2791e68d764697bb, 0x431998ecbb16cb5c, 0x2224e5b7a876583a, 0x4da328e2f28a4a23, 0x3d228fc419ada907,
        0x1bcaa6d00d955a86, 0x7f403b8cd2bf2354, 0x1ac6d2f4fb7f93e9, 0x2f41b47594c3d92e, 0x1299452622400cb1,
        0x1744b061c9bbc847, 0x0b05d2668badb979, 0x32ee4cc4ba1823ab, 0x4f8978534b9683e2, 0x41b6395971b777d2,
        0x6f5756c8db766ba0, 0x6efa4bd3d643d72c, 0x37de7d88a487d971, 0x7a9f27ae84a823b2, 0x28125ae3a27d9951,
        0x3b798669b6726819, 0x189d3ac039c237f3, 0x2d6a3041f6336aaf, 0x3c4c445a8606242b, 0x67a418b455280f33,
        0x21ab6af083bb7db0, 0x0f3c9361066b230f, 0x1bb81f27637e461e, 0x3e3a258329b708d8, 0x3172c564092e8fce,
        0x59904cc535a59d57, 0x1c292c46a59b5e10, 0x5a2cbaf0897375cf, 0x3126a09ccb5a57cf, 0x38d4b77bd0977014,
        0x6aa8cb8121fe2bd4, 0x256196878914a28d, 0x4fc19b5045f76db5, 0x38625e15c839228a, 0x0a41a34304e388df,
        0x5db3a86411bbdd53, 0x48699dec665985ee, 0x07265953af1c45e4, 0x492e56ac2aabe1bd, 0x02726d302eb140f0,
        0x2d75310fe43e4cb2, 0x2f37805ba7606f7c, 0x1ea5123d01efc0e8, 0x3561b7e1d3087d69, 0x1eac8bf1f8ce0c0d,
        0x43071fbaea810727, 0x187880c14e6951d2, 0x37b7c07a8fbf29de, 0x02087d0fab5d0bde, 0x3fdb8dd928969b29,
        0x745727605658caf1, 0x14e98d2142eab16a, 0x5491608d869224f1, 0x212873622bfaddad, 0x56bf4a072b113a4a,
        0x1a0eb73b111c8779, 0x6dfd2c4ddd1ec242, 0x4015272b839bfdbb, 0x46f1dd6a8c32e086, 0x39120de9b0dbd0d2,
        0x1d9bceafd8fa2623, 0x6903995fb24b84a0, 0x7060c2057059a199, 0x739511402bfa023f, 0x32b113280c5d4177,
        0x0f11816c3eb5eca0, 0x3503299fa52c1ace, 0x44f81a413a8bf228, 0x025db9cb891cb3f9, 0x7e9c9555364c7e9a,
        0x7e7316588a0f643f, 0x0c921559b619fff7, 0x0c7962a7abe73ede,
    ),
    dtype=np.uint64,
)  # fmt: skip
# Position weights that turn 5 word hashes into one shingle hash (order matters: "a b" != "b a").
_W = np.array(
    (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 1), dtype=np.uint64
)
_SHIFTS = (_U64(30), _U64(27), _U64(31), _U64(32))
_MIXERS = (_U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB))


def signature(word_hashes: list[int]) -> tuple[bytes, int]:
    """The signature of a text given its words' 32-bit hashes (PERMUTATIONS little-endian uint32 values),
    and its number of distinct shingles."""
    shingles = _shingles(word_hashes)
    new = np.empty(len(shingles), dtype=bool)
    new[0] = True
    np.not_equal(shingles[1:], shingles[:-1], out=new[1:])
    distinct = int(np.count_nonzero(new))
    if distinct < len(shingles):
        shingles = shingles[new]  # a repeat changes no minimum: the permutations need not see it again
    return _minhash(shingles).astype("<u4").tobytes(), distinct


def _shingles(word_hashes: list[int]) -> npt.NDArray[np.uint64]:
    # 32-bit word hashes are plenty for a vocabulary; the shingle hash below spreads them over 64 bits.
    hashes = np.array(word_hashes, dtype=np.uint64)
    width = min(SHINGLE, len(hashes))  # a text shorter than a shingle is one shingle
    # shingle i = sum of hashes[i + k] * weight k, as one correlation (a sum mod 2^64: array arithmetic on
    # uint64 wraps around silently, as hashing wants); for articles of a few hundred words numpy's cost per
    # call outweighs its cost per element, so the fewer calls the better.
    mixed = _mix(np.correlate(hashes, _W[SHINGLE - width :], "valid"))
    mixed.sort()  # cheaper than np.unique; repeats are dropped by the caller
    return mixed


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finaliser: every input bit reaches every output bit. Changes `x` in place."""
    x ^= x >> _SHIFTS[0]
    x *= _MIXERS[0]
    x ^= x >> _SHIFTS[1]
    x *= _MIXERS[1]
    x ^= x >> _SHIFTS[2]
    return x


def _minhash(shingles: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    # Multiply-shift: the top 32 bits of a*x+b (mod 2^64) for random odd a: one permutation per row.
    # The shift commutes with min, so it runs on 128 values instead of the whole table.
    table = np.multiply.outer(_A, shingles)
    table += _B[:, None]
    result: npt.NDArray[np.uint64] = table.min(axis=1)
    result >>= _SHIFTS[3]
    return result

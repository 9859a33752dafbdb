#!/usr/bin/python3
"""`bitgrid encode` against an independent NumPy implementation of tiny-cuda-nn's hash-grid encoding.

The peer below is written from tiny-cuda-nn's grid.h / common_device.h semantics (../shared/DESIGN.md §5.1), not
from bitgrid's C++: float32 scales (exp2(l * log2(b)) * N_min - 1), resolutions ceil(scale) + 1, level sizes
next_multiple(min(res^D, 2^31 - 1), 8) capped at 2^T, levels back to back and feature-interleaved, positions
scale * x + 0.5, the coherent-prime hash in uint32 and the dense index, `% size`. It rounds the position twice
(product, then sum) where tiny-cuda-nn uses one fmaf, so values agree to a few float ulps of the position, not bit
for bit; the tolerance says so. The fixed-point output is checked against it within the error the tool prints.

Usage: test_hashgrid_peer.py BITGRID_EXE
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np

EXE = None
PRIMES = [1, 2654435761, 805459861]
MASK = (1 << 32) - 1


def levels(dims, n_levels, log2_table, base_res, b):
    log2b = np.log2(np.float32(b), dtype=np.float32)
    out, offset = [], 0
    for lv in range(n_levels):
        scale = np.float32(np.exp2(np.float32(lv) * log2b, dtype=np.float32) * np.float32(base_res) - np.float32(1))
        res = int(np.ceil(scale)) + 1
        size = min(res ** dims, 2 ** 31 - 1)
        size = (size + 7) // 8 * 8
        size = min(size, 1 << log2_table)
        out.append(dict(scale=scale, res=res, size=size, offset=offset, dense=res ** dims <= size))
        offset += size
    return out, offset


def encode(x, params, dims, feats, lvls, smooth):
    n = x.shape[0]
    out = np.zeros((n, len(lvls) * feats), dtype=np.float32)
    for li, lv in enumerate(lvls):
        pos = (lv["scale"] * x).astype(np.float32) + np.float32(0.5)
        cell = np.floor(pos)
        frac = (pos - cell).astype(np.float32)
        cell = cell.astype(np.uint64)
        if smooth:
            frac = frac * frac * (np.float32(3) - np.float32(2) * frac)
        acc = np.zeros((n, feats), dtype=np.float32)
        for corner in range(1 << dims):
            w = np.ones(n, dtype=np.float32)
            idx = np.zeros(n, dtype=np.uint64)
            h = np.zeros(n, dtype=np.uint64)
            stride = 1
            for d in range(dims):
                up = (corner >> d) & 1
                c = cell[:, d] + np.uint64(up)
                w = w * (frac[:, d] if up else np.float32(1) - frac[:, d])
                idx = (idx + c * np.uint64(stride)) & np.uint64(MASK)
                stride *= lv["res"]
                h ^= (c * np.uint64(PRIMES[d])) & np.uint64(MASK)
            e = ((idx if lv["dense"] else h) % np.uint64(lv["size"])) + np.uint64(lv["offset"])
            for f in range(feats):
                acc[:, f] += w * params[e * np.uint64(feats) + np.uint64(f)]
        out[:, li * feats:(li + 1) * feats] = acc
    return out


class HashgridPeer(unittest.TestCase):
    def run_case(self, seed, dims, n_levels, feats, log2_table, base_res, b, smooth, amp):
        rng = np.random.default_rng(seed)
        lvls, entries = levels(dims, n_levels, log2_table, base_res, b)
        params = (amp * rng.uniform(-1, 1, entries * feats)).astype(np.float32)
        x = rng.random((500, dims), dtype=np.float32)
        x[0, :] = 0
        x[1, :] = 1
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "c.yaml")
            with open(cfg, "w") as f:
                f.write("workload:\n  type: model\n  layers:\n    - {name: enc, type: hashgrid, dims: %d, levels: %d, "
                        "features: %d, log2_table: %d, base_res: %d, per_level_scale: %r, interpolation: %s}\n"
                        % (dims, n_levels, feats, log2_table, base_res, b, "smoothstep" if smooth else "linear"))
            np.save(os.path.join(tmp, "p.npy"), x)
            # tiny-cuda-nn's parameters as a 2-D [entries, features] array (the tool also takes them flat)
            np.save(os.path.join(tmp, "g.npy"), params.reshape(entries, feats))
            outs = {}
            for numerics in ("float", "fixed"):
                fo = os.path.join(tmp, numerics + ".npy")
                r = subprocess.run([EXE, "encode", cfg, "--points", os.path.join(tmp, "p.npy"), "--params",
                                    os.path.join(tmp, "g.npy"), "-o", fo, "--numerics", numerics],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                outs[numerics] = (np.load(fo), r.stdout)
        ref = encode(x, params, dims, feats, lvls, smooth)
        got = outs["float"][0]
        self.assertEqual(got.shape, (500, n_levels * feats))
        for li, lv in enumerate(lvls):
            # two roundings of the position here, one there: an ulp of (scale + 0.5) through a slope of at most
            # 3 * amp per dimension, plus the sums' rounding
            tol = amp * (3 * dims * 2.0 ** -22 * (float(lv["scale"]) + 1) + 1e-5)
            err = np.abs(got[:, li * feats:(li + 1) * feats] - ref[:, li * feats:(li + 1) * feats]).max()
            self.assertLessEqual(err, tol, "level %d (res %d, %s)" % (li, lv["res"], "dense" if lv["dense"] else "hashed"))
        # fixed point: within the error the tool reports against its own float, which is within tol of the peer
        m = re.search(r"max \|error\| ([0-9.e+-]+)", outs["fixed"][1])
        self.assertIsNotNone(m, outs["fixed"][1])
        reported = float(m.group(1))
        err = np.abs(outs["fixed"][0] - got).max()
        self.assertAlmostEqual(err, reported, delta=reported * 0.01 + 1e-9)
        self.assertLess(reported, amp * 0.01)

    def test_3d_instant_ngp_levels(self):
        # the first five levels dense (res 16..59), the rest hashed into 2^14 entries
        self.run_case(1, 3, 8, 2, 14, 16, 1.3819, False, 1.0)

    def test_2d_image_fit_shape(self):
        self.run_case(2, 2, 16, 2, 15, 16, 1.26, False, 0.1)

    def test_2d_smoothstep_four_features(self):
        self.run_case(3, 2, 6, 4, 12, 8, 1.7, True, 2.0)

    def test_3d_one_and_eight_features(self):
        self.run_case(4, 3, 4, 1, 10, 4, 2.0, False, 1.0)
        self.run_case(5, 3, 3, 8, 9, 3, 1.5, True, 0.5)


if __name__ == "__main__":
    EXE = sys.argv.pop(1)
    unittest.main()

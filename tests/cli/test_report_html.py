#!/usr/bin/python3
"""scripts/report_html.py on hand-made reports whose roofline, energy shares and profile are computed here by
hand: the page's tables hold those numbers, it has a figure per plot, it is self-contained, the same report gives
the same bytes, and bad reports get one-line errors with no page written.

Run: /usr/bin/python3 tests/cli/test_report_html.py (ctest: report_html_script).
"""
import copy
import html.parser
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "report_html.py")

# A timed run: one engine did work (1000 units, peak 10 per cycle), 100 + 150 DRAM bytes at 4 bytes per cycle,
# 200 cycles, a profile of 64-cycle bins (the last bin 8 cycles long).
TIMED = {
    "backend": "systemc",
    "config": "configs/x.yaml",
    "workload": {"type": "hamming_topk", "instructions": 7},
    "hardware": {"ham_lanes": 2},
    "cycles": 200,
    "roofline": {
        "bound_by": "compute", "bound_cycles": 100.0, "compute_bound_cycles": 100.0, "dram_bound_cycles": 62.5,
        "dram_bytes_per_cycle": 4.0, "fraction_of_bound": 0.5,
        "engines": {
            "hamtopk": {"unit": "code bits compared", "peak_per_cycle": 10.0, "useful": 1000.0, "bound_cycles": 100.0},
            "bitmac": {"unit": "weight terms", "peak_per_cycle": 256.0, "useful": 0.0, "bound_cycles": 0.0},
        },
    },
    "dram_bytes": {"read": 100, "write": 150},
    "energy_pj": {"total": 1000.0, "dram": 600.0, "sram": {"dbuf": 300.0, "qbuf": 0.0}, "hamtopk": {"word_op": 100.0}},
    "energy_table": "horowitz45",
    "units": {u: {"busy_cycles": b, "insns": 2, "utilization": b / 200} for u, b in
              (("load", 40), ("compute", 150), ("store", 8))},
    "profile": {
        "bin_cycles": 64,
        "busy_cycles": {"load": [32, 8, 0, 0], "compute": [0, 64, 64, 8], "store": [0, 0, 0, 8]},
        "dram_read_bytes": [64, 36, 0, 0],
        "dram_write_bytes": [0, 0, 128, 22],
    },
    "verified": True,
    "recall_at_k": 0.25,
}


class Tables(html.parser.HTMLParser):
    """Every <table> of a page as a list of rows of cell texts, and the count of <svg> and fetching elements."""

    def __init__(self):
        super().__init__()
        self.tables, self.svgs, self.fetches, self.json = [], 0, [], None
        self._cell = None
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "svg":
            self.svgs += 1
        elif tag == "script":
            if a.get("type") != "application/json":
                self.fetches.append("script")
            self._in_json = True
            self.json = ""
        for k in ("src", "href", "xlink:href"):
            if k in a and not a[k].startswith("#"):
                self.fetches.append(f"{tag} {k}={a[k]}")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.tables[-1][-1].append(self._cell)
            self._cell = None
        elif tag == "script":
            self._in_json = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._in_json:
            self.json += data


def value(cell):
    return float(cell.replace(",", "").rstrip("%"))


class ReportHtml(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def page(self, rep, expect_rc=0):
        with open(os.path.join(self.dir, "report.json"), "w") as f:
            f.write(rep if isinstance(rep, str) else json.dumps(rep))
        r = subprocess.run([sys.executable, SCRIPT, self.dir], capture_output=True, text=True)
        self.assertEqual(r.returncode, expect_rc, r.stderr)
        if expect_rc:
            return r
        with open(os.path.join(self.dir, "report.html")) as f:
            text = f.read()
        p = Tables()
        p.feed(text)
        return text, p

    def kv(self, p, first_header):
        """The two-column table whose header row starts with `first_header`, as a dict."""
        for t in p.tables:
            if t and t[0] and t[0][0] == first_header:
                return {r[0]: r[1:] for r in t[1:]}
        self.fail(f"no table headed {first_header}")

    def test_roofline_numbers(self):
        _, p = self.page(TIMED)
        r = self.kv(p, "roofline")
        # intensity 1000 / 250 = 4 units per byte; bound min(10, 4 * 4) = 10; attained 1000 / 200 = 5; half of it
        self.assertAlmostEqual(value(r["this run's intensity (work per byte)"][0]), 4.0)
        self.assertAlmostEqual(value(r["bound (work per cycle)"][0]), 10.0)
        self.assertAlmostEqual(value(r["attained (work per cycle)"][0]), 5.0)
        self.assertAlmostEqual(value(r["attained / bound"][0]), 0.5)
        self.assertAlmostEqual(value(r["ridge intensity (work per byte)"][0]), 2.5)  # 10 / 4
        self.assertIn("code bits compared", r["work unit"][0])

    def test_roofline_dram_bound_and_normalised(self):
        rep = copy.deepcopy(TIMED)
        rep["dram_bytes"] = {"read": 1000, "write": 1000}  # intensity 0.5: bound 4 * 0.5 = 2 per cycle
        _, p = self.page(rep)
        self.assertAlmostEqual(value(self.kv(p, "roofline")["bound (work per cycle)"][0]), 2.0)
        rep["roofline"]["engines"]["bitmac"]["useful"] = 2560.0  # two engines: work in engine-cycles at peak
        rep["roofline"]["compute_bound_cycles"] = 110.0
        _, p = self.page(rep)
        r = self.kv(p, "roofline")
        self.assertAlmostEqual(value(r["work"][0]), 110.0)
        self.assertAlmostEqual(value(r["peak per cycle"][0]), 1.0)
        self.assertAlmostEqual(value(r["attained (work per cycle)"][0]), 0.55)

    def test_energy_shares(self):
        _, p = self.page(TIMED)
        e = self.kv(p, "component")
        self.assertEqual(list(e), ["dram", "sram.dbuf", "hamtopk.word_op", "total"])  # largest first, no zeros
        self.assertAlmostEqual(value(e["dram"][1]), 60.0)
        self.assertAlmostEqual(value(e["sram.dbuf"][1]), 30.0)
        self.assertAlmostEqual(value(e["total"][0]), 1000.0e-6)

    def test_profile_fractions(self):
        _, p = self.page(TIMED)
        bins = next(t for t in p.tables if t and t[0][0] == "bin")
        self.assertEqual(len(bins), 1 + 4)
        last = bins[4]  # the last bin holds 8 cycles: compute and store busy all of them, 22 bytes written
        self.assertEqual(value(last[2]), 8)
        self.assertAlmostEqual(value(last[4]), 100.0)
        self.assertAlmostEqual(value(last[5]), 100.0)
        self.assertAlmostEqual(value(last[7]), 22 / 8)
        self.assertAlmostEqual(value(bins[1][3]), 50.0)  # load: 32 of 64 cycles
        self.assertAlmostEqual(value(bins[2][6]), 36 / 64)

    def test_self_contained_and_reproducible(self):
        text, p = self.page(TIMED)
        self.assertEqual(p.svgs, 4)  # roofline, energy, busy, DRAM
        self.assertEqual(p.fetches, [])
        self.assertNotIn("@import", text)
        self.assertNotIn("url(http", text)
        self.assertEqual(json.loads(p.json), TIMED)
        text2, _ = self.page(TIMED)
        self.assertEqual(text, text2)
        self.assertIn("recall_at_k", text)  # every number of the report is in a table

    def test_reference_run_and_parts(self):
        rep = copy.deepcopy(TIMED)
        rep["backend"] = "reference"
        rep["cycles"] = None
        for k in ("profile", "units"):
            del rep[k]
        rep["sections"] = [{"name": "fc1", "energy_pj": 700.0, "energy_pj_by_component": {"dram": 500.0, "sram.dbuf": 200.0}},
                           {"name": "fc2", "energy_pj": 300.0, "energy_pj_by_component": {"dram": 100.0, "hamtopk.word_op": 100.0}}]
        text, p = self.page(rep)
        self.assertEqual(p.svgs, 3)  # roofline (its bound only), energy, energy by part
        self.assertIn("The reference backend counts no cycles", text)
        self.assertNotIn("attained (work per cycle)", self.kv(p, "roofline"))
        parts = next(t for t in p.tables if t and t[0][0] == "name")
        self.assertEqual([r[0] for r in parts[1:]], ["fc1", "fc2"])

    def test_bad_reports(self):
        out = os.path.join(self.dir, "report.html")
        bad = copy.deepcopy(TIMED)
        bad["profile"]["dram_read_bytes"] = [1, 2]
        for rep, needle in (("{\"cycles\": ", "not valid JSON"), ("[1, 2]", "not a report"),
                            ({"cycles": 3}, "no `roofline`"), (bad, "`profile.dram_read_bytes` has 2 bins, 4 expected")):
            r = self.page(rep, expect_rc=2)
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertTrue(r.stderr.startswith("error: ") and needle in r.stderr, r.stderr)
            self.assertIn("report.json", r.stderr)
            self.assertFalse(os.path.exists(out))
        r = subprocess.run([sys.executable, SCRIPT, os.path.join(self.dir, "nope")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no such file", r.stderr)
        self.assertEqual([f for f in os.listdir(self.dir) if f != "report.json"], [])  # no temporary left


if __name__ == "__main__":
    unittest.main()

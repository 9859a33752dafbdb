#!/usr/bin/python3
"""pareto.svg of a bitgrid sweep: cycles against energy of every point that ran, the Pareto front (results.csv's
`pareto` column) joined and labelled with its axis values.

  sweep_plot.py OUT      reads OUT/results.csv, writes OUT/pareto.svg (the same bytes for the same table)

Errors: one line on stderr, exit 2, no file written. Plots with Debian's python3-matplotlib (/usr/bin/python3).
"""
import csv
import io
import os
import sys

from report_html import ReportError, fail, setup_matplotlib, write_atomic  # shared with report.html

FIXED = ["status", "verified", "cycles", "energy_pj"]


def main():
    if len(sys.argv) != 2:
        fail("usage: sweep_plot.py OUT (a `bitgrid sweep` output folder)")
    out = sys.argv[1]
    src = os.path.join(out, "results.csv")
    try:
        with open(src, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        fail(f"{src}: cannot read ({e.strerror})")
    if not rows:
        fail(f"{src}: no points")
    header = list(rows[0].keys())
    for k in FIXED + ["point", "pareto"]:
        if k not in header:
            fail(f"{src}: no `{k}` column (not a results.csv of `bitgrid sweep`)")
    axes = header[1:header.index("status")]
    pts = []
    for r in rows:
        if r["cycles"] and r["energy_pj"] and r["status"] in ("ok", "unverified"):
            try:
                pts.append((float(r["cycles"]), float(r["energy_pj"]) * 1e-6, r))
            except ValueError:
                fail(f"{src}: point {r['point']}: cycles or energy_pj is not a number")
    try:
        subplots = setup_matplotlib()
    except ReportError as e:
        fail(str(e))
    fig, ax = subplots(figsize=(7.0, 4.6))
    if not pts:
        ax.text(0.5, 0.5, "no point with cycles (reference backend or all failed)", ha="center",
                transform=ax.transAxes)
    else:
        ok = [(x, y) for x, y, r in pts if r["status"] == "ok"]
        bad = [(x, y) for x, y, r in pts if r["status"] != "ok"]
        if ok:
            ax.scatter([p[0] for p in ok], [p[1] for p in ok], s=18, color="#1f77b4", label="verified point")
        if bad:
            ax.scatter([p[0] for p in bad], [p[1] for p in bad], s=24, marker="x", color="#d62728",
                       label="not verified")
        front = sorted((x, y, r) for x, y, r in pts if r["pareto"] == "1")
        if front:
            ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="#ff7f0e", lw=1.2)
            ax.scatter([p[0] for p in front], [p[1] for p in front], s=40, facecolors="none",
                       edgecolors="#ff7f0e", label="Pareto front (fewer cycles, less energy)")
            for x, y, r in front:
                ax.annotate(r["point"] + ": " + ", ".join(f"{a.split('.')[-1]}={r[a]}" for a in axes), (x, y),
                            textcoords="offset points", xytext=(4, 4), fontsize=6.5)
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        if max(xs) > 20 * min(xs):
            ax.set_xscale("log")
        if max(ys) > 20 * min(ys):
            ax.set_yscale("log")
        ax.legend(fontsize=8, loc="upper right")
    ax.set_xlabel("cycles")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"Sweep: {len(pts)} of {len(rows)} points ran ({' x '.join(axes)})", fontsize=9)
    dst = os.path.join(out, "pareto.svg")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "bitgrid"})
    write_atomic(dst, buf.getvalue())


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""report.html of a bitgrid run: one self-contained page (inline SVG plots, no script, nothing fetched).

  report_html.py DIR [--out FILE]
      Reads DIR/report.json (what `bitgrid run` writes) and writes DIR/report.html (or FILE): the roofline with
      the run's point and both bounds, the energy by component (and by program part when the report has
      parts), each unit's busy fraction and the DRAM bandwidth over time (from the report's activity profile,
      on the timed backends), and every number of the report in tables. The report itself is embedded too
      (<script type="application/json" id="bitgrid-report">), so the page carries its data.

Plots come from matplotlib (Debian's python3-matplotlib; run with /usr/bin/python3). The page is the same bytes
for the same report.json. Errors: one line on stderr naming the file and what is wrong, exit 2, and no file
written.
"""
import argparse
import html
import io
import json
import math
import os
import sys
import tempfile

UNITS = ["load", "compute", "store"]
UNIT_COLORS = {"load": "#1f77b4", "compute": "#d62728", "store": "#2ca02c"}


class ReportError(Exception):
    pass


def fail(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def num(x):
    """A number for a table: integers with thousands separators, other values to 6 significant digits."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
            return f"{int(x):,}"
        return f"{x:.6g}"
    if x is None:
        return "-"
    return str(x)


def flatten(obj, prefix=""):
    """(dotted key, value) of every scalar in obj, lists of scalars kept whole."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        out.append((prefix, obj))
    return out


def get(rep, path, kind=None, default=KeyError):
    """rep's value at a dotted path, checked to be of `kind` (a type or tuple of types)."""
    cur = rep
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            if default is KeyError:
                raise ReportError(f"no `{path}`")
            return default
        cur = cur[part]
    if kind is not None and (not isinstance(cur, kind) or isinstance(cur, bool) and bool not in (
            kind if isinstance(kind, tuple) else (kind,))):
        raise ReportError(f"`{path}` is not a {kind.__name__ if isinstance(kind, type) else 'number'}")
    return cur


NUMBER = (int, float)


# ---- the data behind each plot (also shown in the tables) ----

def roofline_data(rep):
    """The roofline in the work unit of the one engine that did work, or normalised to engine-cycles at peak when
    several did: peak, bandwidth, the run's intensity, its bound and (timed backends) the attained rate."""
    roof = get(rep, "roofline", dict)
    bw = float(get(rep, "roofline.dram_bytes_per_cycle", NUMBER))
    engines = get(rep, "roofline.engines", dict)
    busy = {n: e for n, e in engines.items() if float(e.get("useful", 0)) > 0}
    if len(busy) == 1:
        name, e = next(iter(busy.items()))
        work, peak, unit = float(e["useful"]), float(e["peak_per_cycle"]), f"{e['unit']}"
        label = f"{name}: {unit}"
    else:
        work = float(get(rep, "roofline.compute_bound_cycles", NUMBER))
        peak, unit = 1.0, "engine-cycles at peak"
        label = "work of " + (" + ".join(sorted(busy)) if busy else "no engine") + " in engine-cycles at peak"
    dram = float(get(rep, "dram_bytes.read", NUMBER)) + float(get(rep, "dram_bytes.write", NUMBER))
    d = {"unit": unit, "label": label, "work": work, "peak_per_cycle": peak, "dram_bytes_per_cycle": bw,
         "dram_bytes": dram, "ridge_intensity": peak / bw, "bound_by": roof.get("bound_by")}
    if work > 0 and dram > 0:
        d["intensity"] = work / dram
        d["bound_per_cycle"] = min(peak, bw * d["intensity"])
    cycles = rep.get("cycles")
    if isinstance(cycles, NUMBER) and not isinstance(cycles, bool) and cycles > 0 and work > 0:
        d["attained_per_cycle"] = work / cycles
        if "bound_per_cycle" in d:
            d["fraction_of_bound"] = d["attained_per_cycle"] / d["bound_per_cycle"]
    return d


def energy_components(rep):
    """Energy by component (pJ), the nonzero ones, largest first, without the total."""
    e = get(rep, "energy_pj", dict)
    comps = [(k, float(v)) for k, v in flatten(e) if k != "total" and isinstance(v, NUMBER) and v > 0]
    return sorted(comps, key=lambda kv: (-kv[1], kv[0]))


def profile_data(rep):
    """Per bin: its first cycle, its length, each unit's busy fraction, DRAM read/write bytes per cycle."""
    p = rep.get("profile")
    if p is None:
        return None
    if not isinstance(p, dict):
        raise ReportError("`profile` is not an object")
    bc = get(rep, "profile.bin_cycles", int)
    if bc <= 0:
        raise ReportError("`profile.bin_cycles` is not positive")
    cycles = get(rep, "cycles", NUMBER)
    n = math.ceil(cycles / bc)
    paths = [f"busy_cycles.{u}" for u in UNITS] + ["dram_read_bytes", "dram_write_bytes"]
    series = {k: get(rep, f"profile.{k}", list) for k in paths}
    for k, v in series.items():
        if len(v) != n:
            raise ReportError(f"`profile.{k}` has {len(v)} bins, {n} expected for {num(cycles)} cycles of "
                              f"{bc} per bin")
        if not all(isinstance(x, NUMBER) and not isinstance(x, bool) and x >= 0 for x in v):
            raise ReportError(f"`profile.{k}` holds a value that is not a count")
    lens = [min(bc, cycles - i * bc) for i in range(n)]
    d = {"bin_cycles": bc, "starts": [i * bc for i in range(n)], "lens": lens}
    for u in UNITS:
        d[u] = [b / ln for b, ln in zip(series[f"busy_cycles.{u}"], lens)]
    d["read_bpc"] = [b / ln for b, ln in zip(series["dram_read_bytes"], lens)]
    d["write_bpc"] = [b / ln for b, ln in zip(series["dram_write_bytes"], lens)]
    return d


# ---- plots ----

def setup_matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ReportError("matplotlib is missing (Debian package python3-matplotlib; `make deps` installs it)")
    matplotlib.rcParams.update({
        "svg.fonttype": "none",  # text stays text: smaller, searchable
        "svg.hashsalt": "bitgrid",  # stable element ids: the same report gives the same page
        "font.size": 9,
        "axes.grid": True,
        "grid.alpha": 0.3,
    })
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global figure state, faster start

    def subplots(nrows=1, figsize=None, sharex=False):
        fig = Figure(figsize=figsize)
        return fig, fig.subplots(nrows, 1, sharex=sharex)
    return subplots


def svg(plt, fig):
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "bitgrid"})
    s = buf.getvalue()
    return s[s.index("<svg"):]


def plot_roofline(plt, r):
    fig, ax = plt(figsize=(6.4, 4.0))
    peak, bw, ridge = r["peak_per_cycle"], r["dram_bytes_per_cycle"], r["ridge_intensity"]
    xs = [ridge] + [r[k] for k in ("intensity",) if k in r]
    lo, hi = min(xs) / 16, max(xs) * 16
    ax.plot([lo, ridge], [bw * lo, peak], color="#555", lw=1.5, label=f"DRAM bound: {num(bw)} B/cycle x intensity")
    ax.plot([ridge, hi], [peak, peak], color="#000", lw=1.5, label=f"compute bound: {num(peak)} per cycle")
    ax.axvline(ridge, color="#999", ls=":", lw=1)
    if "intensity" in r:
        x = r["intensity"]
        ax.plot([x], [r["bound_per_cycle"]], marker="o", mfc="none", mec="#555", ms=8, ls="none",
                label=f"bound at this intensity ({r['bound_by']}-bound)")
        if "attained_per_cycle" in r:
            ax.plot([x], [r["attained_per_cycle"]], marker="o", color="#d62728", ms=7, ls="none",
                    label=f"this run: {100 * r['fraction_of_bound']:.1f}% of its bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ys = [bw * lo, peak] + [r[k] for k in ("attained_per_cycle",) if k in r]
    ax.set_ylim(min(ys) / 2, max(ys) * 2)
    ax.set_xlabel(f"operational intensity ({r['unit']} per DRAM byte)")
    ax.set_ylabel(f"{r['unit']} per cycle")
    ax.set_title("Roofline")
    ax.legend(loc="lower right", fontsize=8)
    return svg(plt, fig)


def component_colors(names):
    import matplotlib
    cmap = matplotlib.colormaps["tab20"]
    return {n: cmap(i % 20) for i, n in enumerate(sorted(names))}


def plot_energy(plt, comps, sections):
    total = sum(v for _, v in comps)
    colors = component_colors([k for k, _ in comps])
    fig, ax = plt(figsize=(6.4, 0.35 * len(comps) + 1.0))
    names = [k for k, _ in comps][::-1]
    vals = [v * 1e-6 for _, v in comps][::-1]
    ax.barh(names, vals, color=[colors[n] for n in names])
    for i, v in enumerate(vals):
        ax.text(v, i, f" {100 * v * 1e6 / total:.1f}%", va="center", fontsize=8)
    ax.set_xlabel("energy (uJ)")
    ax.set_xlim(0, max(vals) * 1.18)
    ax.set_title(f"Energy by component: {total * 1e-6:.6g} uJ")
    out = [svg(plt, fig)]
    if sections:
        fig, ax = plt(figsize=(6.4, 0.35 * len(sections) + 1.4))
        labels = [s["name"] for s in sections][::-1]
        left = [0.0] * len(labels)
        for comp, _ in comps:
            vals = [float(s.get("energy_pj_by_component", {}).get(comp, 0)) * 1e-6 for s in sections][::-1]
            if any(vals):
                ax.barh(labels, vals, left=left, color=colors[comp], label=comp)
                left = [a + b for a, b in zip(left, vals)]
        ax.set_xlabel("energy (uJ)")
        ax.set_title("Energy by program part and component")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        out.append(svg(plt, fig))
    return out


def plot_busy(plt, p):
    fig, axes = plt(len(UNITS), figsize=(6.4, 3.6), sharex=True)
    edges = p["starts"] + [p["starts"][-1] + p["lens"][-1]]
    for ax, u in zip(axes, UNITS):
        ax.stairs(p[u], edges, fill=True, color=UNIT_COLORS[u], alpha=0.8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(u, rotation=0, ha="right", va="center")
        ax.set_yticks([0, 0.5, 1])
    axes[0].set_title(f"Busy fraction per unit ({num(p['bin_cycles'])} cycles per bin; the rest is idle)")
    axes[-1].set_xlabel("cycle")
    axes[-1].ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    return svg(plt, fig)


def plot_dram(plt, p, bw):
    fig, ax = plt(figsize=(6.4, 2.8))
    edges = p["starts"] + [p["starts"][-1] + p["lens"][-1]]
    total = [a + b for a, b in zip(p["read_bpc"], p["write_bpc"])]
    ax.stairs(p["read_bpc"], edges, fill=True, color="#1f77b4", alpha=0.8, label="read")
    ax.stairs(total, edges, baseline=p["read_bpc"], fill=True, color="#ff7f0e", alpha=0.8, label="write")
    ax.axhline(bw, color="#000", lw=1, ls="--", label=f"peak {num(bw)} B/cycle")
    ax.set_ylim(0, bw * 1.15)
    ax.set_xlabel("cycle")
    ax.set_ylabel("bytes per cycle")
    ax.set_title(f"DRAM bandwidth ({num(p['bin_cycles'])} cycles per bin)")
    ax.legend(fontsize=8, loc="upper right")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    return svg(plt, fig)


# ---- HTML ----

CSS = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 64em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.88em; }
td, th { border: 1px solid #ccc; padding: 0.15em 0.5em; text-align: right; }
th { background: #f0f0f0; } td.k, th.k { text-align: left; font-family: monospace; }
.ok { color: #080; font-weight: bold; } .bad { color: #c00; font-weight: bold; }
.fig { margin: 0.6em 0; } .note { color: #555; font-size: 0.9em; }
"""


def table(rows, header=None, keycols=1):
    h = ["<table>"]
    if header:
        h.append("<tr>" + "".join(f'<th class="k">{html.escape(c)}</th>' if i < keycols else
                                  f"<th>{html.escape(c)}</th>" for i, c in enumerate(header)) + "</tr>")
    for r in rows:
        h.append("<tr>" + "".join(f'<td class="k">{html.escape(str(c))}</td>' if i < keycols else
                                  f"<td>{html.escape(num(c))}</td>" for i, c in enumerate(r)) + "</tr>")
    h.append("</table>")
    return "\n".join(h)


def records_table(recs):
    """A list of objects as one table: a column per scalar key (nested objects flattened)."""
    flat = [dict(flatten(r)) for r in recs]
    cols = []
    for f in flat:
        for k, v in f.items():
            if k not in cols and not isinstance(v, list):
                cols.append(k)
    first = [c for c in ("name",) if c in cols]
    cols = first + [c for c in cols if c not in first]
    return table([[f.get(c) for c in cols] for f in flat], cols, keycols=len(first))


def build(rep):
    plt = setup_matplotlib()
    roof = roofline_data(rep)
    comps = energy_components(rep)
    prof = profile_data(rep)
    sections = rep.get("sections") if isinstance(rep.get("sections"), list) else []
    cycles = rep.get("cycles")
    timed = isinstance(cycles, NUMBER) and not isinstance(cycles, bool)
    verified = rep.get("verified")
    fpga = rep.get("fpga") if isinstance(rep.get("fpga"), dict) else None
    has_clock = bool(fpga) and isinstance(fpga.get("fmax_mhz"), NUMBER)
    mhz = float(fpga["fmax_mhz"]) if has_clock else 1000.0  # a report without a clock (synthesis only): nominal
    clock = f"{fpga['target']} at {mhz:.2f} MHz" if has_clock else "1 GHz (nominal)"
    total_pj = float(get(rep, "energy_pj.total", NUMBER))

    title = f"bitgrid {rep.get('backend', '?')} | {get(rep, 'workload.type', str)} | {rep.get('config', '?')}"
    h = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
         f"<style>{CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    v = '<span class="ok">verified</span>' if verified is True else (
        f'<span class="bad">NOT verified: {html.escape(str(rep.get("verify_error", "")))}</span>'
        if verified is False else "verification not recorded")
    h.append(f"<p>{v}</p>")

    summ = [["backend", rep.get("backend")], ["config", rep.get("config")], ["workload", rep["workload"]["type"]]]
    if timed:
        summ += [["cycles", cycles], [f"time at {clock} (us)", cycles / mhz]]
    else:
        summ += [["cycles", "not counted (the reference backend is untimed)"]]
    summ += [["energy (uJ)", total_pj * 1e-6]]
    if timed and cycles > 0:
        summ += [["average power at that clock (W)", total_pj * 1e-12 / (cycles / (mhz * 1e6))]]
    summ += [[k, val] for k, val in flatten(rep) if k.startswith("energy_pj_per_")]
    summ += [["bound by", f"{roof['bound_by']} ({num(get(rep, 'roofline.bound_cycles', NUMBER))} cycles)"]]
    if "fraction_of_bound" in roof:
        summ += [["reached of the bound", f"{100 * roof['fraction_of_bound']:.1f}%"]]
    summ += [["DRAM bytes read", rep["dram_bytes"]["read"]], ["DRAM bytes written", rep["dram_bytes"]["write"]]]
    if isinstance(rep.get("units"), dict):
        for u in UNITS:
            if u in rep["units"]:
                summ.append([f"{u} unit busy", f"{100 * float(rep['units'][u]['utilization']):.1f}%"])
    h += ["<h2>Summary</h2>", table(summ)]

    # Roofline
    h.append("<h2>Roofline</h2>")
    if roof["work"] > 0 and "intensity" in roof:
        h.append(f'<div class="fig">{plot_roofline(plt, roof)}</div>')
    else:
        h.append('<p class="note">No roofline: the program does no engine work or moves no DRAM bytes.</p>')
    if not timed:
        h.append('<p class="note">The reference backend counts no cycles: only the bound is shown.</p>')
    rrows = [["work unit", roof["label"]], ["work", roof["work"]], ["peak per cycle", roof["peak_per_cycle"]],
             ["DRAM bytes", roof["dram_bytes"]], ["DRAM bytes per cycle", roof["dram_bytes_per_cycle"]],
             ["ridge intensity (work per byte)", roof["ridge_intensity"]]]
    for k, lab in (("intensity", "this run's intensity (work per byte)"), ("bound_per_cycle", "bound (work per cycle)"),
                   ("attained_per_cycle", "attained (work per cycle)"), ("fraction_of_bound", "attained / bound")):
        if k in roof:
            rrows.append([lab, roof[k]])
    h.append(table(rrows, ["roofline", "value"]))
    eng = get(rep, "roofline.engines", dict)
    h.append(table([[n, e.get("unit"), e.get("peak_per_cycle"), e.get("useful"), e.get("bound_cycles")]
                    for n, e in eng.items()], ["engine", "unit", "peak per cycle", "work", "cycles at peak"], 2))

    # Energy
    h.append("<h2>Energy</h2>")
    if comps:
        h += [f'<div class="fig">{s}</div>' for s in plot_energy(plt, comps, sections)]
    h.append(table([[k, val * 1e-6, 100 * val / total_pj] for k, val in comps] + [["total", total_pj * 1e-6, 100.0]],
                   ["component", "energy (uJ)", "share (%)"]))
    h.append(f'<p class="note">Energy table: {html.escape(str(rep.get("energy_table", "?")))}.</p>')

    # Over time
    h.append("<h2>Activity over time</h2>")
    if prof:
        h.append(f'<div class="fig">{plot_busy(plt, prof)}</div>')
        h.append(f'<div class="fig">{plot_dram(plt, prof, roof["dram_bytes_per_cycle"])}</div>')
        rows = [[i, s, ln] + [100 * prof[u][i] for u in UNITS] + [prof["read_bpc"][i], prof["write_bpc"][i]]
                for i, (s, ln) in enumerate(zip(prof["starts"], prof["lens"]))]
        h.append("<details><summary>the profile's bins as a table</summary>")
        h.append(table(rows, ["bin", "first cycle", "cycles"] + [f"{u} busy (%)" for u in UNITS] +
                       ["DRAM read (B/cycle)", "DRAM write (B/cycle)"]))
        h.append("</details>")
    else:
        h.append('<p class="note">No activity profile: it comes from the timed backends (systemc, rtl).</p>')

    # Tables
    if isinstance(rep.get("units"), dict):
        h += ["<h2>Units</h2>", table([[u, x.get("insns"), x.get("busy_cycles"), 100 * float(x.get("utilization", 0))]
                                       for u, x in rep["units"].items()],
                                      ["unit", "instructions", "busy cycles", "busy (%)"])]
    if sections:
        h += ["<h2>Program parts</h2>", records_table(sections)]
    for key in sorted(k for k, val in rep.items() if isinstance(val, list) and k not in ("sections",)):
        if rep[key] and all(isinstance(x, dict) for x in rep[key]):
            h += [f"<h2>{html.escape(key)}</h2>", records_table(rep[key])]
    shown = {"sections", "profile", "units", "roofline", "energy_pj"}
    for key in ("workload", "hardware", "fpga", "train", "actions"):
        if isinstance(rep.get(key), dict):
            h += [f"<h2>{html.escape(key)}</h2>", table(flatten(rep[key]), ["key", "value"])]
            shown.add(key)
    rest = [(k, val) for k, val in flatten({k: val for k, val in rep.items() if k not in shown})
            if not isinstance(val, list)]
    h += ["<h2>Everything else in report.json</h2>", table(rest, ["key", "value"])]

    data = json.dumps(rep, sort_keys=True).replace("</", "<\\/")
    h.append(f'<script type="application/json" id="bitgrid-report">{data}</script>')
    h.append("</body></html>\n")
    return "\n".join(h)


def main():
    ap = argparse.ArgumentParser(description="report.html of a bitgrid run")
    ap.add_argument("dir", help="a run's output folder (holding report.json)")
    ap.add_argument("--out", help="the page to write (default DIR/report.html)")
    a = ap.parse_args()
    src = os.path.join(a.dir, "report.json")
    out = a.out or os.path.join(a.dir, "report.html")
    try:
        with open(src, encoding="utf-8") as f:
            rep = json.load(f)
    except FileNotFoundError:
        fail(f"{src}: no such file (is {a.dir} the output folder of a `bitgrid run`?)")
    except (OSError, UnicodeDecodeError) as e:
        fail(f"{src}: cannot read ({e})")
    except json.JSONDecodeError as e:
        fail(f"{src}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})")
    if not isinstance(rep, dict):
        fail(f"{src}: not a report (the top level is not an object)")
    try:
        page = build(rep)
    except ReportError as e:
        fail(f"{src}: {e}")
    except (KeyError, TypeError, ValueError) as e:
        fail(f"{src}: not a bitgrid report ({type(e).__name__}: {e})")
    write_atomic(out, page)


def write_atomic(path, text):
    """`text` into `path` through a temporary file beside it (never half-written); one-line error otherwise."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".bitgrid-", suffix=os.path.splitext(path)[1],
                                   dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        fail(f"{path}: cannot write ({e.strerror})")


if __name__ == "__main__":
    main()

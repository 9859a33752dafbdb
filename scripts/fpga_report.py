#!/usr/bin/env python3
"""Resource accounting and the fpga.json report of scripts/fpga.sh (standard library only).

  fpga_report.py fit --target T --family F --stat STAT.json --ports PORTS.txt --top TOP
                     --cap KIND=N ... [--io-in-fit] --out RES.json
      Maps the family's Yosys cells to LUTs, FFs, carries, BRAMs, SPRAMs, DSPs and I/Os, compares them with
      the part's capacities and writes RES.json. Exit 3 with one line on stdout naming what overflows
      ("LUTs 57533 used > 5280 available, BRAM 96 > 30") when the design does not fit.
  fpga_report.py nextpnr --report REPORT.json --out TIMING.json
      Fmax per clock, the critical path's start and end, and the placed design's utilisation.
  fpga_report.py modules --family F --stat STAT.json --top TOP --out MODULES.csv
      Per-module cells of a -noflatten synthesis: each module's own cells and its cells with submodules.
  fpga_report.py assemble --res RES.json [--timing TIMING.json] --set KEY=VALUE ... --out FPGA.json
      The report: KEY=VALUE pairs (dotted keys nest; numbers stay numbers) plus resources and timing.
"""
import argparse
import csv
import json
import re
import sys

KINDS = ["luts", "ffs", "carries", "brams", "sprams", "dsps", "io"]
LABEL = {"luts": "LUTs", "ffs": "FFs", "carries": "carries", "brams": "BRAM", "sprams": "SPRAM", "dsps": "DSP",
         "io": "I/O"}


def ice40(cell):
    if cell == "SB_LUT4":
        return {"luts": 1}
    if cell.startswith("SB_DFF"):
        return {"ffs": 1}
    if cell == "SB_CARRY":
        return {"carries": 1}
    if cell.startswith("SB_RAM40_4K"):
        return {"brams": 1}
    if cell == "SB_SPRAM256KA":
        return {"sprams": 1}
    if cell == "SB_MAC16":
        return {"dsps": 1}
    if cell.startswith("SB_IO"):
        return {"io": 1}
    return {}


# Xilinx 7-series LUT-RAM and shift-register cells and the LUTs each occupies.
XILINX_LUTRAM = {"RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM32X1D": 2, "RAM64X1D": 2,
                 "RAM128X1D": 4, "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1, "SRLC16E": 1,
                 "SRLC32E": 1}


def xilinx(cell):
    if re.fullmatch(r"LUT[1-6](_2)?|INV", cell):  # INV: a LUT1 after implementation
        return {"luts": 1}
    if cell in XILINX_LUTRAM:
        return {"luts": XILINX_LUTRAM[cell], "lutram": XILINX_LUTRAM[cell]}
    if re.fullmatch(r"FD[RSCP]E(_1)?|LD[CP]E?", cell):
        return {"ffs": 1}
    if cell == "CARRY4":
        return {"carries": 1}
    if cell == "RAMB36E1":
        return {"brams": 1}
    if cell == "RAMB18E1":
        return {"brams": 0.5}  # counted in RAMB36 tiles
    if cell in ("DSP48E1",):
        return {"dsps": 1}
    if re.fullmatch(r"[IO]BUF[TG]?|IOBUF|IBUFDS|OBUFDS", cell):
        return {"io": 1}
    return {}


def ecp5(cell):
    if cell == "LUT4":
        return {"luts": 1}
    if cell == "CCU2C":  # two LUT4s and their carry chain
        return {"luts": 2, "carries": 1}
    if cell == "TRELLIS_DPR16X4":  # distributed RAM (estimate: the LUT pair of one slice)
        return {"luts": 2, "lutram": 2}
    if cell == "TRELLIS_FF":
        return {"ffs": 1}
    if cell in ("DP16KD", "PDPW16KD"):
        return {"brams": 1}
    if cell == "MULT18X18D":
        return {"dsps": 1}
    if cell in ("TRELLIS_IO", "IB", "OB", "BB"):
        return {"io": 1}
    return {}


def gowin(cell):
    if re.fullmatch(r"LUT[1-4]", cell):
        return {"luts": 1}
    if cell == "ALU":  # a LUT position with its carry
        return {"luts": 1, "carries": 1}
    if re.fullmatch(r"RAM16S[124]|RAM16SDP[124]", cell):  # shadow SRAM (estimate: 4 LUT positions)
        return {"luts": 4, "lutram": 4}
    if re.fullmatch(r"DFF[A-Z]*", cell):
        return {"ffs": 1}
    if re.fullmatch(r"(DP|SP|SDP|pROM)(X9)?B?", cell):
        return {"brams": 1}
    if re.fullmatch(r"MULT.*|ALU54D|PADD.*", cell):
        return {"dsps": 1}
    if re.fullmatch(r"[IOT]BUF|IOBUF|TLVDS.*|ELVDS.*", cell):
        return {"io": 1}
    return {}


FAMILIES = {"ice40": ice40, "xilinx": xilinx, "ecp5": ecp5, "gowin": gowin}


def num(v):
    return int(v) if float(v).is_integer() else v


def count(family, cells):
    """Resource counts (KINDS + lutram) of a {cell type: n} map; unknown cell types are left out."""
    res = {k: 0 for k in KINDS + ["lutram"]}
    fn = FAMILIES[family]
    for cell, n in cells.items():
        for k, w in fn(cell).items():
            res[k] += w * n
    return {k: num(v) for k, v in res.items()}


def load_stat(path):
    """`stat -json` output. Yosys 0.23 prints the design hierarchy as text inside the JSON of a design that
    is not flat, so the "modules" and "design" objects are decoded on their own."""
    with open(path) as f:
        text = f.read()
    out = {"modules": {}, "design": {}}
    dec = json.JSONDecoder()
    for key in out:
        m = re.search(r'"%s"\s*:\s*\{' % key, text)
        if m:
            out[key], _ = dec.raw_decode(text, m.end() - 1)
    return out


def clean(name):
    return name[1:] if name.startswith("\\") else name


def port_bits(path):
    """Total bits of the top's ports, from Yosys `portlist` output ("input [31:0] a_i" lines)."""
    bits = 0
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*(input|output|inout)\s+\[(-?\d+):(-?\d+)\]\s+\S+", line)
            if m:
                bits += abs(int(m.group(2)) - int(m.group(3))) + 1
    return bits


def cmd_fit(a):
    stat = load_stat(a.stat)
    mods = {clean(k): v for k, v in stat["modules"].items()}
    if a.top in mods:
        cells = mods[a.top].get("num_cells_by_type", {})
    else:
        cells = stat["design"].get("num_cells_by_type", {})
    res = count(a.family, cells)
    res["io"] = port_bits(a.ports)  # the top's port bits: one pin each
    caps = {}
    for c in a.cap:
        k, v = c.split("=", 1)
        caps[k] = num(float(v))
    util = {}
    over = []
    for k in KINDS:
        if k not in caps:
            continue
        util[k] = {"used": res[k], "available": caps[k]}
        if caps[k] > 0:
            util[k]["percent"] = round(100.0 * res[k] / caps[k], 1)
        if res[k] > caps[k] and (k != "io" or a.io_in_fit):
            over.append(f"{LABEL[k]} {res[k]} used > {caps[k]} available")
    out = {"resources": res, "cells": dict(sorted(cells.items())), "utilization": util, "fits": not over}
    if over:
        out["overflows"] = over
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    if over:
        print(", ".join(over))
        return 3
    return 0


def cmd_nextpnr(a):
    with open(a.report) as f:
        rep = json.load(f)
    out = {"fmax_mhz": {}, "utilization": {}}
    for clk, v in rep.get("fmax", {}).items():
        out["fmax_mhz"][clk] = {"achieved": round(v["achieved"], 2), "constraint": v["constraint"]}
    if out["fmax_mhz"]:
        worst = min(out["fmax_mhz"].items(), key=lambda kv: kv[1]["achieved"])
        out["clock"] = worst[0]
        out["fmax"] = worst[1]["achieved"]
    for k, v in rep.get("utilization", {}).items():
        if v.get("used", 0):
            out["utilization"][k] = {"used": v["used"], "available": v["available"]}
    paths = []
    for p in rep.get("critical_paths", []):
        steps = p.get("path", [])
        if not steps:
            continue
        s, e = steps[0]["from"], steps[-1]["to"]
        paths.append({"from_clock": p.get("from"), "to_clock": p.get("to"),
                      "start": f'{s["cell"]}.{s["port"]}', "end": f'{e["cell"]}.{e["port"]}',
                      "delay_ns": round(sum(x.get("delay", 0) for x in steps), 3),
                      "logic_levels": sum(1 for x in steps if x.get("type") == "logic")})
    # the clock-to-clock path of the slowest clock first, then the I/O paths
    intra = [p for p in paths if p["from_clock"] == p["to_clock"] and "<async>" not in str(p["from_clock"])]
    out["critical_path"] = max(intra, key=lambda p: p["delay_ns"]) if intra else (paths[0] if paths else None)
    out["critical_paths"] = paths
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    return 0


def cmd_modules(a):
    stat = load_stat(a.stat)
    mods = {clean(k): v.get("num_cells_by_type", {}) for k, v in stat["modules"].items()}
    own = {m: count(a.family, c) for m, c in mods.items()}
    subs = {m: {clean(t): n for t, n in c.items() if clean(t) in mods} for m, c in mods.items()}
    incl = {}

    def inclusive(m):
        if m not in incl:
            tot = dict(own[m])
            for s, n in subs[m].items():
                for k, v in inclusive(s).items():
                    tot[k] = num(tot[k] + n * v)
            incl[m] = tot
        return incl[m]

    inst = {m: 0 for m in mods}

    def walk(m, n):
        inst[m] += n
        for s, k in subs[m].items():
            walk(s, n * k)

    top = a.top if a.top in mods else next(iter(mods))
    walk(top, 1)
    cols = ["luts", "ffs", "carries", "brams", "sprams", "dsps", "lutram"]
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["module", "parameters", "instances"] + cols + [c + "_with_submodules" for c in cols[:5]])
        order = sorted(mods, key=lambda m: (-inclusive(m)["luts"], m))
        for m in order:
            if inst[m] == 0:
                continue
            base, params = m, ""
            if m.startswith("$paramod"):
                parts = m.split("\\")
                base = parts[1] if len(parts) > 1 else m
                params = ";".join(parts[2:])
            w.writerow([base, params, inst[m]] + [own[m][c] for c in cols] + [inclusive(m)[c] for c in cols[:5]])
    return 0


def put(d, key, value):
    parts = key.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = value


def typed(v):
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    if re.fullmatch(r"-?\d+\.\d*", v):
        return float(v)
    if v in ("true", "false"):
        return v == "true"
    if v == "null":
        return None
    return v


def cmd_assemble(a):
    rep = {}
    for kv in a.set:
        k, v = kv.split("=", 1)
        put(rep, k, typed(v))
    with open(a.res) as f:
        res = json.load(f)
    rep["resources"] = res["resources"]
    rep["cells"] = res["cells"]
    rep["utilization"] = res["utilization"]
    rep["fits"] = res["fits"]
    if "overflows" in res:
        rep["overflows"] = res["overflows"]
    if a.timing:
        with open(a.timing) as f:
            t = json.load(f)
        placed = t["utilization"]
        u = rep["utilization"]
        # the placed design's own counts where nextpnr has them (logic cells = LUT+FF+carry sites)
        for kind, cell in (("logic_cells", "ICESTORM_LC"), ("brams", "ICESTORM_RAM"), ("sprams", "ICESTORM_SPRAM"),
                           ("dsps", "ICESTORM_DSP"), ("io", "SB_IO")):
            if cell in placed:
                used = placed[cell]["used"]
                avail = u[kind]["available"] if kind in u else placed[cell]["available"]
                u[kind] = {"used": used, "available": avail, "percent": round(100.0 * used / avail, 1) if avail else 0}
        u["source"] = "nextpnr (placed and routed)"
        tm = rep.setdefault("timing", {})  # requested_mhz, min_fmax_mhz, icetime_* come from --set
        tm.update({"fmax_mhz": t.get("fmax"), "clock": t.get("clock"), "per_clock": t["fmax_mhz"],
                   "critical_path": t["critical_path"], "critical_paths": t["critical_paths"]})
        if t.get("fmax") is not None and tm.get("requested_mhz") is not None:
            tm["met"] = t["fmax"] >= tm["requested_mhz"]
        if a.seed_fmax:
            seeds = []
            for kv in a.seed_fmax:
                sd, f = kv.split("=", 1)
                seeds.append({"seed": int(sd), "fmax_mhz": float(f)})
            fs = sorted(x["fmax_mhz"] for x in seeds)
            mid = len(fs) // 2
            tm["seeds"] = seeds
            tm["seed_fmax_mhz"] = {"min": fs[0], "median": fs[mid] if len(fs) % 2 else round((fs[mid - 1] + fs[mid]) / 2, 2),
                                   "max": fs[-1], "count": len(fs)}
    else:
        rep["utilization"]["source"] = "yosys (before place-and-route)"
    first = ["target", "part", "family", "stage", "top", "config", "config_file", "seed", "fits", "overflows",
             "utilization", "timing", "resources", "cells"]
    rep = {**{k: rep[k] for k in first if k in rep}, **{k: v for k, v in rep.items() if k not in first}}
    with open(a.out, "w") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--target", required=True)
    f.add_argument("--family", required=True, choices=sorted(FAMILIES))
    f.add_argument("--stat", required=True)
    f.add_argument("--ports", required=True)
    f.add_argument("--top", required=True)
    f.add_argument("--cap", action="append", default=[])
    f.add_argument("--io-in-fit", action="store_true")
    f.add_argument("--out", required=True)
    n = sub.add_parser("nextpnr")
    n.add_argument("--report", required=True)
    n.add_argument("--out", required=True)
    m = sub.add_parser("modules")
    m.add_argument("--family", required=True, choices=sorted(FAMILIES))
    m.add_argument("--stat", required=True)
    m.add_argument("--top", required=True)
    m.add_argument("--out", required=True)
    s = sub.add_parser("assemble")
    s.add_argument("--res", required=True)
    s.add_argument("--seed-fmax", action="append", default=[], help="SEED=FMAX of each place-and-route run")
    s.add_argument("--timing")
    s.add_argument("--set", action="append", default=[])
    s.add_argument("--out", required=True)
    a = p.parse_args()
    return {"fit": cmd_fit, "nextpnr": cmd_nextpnr, "modules": cmd_modules, "assemble": cmd_assemble}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

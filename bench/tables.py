#!/usr/bin/env python3
"""bench/tables.py: the tables of make bench, from bench/run-bench's raw figures.

usage: tables.py RAW.tsv OUTDIR "COLUMN..." "MB-COLUMN..."

RAW.tsv has one figure a line: server, round, column, metric, value.  Metrics:
rate (req/s, or MB/s for the MB columns), wire (MB/s of a req column), cpu
(the server's CPU us per request), tool (the load tool's), headroom (how many
times the measured rate the load tool could drive), throttled (% of quota
periods), quota (cores); column "rss" has idle and load (KiB per worker).
Servers: otuserver, floor, the peers (nginx, lighttpd, h2o, and variants such
as nginx-gzip_static), and NAME-logs / otuserver-metrics for the extra passes.

Writes OUTDIR/results.md (medians, ratios, then every round's figures) and
OUTDIR/ratios.dat (for bench/chart: index, column, otuserver / best peer,
otuserver / floor); prints the medians' part.
"""
import statistics
import sys

raw, out = sys.argv[1], sys.argv[2]
columns = sys.argv[3].split()
mb_columns = set(sys.argv[4].split())

fig = {}  # (server, column, metric) -> [values by round]
rounds = {}  # (server, round) -> {(column, metric): value}
for line in open(raw):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 5 or parts[4] == "":
        continue
    s, r, c, m, v = parts
    fig.setdefault((s, c, m), []).append(float(v))
    rounds.setdefault((s, int(r)), {})[(c, m)] = float(v)


def med(s, c, m):
    v = fig.get((s, c, m))
    return statistics.median(v) if v else None


servers = []
for (s, _, _) in fig:
    if s not in servers:
        servers.append(s)
main = [s for s in ("otuserver", "floor", "nginx", "lighttpd", "h2o") if s in servers]
main += sorted(s for s in servers if s not in main and not s.endswith("-logs") and s != "otuserver-metrics")
peers = [s for s in main if s not in ("otuserver", "floor")]


def best_peer(c, m, higher):
    vals = [(med(p, c, m), p) for p in peers if med(p, c, m) is not None]
    if not vals:
        return None, None
    return max(vals) if higher else min(vals)


def num(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


lines = []
unit = {c: ("MB/s" if c in mb_columns else "req/s") for c in columns}
heads = [f"{c} {unit[c]}" for c in columns]

# rates
lines += ["Rates (medians; each column under its own quota, below; higher is better):", "",
          "| server | " + " | ".join(heads) + " |", "|" + "---|" * (len(heads) + 1)]
for s in main:
    lines.append(f"| {s} | " + " | ".join(num(med(s, c, "rate")) for c in columns) + " |")
best = {c: best_peer(c, "rate", True) for c in columns}
lines.append("| otuserver / best peer | " + " | ".join(
    ratio(med("otuserver", c, "rate"), best[c][0]) + (f" ({best[c][1]})" if best[c][1] else "") for c in columns) + " |")
lines.append("| otuserver / floor | " + " | ".join(
    ratio(med("otuserver", c, "rate"), med("floor", c, "rate")) for c in columns) + " |")

# server CPU per request
lines += ["", "The server's CPU time per request (us, user + system of all its processes; lower is better):", "",
          "| server | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 1)]
for s in main:
    lines.append(f"| {s} | " + " | ".join(num(med(s, c, "cpu"), 1) for c in columns) + " |")
bcpu = {c: best_peer(c, "cpu", False) for c in columns}
lines.append("| best peer / otuserver | " + " | ".join(
    ratio(bcpu[c][0], med("otuserver", c, "cpu")) + (f" ({bcpu[c][1]})" if bcpu[c][1] else "") for c in columns) + " |")
lines.append("| floor / otuserver | " + " | ".join(
    ratio(med("floor", c, "cpu"), med("otuserver", c, "cpu")) for c in columns) + " |")

# load tools and quotas
lines += ["", "Load tools and quotas: the tool's own CPU per request (median over servers), the lowest headroom "
          "(rate the tool could drive / rate measured; 2x or more: the server was the bottleneck) and the lowest "
          "share of quota periods in which the server was throttled:", "",
          "| column | quota (cores) | tool CPU us/req | lowest headroom | lowest throttled |", "|---|---|---|---|---|"]
for c in columns:
    q = [v for s in main for v in fig.get((s, c, "quota"), [])]
    t = [med(s, c, "tool") for s in main if med(s, c, "tool") is not None]
    h = [(med(s, c, "headroom"), s) for s in main if med(s, c, "headroom") is not None]
    th = [(med(s, c, "throttled"), s) for s in main if med(s, c, "throttled") is not None]
    lines.append(f"| {c} | {q[0] if q else '-'} | {num(statistics.median(t), 1) if t else '-'} | "
                 + (f"{min(h)[0]:.1f}x ({min(h)[1]})" if h else "-") + " | "
                 + (f"{min(th)[0]:.0f} % ({min(th)[1]})" if th else "-") + " |")

# memory
lines += ["", "Resident memory per worker (MiB), at rest and during the keep-alive column:", "",
          "| server | idle | load |", "|---|---|---|"]
for s in main:
    i, ld = med(s, "rss", "idle"), med(s, "rss", "load")
    if i is not None or ld is not None:
        lines.append(f"| {s} | {num(i and i / 1024, 1)} | {num(ld and ld / 1024, 1)} |")

# access logs and metrics
logs = [(s[:-5], med(s, "keep-alive", "rate"), med(s, "keep-alive", "cpu")) for s in servers if s.endswith("-logs")]
if logs:
    lines += ["", "With access logs on (keep-alive, medians):", "", "| server | req/s | CPU us/req |", "|---|---|---|"]
    lines += [f"| {s} | {num(r)} | {num(c, 1)} |" for s, r, c in logs]
    lp = [r for s, r, _ in logs if s != "otuserver" and r is not None]
    o = [r for s, r, _ in logs if s == "otuserver"]
    if lp and o and o[0] is not None:
        lines.append(f"| otuserver / best peer | {o[0] / max(lp):.2f}x | |")
on, off = med("otuserver-metrics", "keep-alive", "rate"), med("otuserver", "keep-alive", "rate")
if on is not None and off:
    con, coff = med("otuserver-metrics", "keep-alive", "cpu"), med("otuserver", "keep-alive", "cpu")
    lines += ["", f"Metrics (--metrics-port) on: keep-alive {on:,.0f} req/s against {off:,.0f} off "
              f"({(on / off - 1) * 100:+.1f} %); CPU {num(con, 2)} against {num(coff, 2)} us per request."]

text = "\n".join(lines) + "\n"

# every round's figures: rate / server CPU us per request, per column
raw_lines = ["", "Every round: rate / server CPU us per request (RSS in KiB):", "",
             "| server | round | " + " | ".join(columns) + " | RSS idle / load |", "|" + "---|" * (len(columns) + 3)]
for (s, r) in sorted(rounds, key=lambda k: (k[1], (main + servers).index(k[0]))):
    f = rounds[(s, r)]
    cells = []
    for c in columns:
        rate, cpu = f.get((c, "rate")), f.get((c, "cpu"))
        cells.append("" if rate is None else f"{rate:,.0f} / {cpu:.1f}" if cpu is not None else f"{rate:,.0f}")
    rss = f"{f[('rss', 'idle')]:.0f} / {f.get(('rss', 'load'), 0):.0f}" if ("rss", "idle") in f else ""
    raw_lines.append(f"| {s} | {r} | " + " | ".join(cells) + f" | {rss} |")
open(f"{out}/results.md", "w").write(text + "\n".join(raw_lines) + "\n")

with open(f"{out}/ratios.dat", "w") as f:
    for i, c in enumerate(columns):
        o, b, fl = med("otuserver", c, "rate"), best[c][0], med("floor", c, "rate")
        if o is None or b is None:
            continue
        f.write(f'{i} "{c}" {o / b:.3f} {(o / fl) if fl else 0:.3f}\n')
print(text)

"""Prints compare.sh's table from its result files: DIR/MODEL.SERVICE.USERS.ROUND.json."""
import glob
import json
import os
import sys

d, models, users = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()


def runs(model, service, u):
    out = []
    for p in sorted(glob.glob(os.path.join(d, f"{model}.{service}.{u}.*.json"))):
        with open(p) as f:
            r = json.load(f)
        r["round"] = p.rsplit(".", 2)[1]
        r["refused_per_s"] = r["codes"].get("503", 0) / r["seconds"]
        r["other"] = sum(n for c, n in r["codes"].items() if c not in ("200", "503"))
        # The service's CPU time over the whole run, per answer of the whole run.
        r["cpu_ms"] = 1000 * r["server_cpu_s"] / r["ok_all"] if r.get("ok_all") and "server_cpu_s" in r else None
        out.append(r)
    return out


def span(vals, fmt="{:.1f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else fmt.format(lo) + "-" + fmt.format(hi)


print("| model | users | Gunicorn + MediaPipe: 200/s | p95 ms | CPU ms/200 | holostream defaults: 200/s | ratio | p95 ms | CPU ms/200 | 503/s | other errors |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
notes = []
for m in models:
    peak = {}
    for u in users:
        g, h = runs(m, "gunicorn", u), runs(m, "holostream", u)
        gr = {r["round"]: r["ok_per_s"] for r in g}
        ratios = [r["ok_per_s"] / gr[r["round"]] for r in h if gr.get(r["round"])]
        print(f"| {m} | {u} | {span([r['ok_per_s'] for r in g])} | {span([r['p95_ms'] for r in g], '{:.0f}')} "
              f"| {span([r['cpu_ms'] for r in g])} "
              f"| {span([r['ok_per_s'] for r in h])} | {span(ratios, '{:.2f}x')} | {span([r['p95_ms'] for r in h], '{:.0f}')} "
              f"| {span([r['cpu_ms'] for r in h])} "
              f"| {span([r['refused_per_s'] for r in h], '{:.0f}')} | {sum(r['other'] for r in g + h)} |")
        for s, rs in (("gunicorn", g), ("holostream", h)):
            for r in rs:
                peak.setdefault(s, {}).setdefault(r["round"], []).append(r["ok_per_s"])
    for s, by_round in peak.items():
        # Goodput at the last (highest) level against the service's own best level, each round.
        kept = [v[-1] / max(v) for v in by_round.values() if max(v) > 0]
        notes.append(f"{m} {s}: at {users[-1]} users, {span(kept, '{:.2f}')} of its own peak 200/s")
print()
print("\n".join(notes))

"""How stable the track ids of `holostream infer --video --max-people N` are over a clip.

Reads the JSON lines infer writes (one per frame, each with "people": [{"id", "pose"}...]) and
prints, per clip: people per frame, how many ids were given, id switches, ids born away from the
image's edges after the first frame, and the median track length. Without ground-truth tracks
these are proxies, each of which a human can check on infer's --overlay frames:

  switch      a person found in frame t with a new id whose landmark box overlaps (IoU > 0.3)
              the box of an id that was in frame t-1 and is not in frame t: one person, two ids.
  inner birth an id first seen after frame 0 whose box is more than 40 px from every edge: a
              person coming out from behind something, or one the tracker lost and gave a new
              id (the gap to the nearest earlier track, in frames, and the distance between
              them, in box heights, are printed to tell which).

The clip used for the README's figures: the first 200 frames (20 s at 10 fps) of OpenCV's
vtest.avi (Debian opencv-doc, see testdata/surveillance/SOURCES.md):

    ffmpeg -i /usr/share/doc/opencv-doc/examples/data/vtest.avi -frames:v 200 -q:v 2 /tmp/vt/f_%04d.jpg
    bin/holostream infer --video --fps 10 --max-people 16 --person-detector ssd /tmp/vt/f_*.jpg > ssd.jsonl
    python3 scripts/mediapipe/multipose/track_ids.py ssd.jsonl

Standard library only.
"""
import json
import math
import sys


def main(path, width=768, height=576, edge=40):
    rows = [json.loads(line) for line in open(path)]

    def box(p):
        xs = [l["x"] * width for l in p["pose"]["landmarks"]]
        ys = [l["y"] * height for l in p["pose"]["landmarks"]]
        return [max(0, min(xs)), max(0, min(ys)), min(width, max(xs)), min(height, max(ys))]

    def iou(a, b):
        ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
        return ix * iy / u if u > 0 else 0

    frames = [{p["id"]: box(p) for p in r.get("people", [])} for r in rows]
    first, last = {}, {}
    for t, f in enumerate(frames):
        for i, b in f.items():
            first.setdefault(i, (t, b))
            last[i] = (t, b)
    at_edge = lambda b: b[0] < edge or b[2] > width - edge or b[1] < edge or b[3] > height - edge
    switches = []
    for t in range(1, len(frames)):
        for j, b in frames[t].items():
            if j in frames[t - 1]:
                continue
            for i, a in frames[t - 1].items():
                if i not in frames[t] and iou(a, b) > 0.3:
                    switches.append((t, i, j))
                    break
    ids = sorted(first)
    inner = [i for i in ids if first[i][0] > 0 and not at_edge(first[i][1])]
    gaps = []
    for i in inner:
        t0, b = first[i]
        best = None
        for j in ids:
            tj, a = last[j]
            if j == i or tj >= t0:
                continue
            d = math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) / max(1, a[3] - a[1])
            if d < 1.0 and (best is None or tj > best[0]):
                best = (tj, d)
        gaps.append(f"{t0 - best[0]}f/{best[1]:.2f}h" if best else "none near")
    lengths = sorted(last[i][0] - first[i][0] + 1 for i in ids)
    print(f"{path}: {len(frames)} frames, {sum(len(f) for f in frames) / len(frames):.2f} people a frame, "
          f"{len(ids)} ids, {len(switches)} switches {switches}, {len(inner)} inner births, "
          f"median track {lengths[len(lengths) // 2]} frames")
    print("inner births (gap to the nearest earlier track / distance):", ", ".join(gaps))


if __name__ == "__main__":
    main(sys.argv[1])

"""Cost of multi-person pose per frame: one pose_landmark_* invocation (256x256) per person plus
one pose_detection invocation (224x224) per detector run, with LiteRT (ai-edge-litert, XNNPACK)
on ONE thread, as the Go port runs them. Prints median ms of one invocation and of a simulated
frame with N = 1, 2, 4, 8 people (N landmark invocations, with and without a detector run).

Models come from --models, default $HOLOSTREAM_MODELS, else .deps/models in the repository.
Writes OUT/results/cost_bench_t<threads>.json (OUT is --out, default $TMPDIR/holostream-multipose).

Run: python cost_bench.py [--models DIR] [--out DIR] [--threads 1] [--reps 100]
"""
import argparse, json, os, tempfile, time
from pathlib import Path
import numpy as np
from ai_edge_litert.interpreter import Interpreter

ROOT = Path(__file__).resolve().parents[3]
MODELS = os.environ.get("HOLOSTREAM_MODELS") or str(ROOT / ".deps" / "models")
OUT = os.path.join(tempfile.gettempdir(), "holostream-multipose")

def interp(path, threads):
    it = Interpreter(model_path=path, num_threads=threads)
    it.allocate_tensors()
    return it

def invoke_ms(it, reps, rng):
    inp = it.get_input_details()[0]
    xs = [rng.random(inp["shape"], dtype=np.float32) for _ in range(4)]
    for x in xs:  # warm-up
        it.set_tensor(inp["index"], x); it.invoke()
    ts = []
    for i in range(reps):
        it.set_tensor(inp["index"], xs[i % 4])
        t0 = time.perf_counter(); it.invoke(); ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts)), float(np.percentile(ts, 90))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=MODELS)
    ap.add_argument("--out", default=OUT, help="output directory: results go to OUT/results")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=100)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    res = {"threads": a.threads, "loadavg": os.getloadavg(), "invoke_ms": {}}
    its = {}
    for m in ("pose_detection", "pose_landmark_lite", "pose_landmark_full", "pose_landmark_heavy"):
        its[m] = interp(os.path.join(a.models, m + ".tflite"), a.threads)
        med, p90 = invoke_ms(its[m], a.reps if m != "pose_landmark_heavy" else a.reps // 4, rng)
        res["invoke_ms"][m] = {"median": med, "p90": p90}
        print(f"{m:22s} one invocation: median {med:.1f} ms, p90 {p90:.1f} ms", flush=True)
    det, lm = its["pose_detection"], its["pose_landmark_full"]
    di, li = det.get_input_details()[0], lm.get_input_details()[0]
    x_det = rng.random(di["shape"], dtype=np.float32)
    xs = [rng.random(li["shape"], dtype=np.float32) for _ in range(8)]
    res["frame_ms"] = {}
    for n in (1, 2, 4, 8):
        for with_det in (False, True):
            ts = []
            for r in range(max(10, a.reps // n)):
                t0 = time.perf_counter()
                if with_det:
                    det.set_tensor(di["index"], x_det); det.invoke()
                for k in range(n):
                    lm.set_tensor(li["index"], xs[k]); lm.invoke()
                ts.append((time.perf_counter() - t0) * 1000)
            key = f"{n}_people_{'with' if with_det else 'no'}_detector"
            res["frame_ms"][key] = float(np.median(ts))
            print(f"pose-full, {n} people, {'detector + ' if with_det else ''}{n} landmark runs: median {np.median(ts):.1f} ms/frame", flush=True)
    res["loadavg_end"] = os.getloadavg()
    results = os.path.join(a.out, "results")
    os.makedirs(results, exist_ok=True)
    path = os.path.join(results, f"cost_bench_t{a.threads}.json")
    json.dump(res, open(path, "w"), indent=1)
    print("wrote", path)

if __name__ == "__main__":
    main()

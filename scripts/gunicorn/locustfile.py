"""Locust load for compare.sh: no-wait users, each POSTing raw JPEGs of real footage and photos
(IMAGES, a colon-separated list) to /v1/infer, one after the other as fast as answers come.

Locust's own statistics mix refusals into the percentiles, so this file keeps its own: the
requests that started after WARMUP seconds and ended before the run stopped, by status, and the
latency percentiles of the 200s alone; written as JSON to $RESULT when the run ends.
"""
import json
import os
import time

from locust import HttpUser, constant, events, task

IMAGES = [open(p, "rb").read() for p in os.environ["IMAGES"].split(":")]
WARMUP = float(os.environ.get("WARMUP", "3"))
state = {"start": None, "ok": [], "codes": {}, "ok_all": 0}


@events.test_start.add_listener
def _start(**_):
    state["start"] = time.monotonic()


@events.request.add_listener
def _request(response_time, response=None, exception=None, start_time=None, **_):
    if response is not None and response.status_code == 200:
        state["ok_all"] += 1  # for the CPU time per answer, which covers the whole run
    if time.monotonic() - response_time / 1000 < state["start"] + WARMUP:
        return
    code = response.status_code if response is not None else 0
    state["codes"][code] = state["codes"].get(code, 0) + 1
    if code == 200:
        state["ok"].append(response_time)


@events.test_stop.add_listener
def _stop(**_):
    seconds = time.monotonic() - state["start"] - WARMUP
    ok = sorted(state["ok"])
    pct = lambda q: ok[min(len(ok) - 1, int(q * len(ok)))] if ok else None
    with open(os.environ["RESULT"], "w") as f:
        json.dump({"seconds": seconds, "codes": state["codes"], "ok_per_s": len(ok) / seconds, "ok_all": state["ok_all"],
                   "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}, f)


class Camera(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.i = id(self) % len(IMAGES)

    @task
    def infer(self):
        self.i = (self.i + 1) % len(IMAGES)
        # catch_response: a 503 is the server shedding load, counted above, not an error to log.
        with self.client.post("/v1/infer", data=IMAGES[self.i], headers={"Content-Type": "image/jpeg"},
                              name="/v1/infer", catch_response=True) as r:
            r.success()

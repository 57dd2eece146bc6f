// Package gateway is holostream's HTTP face: the API that takes frames and photos over HTTP, the
// cameras' state and live events, the operations endpoints and the web UI.
//
//	POST /v1/frames                 an image (raw body or multipart) to the frames topic: 202
//	POST /v1/infer                  landmarks of one image, now (the `holostream infer` JSON)
//	GET  /v1/cameras                every camera the landmarks table knows, with its counters
//	GET  /v1/cameras/{id}           one camera (schemas.CameraView, as the processor's state gives it)
//	GET  /v1/cameras/{id}/events    Server-Sent Events: keypoints, action and stats
//	GET  /v1/skeleton               the pose and hand connections, for drawing
//	GET  /v1/info                   the model, limits and version
//	GET  /metrics /healthz /readyz  Prometheus, liveness, readiness
//	GET  /  /cameras/{id}  /ui/...  the web UI (assets embedded from ui/)
//
// A Server is built from a Config of plain parts, each optional: a part left nil makes its
// endpoints answer 503 with what is missing, so `holostream serve --no-kafka` can offer /v1/infer
// alone. /v1/infer runs on a bounded pool (admission.go): Config.InferWorkers images at once
// (decode and inference; by default the model's workers, one per CPU the process may use). A
// request waits for a worker while its expected answer (the requests ahead of it, divided among
// the workers, times the measured time of one) is within Config.InferTimeout, and while the
// admitted requests' bodies and decoded pixels (from each image's header) fit in
// Config.InferMemory; past either the answer is 503 with Retry-After at once, never an unbounded
// backlog, and refusals are counted and summed up in the log, not logged one by one. Every error
// is JSON {"error": what was wrong and what to do, "code": a stable machine-readable word}.
//
// Event streams are bounded so that no client can take them all (events.go): in all
// (Config.MaxSubscribers), per client address (429), per camera, and, in all, for cameras that
// neither the landmarks table nor the live events know yet ("waiting": a client may subscribe
// before a camera's first frame, but made-up ids only fill that small pool). A client that falls
// a queue's worth of events behind is disconnected, and each write has a deadline, so a client
// that stops reading holds its place for seconds, not for ever. ?access_token= is taken on the
// event streams only, where EventSource cannot send a header.
//
// State: the Server holds the per-client rate limiters (token buckets, forgotten after idle
// minutes), the per-camera sequence counters of /v1/frames (seeded from the landmarks table so a
// restarted gateway continues a camera's sequence), and the live-event Hub's subscribers. Nothing
// else: frames go to Kafka, states come from the table.
//
// Imports: the contracts (schemas) and inference (model), never a processor: what it shows of
// the landmarks table is the read model schemas.CameraView, which the processor's package
// builds (CameraStore hides how).
package gateway

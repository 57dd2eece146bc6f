// Package processors holds holostream's goka processors, one package each: landmarks (frames ->
// keypoints, per-camera state) and analytics (keypoints -> actions and window stats, per-user
// state). Their callbacks work on plain values: input bytes are decoded by functions the stream
// package injects (the Avro codecs), so the logic is tested without Kafka and without the Avro
// codecs. analytics uses codecs.JSON for its own table and loopback.
package processors

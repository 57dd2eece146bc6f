// Package camera simulates camera producers: sources of encoded frames (a directory of images,
// a video decoded by ffmpeg, embedded footage, synthetic images) and a paced loop that stamps
// each frame with its camera, user, sequence number and capture time and hands it to a sink
// (a Kafka emitter in production, anything in tests).
package camera

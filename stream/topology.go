package stream

import (
	"github.com/lovoo/goka"
)

// The topics and groups of holostream, before the configurable prefix (see Topology).
const (
	TopicFrames    goka.Stream = "frames"     // input: Avro Frame, key = camera id
	TopicKeypoints goka.Stream = "keypoints"  // Avro KeypointEvent, key = camera id
	TopicActions   goka.Stream = "actions"    // Avro ActionEvent, key = user id
	TopicStats     goka.Stream = "pose-stats" // Avro PoseStats per event-time window, key = user id
	TopicDLQ       goka.Stream = "frames-dlq" // Avro DeadLetter: bad frames with a reason
	// TopicRepartition: frames a producer put on another partition than murmur2 (or
	// --partitioner) puts their camera on, forwarded unchanged by the landmarks group to their
	// camera's partition (see landmarks.Config.Route).
	TopicRepartition goka.Stream = "frames-repartition"

	GroupLandmarks goka.Group = "landmarks" // frames -> keypoints; table: per-camera state
	GroupAnalytics goka.Group = "analytics" // keypoints -> actions, pose-stats; table: per-user state
)

// Topology is the graph with every name prefixed, so several deployments can share a cluster:
// with prefix "site1." the input topic is "site1.frames" and the landmarks table is
// "site1.landmarks-table".
type Topology struct {
	Frames, Keypoints, Actions, Stats, DLQ goka.Stream
	// Repartition is the landmarks group's second input, co-partitioned with Frames and created
	// with the frames topic's partition count by the pipeline; not one of Streams.
	Repartition          goka.Stream
	Landmarks, Analytics goka.Group
}

// NewTopology applies a prefix to every topic and group.
func NewTopology(prefix string) Topology {
	s := func(t goka.Stream) goka.Stream { return goka.Stream(prefix + string(t)) }
	g := func(t goka.Group) goka.Group { return goka.Group(prefix + string(t)) }
	return Topology{
		Frames: s(TopicFrames), Keypoints: s(TopicKeypoints), Actions: s(TopicActions),
		Stats: s(TopicStats), DLQ: s(TopicDLQ), Repartition: s(TopicRepartition),
		Landmarks: g(GroupLandmarks), Analytics: g(GroupAnalytics),
	}
}

// Streams are the topics that carry events (the tables, "<group>-table", and the analytics
// loopback, "<group>-loop", are goka's own; Repartition is the landmarks group's own, created
// apart because it must have as many partitions as Frames).
func (t Topology) Streams() []goka.Stream {
	return []goka.Stream{t.Frames, t.Keypoints, t.Actions, t.Stats, t.DLQ}
}

// Loop is the analytics group's goka.Loop topic (goka names it "<group>-loop"): events re-keyed
// by user, and the punctuator's flushes.
func (t Topology) Loop() goka.Stream { return goka.Stream(string(t.Analytics) + "-loop") }

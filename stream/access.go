package stream

import (
	"github.com/lovoo/goka"

	"github.com/holostream/holostream/kafka"
)

// What each command does with each topic and group: on a cluster with an authorizer, the grants
// its principal needs (README, "Running on a secured cluster"). Read and Write imply Describe.
// Every topic a command makes sure of, it creates when missing: then it needs Create too, unless
// an admin made it first. None needs DescribeConfigs, IdempotentWrite or any cluster grant.

var (
	read      = []kafka.Operation{kafka.Read}
	write     = []kafka.Operation{kafka.Write}
	readWrite = []kafka.Operation{kafka.Read, kafka.Write}
	describe  = []kafka.Operation{kafka.Describe}
)

func stream(t goka.Stream, ops []kafka.Operation, why string) kafka.TopicAccess {
	return kafka.TopicAccess{Topic: string(t), Ops: ops, Create: true, Why: why}
}

func table(g goka.Group, why string) kafka.TopicAccess {
	return kafka.TopicAccess{Topic: string(goka.GroupTable(g)), Ops: readWrite, Create: true, Table: true, Why: why}
}

// ProcessorAccess is what run (and each replica of it) needs.
func ProcessorAccess(t Topology) kafka.Access {
	repartition := stream(t.Repartition, readWrite, "landmarks forwards the frames it finds off their camera's partition, and reads them back")
	repartition.PartitionsLike = string(t.Frames)
	return kafka.Access{
		Topics: []kafka.TopicAccess{
			stream(t.Frames, read, "landmarks reads the camera frames"),
			repartition,
			stream(t.Keypoints, readWrite, "landmarks writes keypoint events, analytics reads them"),
			stream(t.Actions, write, "analytics writes actions"),
			stream(t.Stats, write, "analytics writes pose-stats windows"),
			stream(t.DLQ, write, "landmarks writes dead letters"),
			stream(t.Loop(), readWrite, "analytics re-keys events by user through its loopback, where its punctuator sends flushes"),
			table(t.Landmarks, "the landmarks processor's table: each camera's state"),
			table(t.Analytics, "the analytics processor's table: each user's state, which its punctuator reads too"),
		},
		Groups: []kafka.GroupAccess{
			{Group: string(t.Landmarks), Ops: read, Why: "the landmarks processor's consumer group"},
			{Group: string(t.Analytics), Ops: read, Why: "the analytics processor's consumer group"},
		},
	}
}

// ProducerAccess is what a camera producer needs: produce, or a producer of your own (which
// needs no Create when the frames topic exists).
func ProducerAccess(t Topology) kafka.Access {
	return kafka.Access{Topics: []kafka.TopicAccess{stream(t.Frames, write, "cameras write their frames")}}
}

// ReaderAccess is what a consumer of the outputs needs: consume (no group) reads one topic at a
// time; a consumer of your own also needs Read on its own group.
func ReaderAccess(t Topology) kafka.Access {
	reads := func(s goka.Stream, why string) kafka.TopicAccess {
		return kafka.TopicAccess{Topic: string(s), Ops: read, Why: why}
	}
	return kafka.Access{Topics: []kafka.TopicAccess{
		reads(t.Keypoints, "keypoint events"), reads(t.Actions, "actions"), reads(t.Stats, "pose-stats windows"),
		reads(t.DLQ, "dead letters"),
	}}
}

// GatewayAccess is what serve needs: it writes frames (POST /v1/frames), follows the frames and
// the outputs for the live pages, reads the landmarks table (GET /v1/cameras/{id}), and makes
// sure every stream exists.
func GatewayAccess(t Topology) kafka.Access {
	tbl := table(t.Landmarks, "camera states for GET /v1/cameras/{id}")
	tbl.Ops = read
	return kafka.Access{Topics: []kafka.TopicAccess{
		stream(t.Frames, readWrite, "POST /v1/frames writes frames; the live pages draw over them"),
		stream(t.Keypoints, read, "the live pages"),
		stream(t.Actions, read, "the live pages"),
		stream(t.Stats, read, "the live pages"),
		stream(t.DLQ, describe, "serve makes sure it exists"),
		tbl,
	}}
}

// LoadtestAccess is what loadtest needs against a cluster: it writes frames, reads what comes
// out, reads the landmarks group's committed offsets and the newest offsets of its inputs for
// the lag, and the landmarks table for the stale and duplicate counts.
func LoadtestAccess(t Topology) kafka.Access {
	tbl := table(t.Landmarks, "each camera's stale and duplicate counts")
	tbl.Ops = read
	return kafka.Access{
		Topics: []kafka.TopicAccess{
			stream(t.Frames, write, "the simulated cameras"),
			stream(t.Keypoints, read, "the outcomes"),
			stream(t.DLQ, read, "the outcomes"),
			{Topic: string(t.Repartition), Ops: describe, Why: "the lag: frames read off their camera's partition wait there"},
			tbl,
		},
		Groups: []kafka.GroupAccess{{Group: string(t.Landmarks), Ops: describe, Why: "its committed offsets: the lag"}},
	}
}

// StateAccess is what `holostream state` needs: the landmarks table, read.
func StateAccess(t Topology) kafka.Access {
	tbl := table(t.Landmarks, "state reads each camera's row")
	tbl.Ops = read
	return kafka.Access{Topics: []kafka.TopicAccess{tbl}}
}

// ConsumeAccess is what `holostream consume TOPIC` needs: Read on that topic (no group).
func ConsumeAccess(topic string) kafka.Access {
	return kafka.Access{Topics: []kafka.TopicAccess{{Topic: topic, Ops: read, Why: "consume reads it"}}}
}

// Package embedded runs an in-process Kafka-protocol cluster (franz-go's kfake) and a
// Confluent-compatible Schema Registry (franz-go's srfake) on 127.0.0.1, for `holostream demo`
// and fast tests. It is not a production broker: nothing is replicated, and data lives in memory
// unless a data directory is given. Real clusters are reached with `holostream run --brokers`.
//
// Memory is bounded: each partition of a deleted topic keeps at most Options.RetentionBytes and
// Options.RetentionTime of records (32 MiB and 2 minutes by default), and compacted topics (goka's
// tables) keep the last record of each key, so a demo left running for a day stays flat. A
// consumer group whose committed offset was removed starts again at the earliest record kept
// (holostream's consumers start new groups at the oldest offset). See retention.go.
package embedded

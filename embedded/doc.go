// Package embedded runs an in-process Kafka-protocol cluster (franz-go's kfake) and a
// Confluent-compatible Schema Registry (franz-go's srfake) on 127.0.0.1, for `holostream demo`
// and fast tests. It is not a production broker: nothing is replicated, and data lives in memory
// unless a data directory is given. Real clusters are reached with `holostream run --brokers`.
package embedded

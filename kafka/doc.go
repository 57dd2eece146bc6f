// Package kafka turns holostream's connection settings into sarama and goka configuration:
// protocol version, TLS and SASL (SCRAM-SHA-512/256 on github.com/xdg-go/scram, PLAIN; security.go),
// producer guarantees (acks=all, idempotence), compression, and the creation of
// topics with the right partitions, replication and cleanup policy. On a cluster with an
// authorizer, CheckAccess (access.go) asks the brokers which grants a principal lacks for the
// topics and groups a command uses, and names them all; Denied tells authorization errors from
// others. LagReader (lag.go) reads a consumer group's lag. It knows nothing of the pipeline's
// logic; the stream package gives it the topics.
package kafka

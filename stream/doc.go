// Package stream builds and runs holostream's stream on Kafka: the topology (topics and groups,
// every name behind a prefix), the Avro codec of each topic (Wire), the two processors' goka
// group graphs from one Config (graph.go: frames -> landmarks -> keypoints -> analytics ->
// actions and pose-stats, with the dead-letter and repartition topics), and what runs them:
//
//   - Pipeline: both processors and the analytics punctuator of one instance against a cluster;
//     Run adds supervision (fresh processors after a consumer-group failure, with backoff;
//     stops for want of a grant told apart) and the /metrics, /healthz and /readyz server.
//   - StartEmbedded: the embedded cluster and registry (package embedded) with the processors in
//     this process, the way `demo`, `loadtest` and the tests start them.
//   - Produce and FrameWriter: camera frames in, acknowledged; Tail and Follow: the records of
//     topics as they come (outside any consumer group); Table and CameraStates: the landmarks
//     table's camera states through a goka View.
//   - ProcessorAccess and its siblings: the grants each command needs on a secured cluster.
//
// The processors' logic lives in processors/ and works on plain values; this package wires it
// to topics, codecs and clients (package kafka), and owns every goroutine it starts. The graph
// is tested under goka's tester (graph_test.go) as well as on the embedded cluster and a real
// broker (the root package's tests). Imports go one way: main -> stream -> processors, codecs,
// kafka, embedded -> model, schemas.
package stream

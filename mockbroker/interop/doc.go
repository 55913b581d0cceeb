// Package interop proves the mock broker (package mockbroker) against Kafka
// clients that share no code with it.
//
// samsa's client and its mock broker both encode and decode the Kafka
// protocol with kmsg and samsa's internal/records, so a mistake in either
// could go unnoticed: both sides would agree on it. The tests here drive the
// mock cluster with two independent implementations instead:
//
//   - IBM/sarama, a pure Go client with its own protocol and record codecs;
//   - kcat, which runs on librdkafka, the C client behind most non-JVM
//     Kafka bindings.
//
// The package holds only tests; nothing in it is imported by samsa. What
// the suite proves:
//
//   - Round trip (sarama_test.go, kcat_test.go): records produced by each
//     client, uncompressed and with every codec Kafka defines (gzip,
//     snappy, lz4, zstd), at several protocol versions, are stored with
//     the offsets the producer was told, and are read back by each client
//     with keys, values, headers, null markers and timestamps intact; what
//     the clients see agrees with what Cluster.Records decodes; records
//     cross from one client to the other; kcat's view of the metadata
//     (brokers, topics, partitions, leaders, replicas) is the cluster's
//     own.
//   - Faults (faults_test.go): injected NOT_LEADER_OR_FOLLOWER bursts,
//     leader moves and a broker stopped and restarted mid-run lose
//     nothing; a dropped Produce response makes a non-idempotent sarama
//     producer write the batch twice, which is Kafka's at-least-once
//     behaviour without idempotence.
//   - Hostile input (hostile_test.go): while sarama produces and consumes,
//     a raw TCP client sends hundreds of malformed frames of every kind;
//     each one closes only its own connection and the cluster goes on
//     serving.
//
// The kcat tests need the kcat binary on PATH. Without it they skip, unless
// the environment variable CI is set, in which case they fail: CI installs
// kcat (see .ci/run) and must never pass by skipping.
package interop

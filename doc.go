// Package samsa is a Kafka client SDK for Go: a typed producer pipeline and a
// consumer-group client with the Java client's semantics, a drop-in for
// IBM/sarama, and a stateful mock Kafka cluster for tests.
//
// The producer pipeline, in the order data flows:
//
//	Send(ctx, *Record[K,V], callback)
//	  │ 1. interceptors.OnSend        (chain, in order; a panic or error is isolated)
//	  │ 2. key/value serializers      (serde.Serializer[K], serde.Serializer[V])
//	  │ 3. partitioner                (explicit partition > custom > murmur2(key) > sticky)
//	  │ 4. size check                 (max request size, buffer memory)
//	  ▼
//	accumulator.Append ──► per-partition deque of batches, records encoded straight
//	  │                    into the open batch's buffer (record batch v2)
//	  ▼
//	sender ──► ProduceRequest per broker, pipelined, retried within the delivery timeout
//	  ▼
//	response → batch completion → interceptors.OnAcknowledgement → user callback
//
// The consumer: Poll(ctx) → fetcher → record batch decode → deserializers →
// interceptors.OnConsume → records; group membership with the classic
// protocol and the range, roundrobin, sticky and cooperative-sticky
// assignors; synchronous and asynchronous offset commits.
//
// This root package holds the types every other package shares: [Header],
// [TopicPartition], [Offset], [ConfigError] and the client-wide sentinel
// errors. Errors returned by a broker wrap a value of package kerr, so
// errors.Is(err, kerr.NotLeaderOrFollower) holds through any wrapping.
package samsa

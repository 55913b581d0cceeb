// Package producer is samsa's typed Kafka producer (Java's KafkaProducer):
// the top of the write pipeline, where user records enter and callbacks
// come back out.
//
//	Producer[K,V].Send(ctx, *Record[K,V], callback)      caller's goroutine
//	  │ 1. interceptor.ProducerChain.OnSend
//	  │ 2. wait for the topic's metadata (internal/cluster), max block budget
//	  │ 3. serde.Serializer[K], serde.Serializer[V]   (may add headers)
//	  │ 4. partition: Record.Partition > partitioner (default: Java's murmur2 / sticky)
//	  │ 5. size check against max request size and buffer memory
//	  │ 6. accumulator.AppendWith  (encode into the open batch; may block on memory)
//	  ▼
//	sender goroutine (one per producer, like Java's Sender)
//	  │ Ready → Drain per broker → one ProduceRequest per broker,
//	  │ pipelined up to max in flight per connection (internal/wire DoAsync)
//	  │ retries with backoff, metadata refresh after leader errors,
//	  │ MESSAGE_TOO_LARGE splits, delivery timeout expiry
//	  ▼
//	batch completion → interceptors' OnAcknowledgement → callback
//
// # Send's contract
//
// Send returns an error, and never calls the callback, for a record it did
// not accept: after Close, for an invalid topic, a serializer error, a
// record that is too large, or when metadata or buffer memory did not come
// within the max block time or ctx. When Send returns nil the callback runs
// exactly once, on the sender goroutine, with the record's metadata or the
// error that failed it later. Callbacks of one partition run in offset
// order, never under a producer lock; they must not block. SendSync wraps
// Send for one record at a time.
//
// # Records and partitions
//
// A [Record]'s zero Partition, [AnyPartition], lets the partitioner choose;
// [ToPartition] pins a partition. A zero Record therefore never goes to
// partition 0 by accident. Keys are placed exactly where the Java client
// places them (murmur2 over all partitions); unkeyed records use KIP-794's
// uniform sticky partitioning, adaptive to queue lengths.
//
// # Delivery guarantees
//
// The producer is idempotent by default, as Java's is (enable.idempotence,
// [WithIdempotence]): it gets a producer id from the brokers
// (InitProducerId) and gives every batch of a partition the next sequence
// numbers when the batch is drained, so the broker writes each batch once
// and in order, however often it is retried and with up to 5 requests in
// flight per connection. Retries of a partition go one at a time, lowest
// sequence first; DUPLICATE_SEQUENCE_NUMBER counts as a success; a gap the
// broker reports (or one the producer leaves when a numbered batch fails
// for good) makes the producer bump its epoch and restart the partitions'
// sequences at 0 once nothing is in flight. Idempotence needs acks=all,
// retries and at most 5 requests in flight; a conflicting option turns it
// off unless it was asked for explicitly. There are no transactions.
//
// Without idempotence records are still retried within the delivery
// timeout after retriable errors, so a record may be written twice when a
// request succeeded but its answer was lost, and with more than one request
// in flight a retried batch may land after a later batch of the same
// partition; WithMaxInFlight(1) then keeps every partition in order (the
// partition is muted while its batch is in flight, as Java does).
//
// # Lifecycle
//
// New validates the options and starts the sender goroutine; it does no
// I/O. The first Send bootstraps the cluster metadata from the seed
// brokers. Flush sends everything at once and waits for it; Close flushes,
// then stops the sender, closes the connections and the interceptors, and
// returns once every goroutine of the producer has exited. A Producer is
// safe for concurrent use.
//
// # Metrics
//
// The producer reports to a go-metrics registry under sarama's names
// (record-send-rate, batch-size, records-per-request, compression-ratio,
// request-latency-in-ms, request-rate, response-rate, outgoing-byte-rate,
// and their per-topic and per-broker variants); see [Producer.Metrics].
package producer

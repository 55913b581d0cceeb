// Package interceptor lets user code observe and change records as they
// pass through a producer or a consumer, the way the Java client's
// ProducerInterceptor and ConsumerInterceptor do — for tracing headers,
// metrics, auditing or redaction.
//
// In the producer pipeline the interceptors run first and last:
//
//	Send(ctx, rec) → ProducerChain.OnSend → serializers → partitioner → accumulator → sender
//	response → ProducerChain.OnAcknowledgement → user callback
//
// and in the consumer after deserialization and around commits:
//
//	fetcher → decode → deserializers → ConsumerChain.OnConsume → Poll returns
//	commit completes → ConsumerChain.OnCommit
//
// # Design
//
// The interfaces are generic over the record type R rather than over the
// key and value types, because the record types live in the producer and
// consumer packages, which import this one: a Producer[K,V] uses a
// ProducerChain[*producer.Record[K,V]]. One type parameter keeps the
// interfaces small, lets an interceptor written for any record type (say,
// one that only counts) be reused across producers, and keeps this package
// free of import cycles. [RecordMetadata] is defined here for the same
// reason; the producer reuses it.
//
// The transforming calls, OnSend and OnConsume, return a value and an
// error. The error does not stop anything: as in the Java client, an
// interceptor cannot fail a send or a poll. A chain logs the error and
// passes on the input the failing interceptor was given, so a broken
// interceptor is skipped rather than able to corrupt the record. A panic is
// treated the same way: the chain recovers it, logs it with its stack and
// goes on with the next interceptor. The notifications, OnAcknowledgement
// and OnCommit, return nothing; a panic in one is recovered and logged and
// the others still run.
//
// Failures are logged through the *slog.Logger given to the chain's
// constructor (none: they are dropped); there is no package-level logger.
// An interceptor that also implements [Closer] is closed by the chain's
// Close.
//
// The chains add no allocation per record: calling through a chain of zero
// or two interceptors costs only the interceptors' own work.
package interceptor

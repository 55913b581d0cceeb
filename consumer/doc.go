// Package consumer is samsa's Kafka consumer: Consumer[K, V], the
// equivalent of Java's KafkaConsumer, with the classic consumer group
// protocol (eager and cooperative rebalancing, static membership), offset
// commits, and a fetcher that keeps the next fetch in flight while the
// application processes the last one.
//
// # Pipeline
//
//	Poll(ctx) ─► group: JoinGroup / SyncGroup (leader runs the assignor),
//	  │          RebalanceListener, heartbeats on their own goroutine
//	  ├─► positions: committed offsets (OffsetFetch), resets (ListOffsets),
//	  │   looked up in the background so Poll never blocks on them
//	  ├─► auto commit, async commit callbacks
//	  └─► buffer ◄── fetcher: per broker, its partitions divided between
//	                 WithFetchersPerBroker fetches in flight side by side,
//	                 each in its own connection and incremental fetch
//	                 session (KIP-227); the next Fetch goes out as soon as
//	                 a response's batch headers tell where it starts, and
//	                 the response is decoded while it is in flight, off the
//	                 polling goroutine, straight into Record[K, V] slabs
//	                 without copying record bytes (CRC, decompression,
//	                 deserializers (serde); aborted transactions and control
//	                 batches skipped under read_committed)
//	       → interceptors.OnConsume → []Record[K, V] (slices of the slabs)
//
// A Consumer either subscribes (Subscribe, SubscribeRegex), and its group
// decides which partitions it reads, or is assigned partitions (Assign).
// With a group id (WithGroupID) it commits offsets to the group: CommitSync,
// CommitAsync, or automatically (WithAutoCommit, on by default with a group)
// every interval, before partitions are revoked and on Close.
//
// # Records and deserialization errors
//
// Poll returns []Record[K, V]. A record whose key or value cannot be
// deserialized is not dropped and does not fail the poll: it is returned
// in its place with Record.Err set to a *RecordError that names the field
// and keeps the serialized bytes. Applications check Err per record and
// decide — skip it, send it to a dead-letter topic, stop. (Java instead
// throws from poll and makes the application seek past the record.) Errors
// that concern the poll as a whole — a partition without an offset
// (*NoOffsetError), a fetch that failed (*FetchError), a listener that
// failed (*ListenerError), fencing (*FencedInstanceError) — are returned by
// Poll with no records.
//
// # Concurrency
//
// One goroutine polls. Listener methods and async commit callbacks run on
// the goroutine that calls Poll (or CommitSync, CommitAsync, Unsubscribe,
// Close), never on an internal goroutine and never under a consumer lock.
// Every method may be called from any goroutine; cancel Poll's context or
// call Close to interrupt a blocked Poll.
//
// # Group protocol
//
// The consumer offers its assignors (WithAssignors; Java's default range
// and cooperative-sticky) with version 3 ConsumerProtocol subscriptions, so
// Java, sarama and franz-go members can share its group and lead it. It
// rebalances cooperatively (KIP-429) only if every assignor supports it:
// then partitions that stay with a member are never revoked and are
// consumed throughout the rebalance. A static member (WithGroupInstanceID,
// KIP-345) does not leave the group on Close, so a restart within the
// session timeout keeps its partitions without a rebalance. A member that
// does not poll within the max poll interval leaves the group proactively,
// as Java's does.
//
// # Metrics
//
// With WithMetricsRegistry the consumer reports to a go-metrics registry
// under sarama's names where the meaning is the same (consumer-fetch-rate,
// consumer-batch-size, consumer-fetch-response-size,
// consumer-group-join-total-<group>, consumer-group-sync-total-<group>, and
// their -failed counterparts) plus consumer-fetch-latency-in-ms,
// consumer-records-consumed-rate, consumer-commit-total/-failed,
// consumer-rebalance-total/-failed and consumer-poll-timeout-total.
package consumer

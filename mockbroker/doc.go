// Package mockbroker is a stateful mock Kafka cluster: N brokers in one
// process, each on its own 127.0.0.1 listener, speaking the real Kafka wire
// protocol, so that any client — samsa, sarama, librdkafka (kcat), franz-go,
// the Java client — can be tested against it without a JVM or Docker.
//
// It is samsa's test bed and a product of its own. A program starts one
// with New (or NewTest in a test, closed automatically) and points a client
// at Addrs; `samsa mock --brokers 3` runs one for programs in other
// languages.
//
//	client ──TCP──► broker listener ──► conn: readLoop (frames, kmsg decode)
//	                                     ► handleLoop (hooks, faults, handler
//	                                       per API key: 00_produce.go, ...)
//	                                     ► writeLoop (responses in order,
//	                                       injected latency)
//	handlers ──Cluster.mu──► topics, partition logs, leaders, sessions
//
// # State
//
// The cluster keeps what a real one keeps: topics with ids and configs,
// partitions with leaders, leader epochs and replicas, and partition logs of
// record batches (magic 2) as produced, with base offsets, leader epochs and
// log append times set on append, a log start offset (DeleteRecords), a high
// watermark (replication is instant: the log end offset) and a last stable
// offset. Idempotent producers get Kafka's sequence checks and duplicate
// detection. Fetch supports long polling, byte limits with KIP-74 semantics,
// and incremental fetch sessions (KIP-227). Record batches are validated and
// patched with samsa's internal/records; no batch is ever re-encoded, so
// what a consumer fetches is byte for byte what was produced, apart from
// the fields a broker sets.
//
// The APIs served, and their versions, are listed in apiTable (dispatch.go)
// and advertised by ApiVersions. The data plane serves Produce v3-11, Fetch
// v4-16, ListOffsets v1-7, Metadata v0-12, ApiVersions v0-4, CreateTopics
// v0-7, DeleteTopics v0-6, DeleteRecords v0-2, CreatePartitions v0-3 and
// InitProducerId v0-5 (producer ids for idempotent producers, and
// transactional ids' identity and fencing). Produce is advertised from v0,
// as Kafka 4.0 does, because librdkafka only compresses for brokers that
// list Produce v0; a request below v3 is still refused. The group
// coordinator (group.go, group_coordinator.go and the handler files) serves
// FindCoordinator v0-6, JoinGroup v0-9, SyncGroup v0-5, Heartbeat v0-4,
// LeaveGroup v0-5, OffsetCommit v0-9, OffsetFetch v0-9, DescribeGroups
// v0-6, ListGroups v0-5, DeleteGroups v0-3 and OffsetDelete v0: member ids
// (MEMBER_ID_REQUIRED), generations, the protocol vote, rebalance and
// session timeouts, static membership with fencing, and committed offsets
// with generation checks. GroupState, GroupMembers and CommittedOffsets
// show a group from a test.
//
// # Concurrency
//
// One mutex, Cluster.mu, owns all cluster state: topics, partitions, logs,
// producer state, fetch sessions, broker states, faults and hooks. Handlers
// take it only to read or change state — never while waiting, doing I/O or
// calling a hook — so a mutex is simpler than a state-owning goroutine and
// as safe. Stored batch bytes are written once, under the lock, into
// append-only segments and never change, so fetch responses alias them and
// are encoded after the lock is released.
//
// Each connection has three goroutines: readLoop reads and decodes frames,
// handleLoop handles one request at a time in arrival order (as a Kafka
// broker does: it mutes a connection while a request is in flight), and
// writeLoop writes the responses in the same order, each no earlier than
// any injected latency allows. Pipelined requests therefore take effect,
// and are answered, in the order they were sent, even when one of them
// long-polls. Each listener has an accept goroutine. The Cluster owns all
// of them: Close closes every listener and connection and waits until every
// goroutine, and so every in-flight handler, has returned.
//
// Broker ids are 0 to N-1. Stopping a broker closes its listener and
// connections; a request it was still handling takes no effect (each
// connection remembers the broker generation it was accepted in).
//
// # Hostile input
//
// Nothing a client sends can take the cluster down. A frame longer than the
// maximum frame size, a truncated or malformed frame, an unknown API key, or
// a version the broker does not serve closes that one connection with a log
// line; every other connection goes on being served. An ApiVersions request
// at an unknown version gets the v0 UNSUPPORTED_VERSION answer of KIP-511
// instead. Decoding is kmsg's, which never panics and bounds allocations by
// the bytes present; frame buffers grow only as bytes arrive.
//
// # Faults and inspection
//
// Tests inject faults while clients run: InjectError (per API key, per
// partition with OnPartition), DropResponse ("unsure if produced"),
// SetLatency, DropConnections, StopBroker/RestartBroker (leadership moves
// and comes back with bumped epochs), MoveLeader, and Hook, a raw request
// hook for anything else. Records, HighWatermark, Leader and Requests show
// what the cluster holds and saw.
//
// # Benchmark modes
//
// WithBlackhole acknowledges produced batches without storing them;
// WithSyntheticFetch answers every fetch from one pre-encoded batch. Both
// take the broker out of the way when measuring a client's throughput.
package mockbroker

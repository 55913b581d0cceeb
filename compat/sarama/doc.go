// Package saramacompat is the drop-in for IBM/sarama: sarama's
// SyncProducer, AsyncProducer, Consumer and ConsumerGroup interfaces,
// backed by samsa's producer and consumer. A sarama program changes only
// its constructor calls,
//
//	p, err := sarama.NewSyncProducer(addrs, cfg)
//	p, err := saramacompat.NewSyncProducer(addrs, cfg)
//
// and keeps its *sarama.Config, its messages, its channels and its error
// checks: errors.Is(err, sarama.ErrNotLeaderForPartition) holds, broker
// errors are sarama's own KError values, and keys land on the partitions
// sarama's partitioners choose.
//
// # Place in the pipeline
//
// The package sits in front of samsa's pipelines and translates:
//
//	sarama.ProducerMessage (AsyncProducer: Input ─► dispatcher ─► a queue of
//	  16 × ChannelBufferSize, at least 4096, messages ─► worker, which runs
//	  the steps below)
//	  ─► interceptors, MaxMessageBytes check, Encode
//	  ─► producer.Producer[[]byte, []byte].SendCompleter (the user's sarama
//	     partitioner runs inside it, one instance per topic)
//	  ─► completion (a carrier per message) ─► results queue
//	  ─► Successes() / Errors()
//
//	consumer.Consumer[[]byte, []byte].Poll ─► ConsumerMessage
//	  ─► PartitionConsumer.Messages() / ConsumerGroupClaim.Messages()
//
// An AsyncProducer's pace is set by its interface: Input and Successes
// are unbuffered, as sarama's, so every message costs one goroutine
// hand-off on each (a park and a wake-up in the Go scheduler), whatever
// the producer behind them does. The drop-in does the rest off that path
// (the worker and samsa's sender run beside the hand-offs), and in bench/
// it runs as fast as an AsyncProducer that sends nothing at all, about
// twice sarama's rate. A program that needs more than that bound calls
// samsa's producer directly, whose Send takes no hand-off per record.
//
// # Configuration
//
// Every constructor takes a *sarama.Config (nil means sarama.NewConfig())
// and first runs its Validate, whose errors are returned unchanged. Each
// field is then either honoured, as listed below, or — when it was changed
// from sarama.NewConfig()'s default and samsa cannot honour it — refused
// with a sarama.ConfigurationError that names it. Nothing is ignored
// silently.
//
//	Field                                   samsa
//	Version                                 >= 0.11 required; caps the API versions of producers,
//	                                        consumers, consumer groups and saramacompat's own
//	                                        metadata requests at the release's
//	ClientID                                client id of every request
//	ChannelBufferSize                       capacity of Messages/Errors of partition consumers and claims
//	MetricRegistry                          producer and consumer metrics, under sarama's names
//	ApiVersionsRequest, Metadata.SingleFlight  accepted: samsa always negotiates and single-flights
//	Net.DialTimeout                         dial and TLS handshake timeout
//	Net.ReadTimeout                         request timeout: the wait for each response
//	Net.WriteTimeout                        accepted: a write is bounded with its response by Net.ReadTimeout
//	Net.MaxOpenRequests                     producer requests in flight per connection
//	Net.TLS                                 TLS on every connection (producers and consumers)
//	Net.SASL PLAIN, SCRAM-SHA-256/512       SASL on every connection (producers and consumers)
//	Net.KeepAlive, LocalAddr, Proxy,
//	Net.ResolveCanonicalBootstrapServers   refused unless default
//	Metadata.Retry.Max/Backoff/BackoffFunc  how long a message waits for its topic's metadata
//	Metadata.Timeout                        bounds that wait
//	Metadata.RefreshFrequency               periodic metadata refresh (0: none)
//	Metadata.AllowAutoTopicCreation         metadata requests ask to create topics
//	Metadata.Full                           accepted: samsa asks for the topics in use
//	Producer.RequiredAcks                   acks (NoResponse, WaitForLocal, WaitForAll)
//	Producer.MaxMessageBytes                per-message limit (sarama's check and error) and batch size cap
//	Producer.Compression, CompressionLevel  batch codec and level (gzip level 0 refused)
//	Producer.Partitioner                    the user's constructor, one instance per topic, as sarama calls it
//	Producer.Flush.Frequency                linger
//	Producer.Flush.Bytes                    batch size, per partition (sarama counts per broker)
//	Producer.Flush.Messages, MaxMessages    refused unless 0
//	Producer.Retry.Max, Backoff             retries and their constant backoff
//	Producer.Idempotent                     samsa's idempotent producer (sequence numbers, producer id)
//	Producer.Retry.BackoffFunc, Timeout,
//	Producer.Retry.MaxBufferLength/Bytes,
//	Producer.Transaction.ID                 refused unless default
//	Producer.Return.Successes, Errors       as sarama: channels to drain, or not returned
//	Producer.Interceptors                   OnSend before sizing and partitioning; panics recovered
//	Consumer.Fetch.Min, Default, MaxBytes   fetch min bytes, max partition fetch bytes, fetch max bytes
//	Consumer.Fetch.Max                      accepted: samsa always returns a partition's first batch whole
//	Consumer.MaxWaitTime                    fetch max wait
//	Consumer.MaxProcessingTime              accepted: a partition whose channel is full stops fetching until read
//	Consumer.Retry.Backoff                  backoff after a failed fetch
//	Consumer.Retry.Max, BackoffFunc         refused unless default
//	Consumer.Return.Errors                  errors on Errors(), or logged through sarama.Logger
//	Consumer.IsolationLevel                 read_uncommitted / read_committed
//	Consumer.Interceptors                   OnConsume just before delivery; panics recovered
//	RackID (consumers)                      refused unless default
//	Consumer.Group.Session.Timeout          session timeout
//	Consumer.Group.Heartbeat.Interval       heartbeat interval
//	Consumer.Group.Rebalance.Timeout        JoinGroup rebalance timeout; cooperative revoke deadline
//	Consumer.Group.Rebalance.GroupStrategies, Strategy
//	                                        sticky, cooperative-sticky: samsa's (Java) assignors;
//	                                        range, roundrobin, user strategies: their own Plan
//	Consumer.Group.Member.UserData          subscription user data (not with the sticky strategies)
//	Consumer.Group.InstanceId               static membership (KIP-345)
//	Consumer.Group.ResetInvalidOffsets,
//	Consumer.Group.Rebalance.Retry          refused unless default
//	Consumer.Offsets.Initial                where a partition without a committed offset starts
//	Consumer.Offsets.AutoCommit.Enable, Interval
//	                                        commits of the marked offsets, periodic and at session end
//	Consumer.Offsets.Retention, Retry.Max,
//	Consumer.Offsets.CommitInterval         refused unless default
//
// # Producers
//
// Input, Successes and Errors are unbuffered, as sarama's, and must be
// drained as with sarama. Successes come back per partition in offset
// order; Offset, Partition and (under LogAppendTime) Timestamp are filled
// in; Metadata passes through. A failed SendMessage returns -1, -1 and the
// inner error; SendMessages and AsyncProducer.Close return
// sarama.ProducerErrors. Length and Encode are called as sarama calls
// them: Length twice per key and value (sarama's size check and batch
// check), Encode once, plus once more for the key by hash partitioners.
// After Close, SyncProducer calls fail with sarama.ErrShuttingDown instead
// of panicking on a closed channel; AsyncClose refuses later messages with
// sarama.ErrShuttingDown as sarama does. Transactions are not supported
// yet: the transactional methods return sarama.ErrNonTransactedProducer,
// and TxnStatus reports what sarama reports without a transactional id
// (ProducerTxnFlagReady when idempotent, ProducerTxnFlagUninitialized
// otherwise).
//
// Under a topic's LogAppendTime the broker's timestamp replaces the
// message's Timestamp, as in sarama (the produce response says which
// timestamp the broker kept). Producer interceptors run one message at a
// time, as on sarama's dispatcher: on the AsyncProducer's worker, and on
// the goroutine calling a SyncProducer, under the lock that serializes its
// sends, so an interceptor must not send through the producer running it
// (with sarama, too, that never returns).
//
// # Consumer
//
// ConsumePartition resolves offsets as sarama does (OffsetOldest,
// OffsetNewest, or an offset between them, else ErrOffsetOutOfRange) and
// refuses a partition consumed twice. Messages and Errors are buffered to
// ChannelBufferSize. A partition whose offset falls off the log reports
// ErrOffsetOutOfRange and closes, as in sarama. HighWaterMarkOffset is
// refreshed every MaxWaitTime from the partition leaders (and raised by
// every message delivered). ConsumerMessage.BlockTimestamp is not filled
// in: samsa does not expose a batch's max timestamp. Consumer.Close also
// closes partition consumers left open.
//
// # ConsumerGroup
//
// Consume runs sarama's session life cycle on samsa's group membership:
// Setup, one ConsumeClaim goroutine per claim, Cleanup, and commits of the
// offsets marked with MarkMessage, MarkOffset or ResetOffset (periodically
// with AutoCommit, at the end of a session, and on Commit). With eager
// strategies each rebalance ends the session and Consume returns; with
// cooperative-sticky Consume survives rebalances, revoked claims see
// Messages closed and must return within Rebalance.Timeout, and added
// partitions get claims in the running session. A ConsumeClaim that
// returns on its own ends the session (sarama's
// ErrSessionConsumeClaimExited). Between sessions the member's partitions
// are paused and moved back to their marked offsets, so that the next
// session resumes where the handler left off. Members made by sarama and
// by saramacompat can share a group: both speak the consumer protocol's
// subscription and assignment formats.
//
// Errors: broker errors are bare sarama.KError values; other failures are
// an *Error that matches both the sarama sentinel (ErrOutOfBrokers,
// ErrShuttingDown, ErrInvalidPartition, ErrUnknownTopicOrPartition, ...)
// and samsa's cause with errors.Is.
package saramacompat

package saramacompat

import (
	"crypto/tls"
	"fmt"
	"math"
	"time"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/internal/wire"
	"github.com/samsa-go/samsa/producer"
)

// defaults is sarama's NewConfig, against which fields saramacompat cannot
// honour are compared: such a field is refused only when it was changed.
var defaults = sarama.NewConfig()

// forever stands for sarama's "0 disables" on intervals samsa requires to
// be positive.
const forever = time.Duration(math.MaxInt64)

// prepare runs sarama's own validation (its errors are returned unchanged)
// and the checks every constructor shares. A nil cfg is sarama.NewConfig().
func prepare(cfg *sarama.Config) (*sarama.Config, error) {
	if cfg == nil {
		cfg = sarama.NewConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, ok := maxVersions(cfg.Version); !ok {
		return nil, refuse("Version", fmt.Sprintf("%s is older than 0.11.0; samsa writes and reads record batch v2 only", cfg.Version))
	}
	n := &cfg.Net
	switch {
	case n.ResolveCanonicalBootstrapServers:
		return nil, refuse("Net.ResolveCanonicalBootstrapServers", "samsa dials the addresses as given")
	case n.LocalAddr != nil:
		return nil, refuse("Net.LocalAddr", "samsa does not bind a local address")
	case n.Proxy.Enable:
		return nil, refuse("Net.Proxy", "samsa dials brokers directly")
	case n.KeepAlive != defaults.Net.KeepAlive:
		return nil, refuse("Net.KeepAlive", "samsa's connections keep the 30s TCP keep-alive of its dialer")
	}
	if _, err := saslMechanism(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// connSettings returns the SASL mechanism (nil without SASL) and the
// protocol version caps of a cfg that has been through prepare, which
// refuses every cfg for which either lookup fails.
func connSettings(cfg *sarama.Config) (wire.Mechanism, map[int16]int16) {
	mech, _ := saslMechanism(cfg)
	caps, _ := maxVersions(cfg.Version)
	return mech, caps
}

// saslMechanism returns the samsa mechanism for cfg.Net.SASL, nil when SASL
// is off.
func saslMechanism(cfg *sarama.Config) (wire.Mechanism, error) {
	s := &cfg.Net.SASL
	if !s.Enable {
		return nil, nil
	}
	switch {
	case !s.Handshake:
		return nil, refuse("Net.SASL.Handshake", "samsa always sends SaslHandshake before authenticating")
	case s.Version != sarama.SASLHandshakeV1:
		return nil, refuse("Net.SASL.Version", "samsa authenticates with SaslHandshake v1 and SaslAuthenticate (KIP-152)")
	case s.AuthIdentity != "":
		return nil, refuse("Net.SASL.AuthIdentity", "samsa's PLAIN sends no authorization identity")
	case s.SCRAMAuthzID != "":
		return nil, refuse("Net.SASL.SCRAMAuthzID", "samsa's SCRAM sends no authorization identity")
	}
	switch s.Mechanism {
	case sarama.SASLTypePlaintext, "":
		return wire.Plain(s.User, s.Password), nil
	case sarama.SASLTypeSCRAMSHA256:
		return wire.ScramSHA256(s.User, s.Password), nil
	case sarama.SASLTypeSCRAMSHA512:
		return wire.ScramSHA512(s.User, s.Password), nil
	}
	return nil, refuse("Net.SASL.Mechanism", fmt.Sprintf("%s is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism))
}

// tlsConfig returns the TLS configuration of cfg.Net.TLS, nil when TLS is
// off.
func tlsConfig(cfg *sarama.Config) *tls.Config {
	if !cfg.Net.TLS.Enable {
		return nil
	}
	if cfg.Net.TLS.Config == nil {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return cfg.Net.TLS.Config
}

// metadataWait is how long sarama would try to get a topic's metadata
// before failing a message: its metadata retries with their backoff,
// plus a second for the requests themselves, bounded by Metadata.Timeout
// when that is set.
func metadataWait(cfg *sarama.Config) time.Duration {
	r := &cfg.Metadata.Retry
	var d time.Duration
	for i := 1; i <= r.Max; i++ {
		if r.BackoffFunc != nil {
			d += r.BackoffFunc(i, r.Max)
		} else {
			d += r.Backoff
		}
	}
	d += time.Second
	if t := cfg.Metadata.Timeout; t > 0 && t < d {
		d = t
	}
	return d
}

// compressionCodec maps sarama's codec and level onto samsa's.
func compressionCodec(cfg *sarama.Config) (producer.Codec, int, error) {
	var codec producer.Codec
	switch cfg.Producer.Compression {
	case sarama.CompressionNone:
		codec = producer.CompressionNone
	case sarama.CompressionGZIP:
		codec = producer.CompressionGzip
	case sarama.CompressionSnappy:
		codec = producer.CompressionSnappy
	case sarama.CompressionLZ4:
		codec = producer.CompressionLZ4
	case sarama.CompressionZSTD:
		codec = producer.CompressionZstd
	default:
		return 0, 0, refuse("Producer.Compression", fmt.Sprintf("unknown codec %d", cfg.Producer.Compression))
	}
	level := cfg.Producer.CompressionLevel
	switch {
	case level == sarama.CompressionLevelDefault:
		return codec, 0, nil
	case codec == producer.CompressionNone || codec == producer.CompressionSnappy:
		return codec, 0, nil // sarama ignores the level of these codecs too
	case level == 0:
		// samsa reads level 0 as the codec's default; sarama passes it to
		// the codec, where gzip's 0 means "store, do not compress".
		return 0, 0, refuse("Producer.CompressionLevel", "level 0 (use sarama.CompressionLevelDefault, or a level above 0)")
	}
	return codec, level, nil
}

// producerSettings is a sarama.Config translated for samsa's producer.
type producerSettings struct {
	opts          []producer.Option
	part          *saramaPartitioner
	maxMessage    int
	returnSuccess bool
	returnErrors  bool
	acksNone      bool
	interceptors  []sarama.ProducerInterceptor
	channelBuffer int
	idempotent    bool
	metadataWait  time.Duration
}

// producerConfig maps cfg onto samsa producer options, refusing what it
// cannot honour. cfg has been through prepare.
func producerConfig(addrs []string, cfg *sarama.Config) (*producerSettings, error) {
	pc := &cfg.Producer
	switch {
	case pc.Transaction.ID != "":
		return nil, refuse("Producer.Transaction.ID", "transactions are not supported yet")
	case pc.Flush.Messages != 0:
		return nil, refuse("Producer.Flush.Messages", "samsa batches by bytes (Flush.Bytes) and time (Flush.Frequency), not by message count")
	case pc.Flush.MaxMessages != 0:
		return nil, refuse("Producer.Flush.MaxMessages", "samsa bounds requests by bytes, not by message count")
	case pc.Retry.BackoffFunc != nil:
		return nil, refuse("Producer.Retry.BackoffFunc", "samsa backs off by Producer.Retry.Backoff")
	case pc.Timeout != defaults.Producer.Timeout:
		return nil, refuse("Producer.Timeout", "samsa gives the broker its request timeout, Net.ReadTimeout")
	case pc.RequiredAcks > sarama.WaitForLocal:
		return nil, refuse("Producer.RequiredAcks", fmt.Sprintf("%d (use NoResponse, WaitForLocal or WaitForAll)", pc.RequiredAcks))
	case pc.Retry.MaxBufferLength != 0 || pc.Retry.MaxBufferBytes != 0:
		return nil, refuse("Producer.Retry.MaxBufferLength/MaxBufferBytes", "samsa retries batches in place; its buffer memory bounds them")
	}
	codec, level, err := compressionCodec(cfg)
	if err != nil {
		return nil, err
	}
	mech, caps := connSettings(cfg)
	acks := producer.AcksLeader
	switch pc.RequiredAcks {
	case sarama.WaitForAll:
		acks = producer.AcksAll
	case sarama.NoResponse:
		acks = producer.AcksNone
	}
	// sarama caps each partition's batch by MaxMessageBytes and flushes a
	// broker's batches at Flush.Bytes; samsa's batch size is per
	// partition, so it takes the smaller of the two.
	batch := pc.MaxMessageBytes
	if pc.Flush.Bytes > 0 && pc.Flush.Bytes < batch {
		batch = pc.Flush.Bytes
	}
	// A sarama request may carry up to sarama.MaxRequestSize; single
	// messages are bounded by MaxMessageBytes, which saramacompat checks
	// itself before a message reaches samsa.
	maxReq := max(int(sarama.MaxRequestSize), batch+64<<10)
	readTimeout := cfg.Net.ReadTimeout
	retries := pc.Retry.Max
	// sarama bounds a message by its retries, not by a delivery timeout:
	// give samsa's delivery timeout room for every attempt.
	delivery := time.Duration(retries+1)*(readTimeout+pc.Retry.Backoff) + pc.Flush.Frequency + time.Second
	refresh := cfg.Metadata.RefreshFrequency
	if refresh == 0 {
		refresh = forever
	}
	wait := metadataWait(cfg)
	opts := []producer.Option{
		producer.WithMaxVersions(caps),
		producer.WithBrokers(addrs...),
		producer.WithClientID(cfg.ClientID),
		producer.WithDialTimeout(cfg.Net.DialTimeout),
		producer.WithRequestTimeout(readTimeout),
		producer.WithMaxInFlight(cfg.Net.MaxOpenRequests),
		producer.WithMetadataMaxAge(refresh),
		producer.WithAutoTopicCreation(cfg.Metadata.AllowAutoTopicCreation),
		producer.WithAcks(acks),
		// sarama is idempotent only when asked; samsa is by default.
		producer.WithIdempotence(pc.Idempotent),
		producer.WithCompression(codec, level),
		producer.WithLinger(pc.Flush.Frequency),
		producer.WithBatchSize(batch),
		producer.WithMaxRequestSize(maxReq),
		producer.WithRetries(retries),
		producer.WithRetryBackoff(pc.Retry.Backoff, pc.Retry.Backoff),
		producer.WithDeliveryTimeout(delivery),
		producer.WithMaxBlock(wait),
	}
	if t := tlsConfig(cfg); t != nil {
		opts = append(opts, producer.WithTLS(t))
	}
	if mech != nil {
		opts = append(opts, producer.WithSASL(mech))
	}
	if cfg.MetricRegistry != nil {
		opts = append(opts, producer.WithMetricsRegistry(cfg.MetricRegistry))
	}
	part := newSaramaPartitioner(pc.Partitioner)
	opts = append(opts, producer.WithPartitioner(part))
	return &producerSettings{
		opts:          opts,
		part:          part,
		maxMessage:    pc.MaxMessageBytes,
		returnSuccess: pc.Return.Successes,
		returnErrors:  pc.Return.Errors,
		acksNone:      acks == producer.AcksNone,
		interceptors:  pc.Interceptors,
		channelBuffer: cfg.ChannelBufferSize,
		idempotent:    pc.Idempotent,
		metadataWait:  wait,
	}, nil
}

// consumerSettings is a sarama.Config translated for samsa's consumer.
type consumerSettings struct {
	opts          []consumer.Option
	returnErrors  bool
	interceptors  []sarama.ConsumerInterceptor
	channelBuffer int
	retryBackoff  time.Duration
}

// consumerConfig maps cfg onto samsa consumer options, refusing what it
// cannot honour; it serves Consumer and ConsumerGroup. cfg has been
// through prepare.
func consumerConfig(addrs []string, cfg *sarama.Config) (*consumerSettings, error) {
	cc := &cfg.Consumer
	switch {
	case cfg.RackID != "":
		return nil, refuse("RackID", "samsa's consumer does not fetch from follower replicas")
	case cc.Retry.BackoffFunc != nil:
		return nil, refuse("Consumer.Retry.BackoffFunc", "samsa backs off by Consumer.Retry.Backoff")
	case cc.Retry.Max != 0:
		return nil, refuse("Consumer.Retry.Max", "samsa's consumer retries a partition until it is closed")
	}
	iso := consumer.ReadUncommitted
	if cc.IsolationLevel == sarama.ReadCommitted {
		iso = consumer.ReadCommitted
	}
	refresh := cfg.Metadata.RefreshFrequency
	if refresh == 0 {
		refresh = forever
	}
	backoff := cc.Retry.Backoff
	if backoff <= 0 {
		backoff = time.Millisecond
	}
	mech, caps := connSettings(cfg)
	opts := []consumer.Option{
		consumer.WithMaxVersions(caps),
		consumer.WithBrokers(addrs...),
		consumer.WithClientID(cfg.ClientID),
		consumer.WithDialTimeout(cfg.Net.DialTimeout),
		consumer.WithRequestTimeout(cfg.Net.ReadTimeout),
		consumer.WithDefaultAPITimeout(time.Duration(cfg.Metadata.Retry.Max+1) * (cfg.Net.DialTimeout + cfg.Metadata.Retry.Backoff)),
		consumer.WithMetadataMaxAge(refresh),
		consumer.WithFetchMinBytes(cc.Fetch.Min),
		consumer.WithMaxPartitionFetchBytes(cc.Fetch.Default),
		consumer.WithFetchMaxBytes(cc.Fetch.MaxBytes),
		consumer.WithFetchMaxWait(cc.MaxWaitTime),
		consumer.WithIsolationLevel(iso),
		consumer.WithRetryBackoff(backoff, backoff),
		consumer.WithMaxPollRecords(pollRecords),
	}
	if t := tlsConfig(cfg); t != nil {
		opts = append(opts, consumer.WithTLS(t))
	}
	if mech != nil {
		opts = append(opts, consumer.WithSASL(mech))
	}
	if cfg.MetricRegistry != nil {
		opts = append(opts, consumer.WithMetricsRegistry(cfg.MetricRegistry))
	}
	return &consumerSettings{
		opts:          opts,
		returnErrors:  cc.Return.Errors,
		interceptors:  cc.Interceptors,
		channelBuffer: cfg.ChannelBufferSize,
		retryBackoff:  backoff,
	}, nil
}

// pollRecords is how many records one Poll hands to saramacompat at most:
// enough that a poll's overhead is small per record.
const pollRecords = 4096

// groupConfig adds the group settings of cfg to a consumer's options,
// refusing what it cannot honour.
func groupConfig(groupID string, cfg *sarama.Config, as []assignor.Assignor) ([]consumer.Option, error) {
	g := &cfg.Consumer.Group
	o := &cfg.Consumer.Offsets
	dg := &defaults.Consumer.Group
	switch {
	case !g.ResetInvalidOffsets:
		return nil, refuse("Consumer.Group.ResetInvalidOffsets", "samsa always falls back to Consumer.Offsets.Initial for an invalid offset")
	case g.Rebalance.Retry.Max != dg.Rebalance.Retry.Max || g.Rebalance.Retry.Backoff != dg.Rebalance.Retry.Backoff:
		return nil, refuse("Consumer.Group.Rebalance.Retry", "samsa rejoins on every poll, backing off by Consumer.Retry.Backoff")
	case o.Retention != 0:
		return nil, refuse("Consumer.Offsets.Retention", "samsa commits with the broker's retention")
	case o.Retry.Max != defaults.Consumer.Offsets.Retry.Max:
		return nil, refuse("Consumer.Offsets.Retry.Max", "samsa retries a commit until Net.ReadTimeout has passed")
	case o.CommitInterval != 0:
		return nil, refuse("Consumer.Offsets.CommitInterval", "deprecated: use Consumer.Offsets.AutoCommit.Interval")
	}
	reset := consumer.ResetLatest
	if o.Initial == sarama.OffsetOldest {
		reset = consumer.ResetEarliest
	}
	opts := []consumer.Option{
		consumer.WithGroupID(groupID),
		consumer.WithSessionTimeout(g.Session.Timeout),
		consumer.WithHeartbeatInterval(g.Heartbeat.Interval),
		// samsa sends its max poll interval as the JoinGroup rebalance
		// timeout; saramacompat polls continuously, so the interval only
		// bounds how long a rebalance may wait for handlers.
		consumer.WithMaxPollInterval(g.Rebalance.Timeout),
		consumer.WithAutoOffsetReset(reset),
		// sarama commits the offsets the application marked, not the
		// positions polled: saramacompat commits them itself.
		consumer.WithAutoCommit(false),
		consumer.WithAssignors(as...),
	}
	if g.InstanceId != "" {
		opts = append(opts, consumer.WithGroupInstanceID(g.InstanceId))
	}
	return opts, nil
}

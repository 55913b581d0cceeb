package cluster

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/wire"
)

// Defaults applied by [New] to zero fields of [Options].
const (
	DefaultMetadataMaxAge = 5 * time.Minute
	DefaultRetryBackoff   = 100 * time.Millisecond
	// DefaultRetryBackoffMax caps the exponential backoff between failed
	// dials of one broker and between failed refreshes.
	DefaultRetryBackoffMax = time.Second
)

// Options configures a [Cluster]. The zero value is usable.
type Options struct {
	// Wire configures every connection (client id, timeouts, TLS, SASL,
	// version caps). Its Logger defaults to Logger.
	Wire wire.Options

	// MetadataMaxAge is the interval of the periodic metadata refresh
	// (Java's metadata.max.age.ms). Default 5m.
	MetadataMaxAge time.Duration

	// RetryBackoff is the minimum time between two triggered refreshes,
	// the first backoff after a failed refresh or dial (doubling up to
	// RetryBackoffMax), and the pause between coordinator lookup retries
	// (Java's retry.backoff.ms). Default 100ms.
	RetryBackoff time.Duration

	// RetryBackoffMax caps the exponential backoff (Java's
	// retry.backoff.max.ms). Default 1s; never below RetryBackoff.
	RetryBackoffMax time.Duration

	// AllowAutoTopicCreation asks brokers (Metadata v4+) to create topics
	// that metadata is requested for and that do not exist, if the broker
	// allows it (Java's allow.auto.create.topics). Default false.
	AllowAutoTopicCreation bool

	// Logger receives refresh failures and pool events. Default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults(seeds []string) (Options, error) {
	if len(seeds) == 0 {
		return o, &samsa.ConfigError{Option: "cluster seeds", Reason: "at least one seed broker (host:port) is required"}
	}
	for _, s := range seeds {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return o, &samsa.ConfigError{Option: "cluster seeds", Value: s, Reason: "a seed must be host:port"}
		}
		if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
			return o, &samsa.ConfigError{Option: "cluster seeds", Value: s, Reason: "the port must be 1..65535"}
		}
	}
	switch {
	case o.MetadataMaxAge < 0:
		return o, &samsa.ConfigError{Option: "cluster.Options.MetadataMaxAge", Value: o.MetadataMaxAge, Reason: "must not be negative"}
	case o.MetadataMaxAge == 0:
		o.MetadataMaxAge = DefaultMetadataMaxAge
	}
	switch {
	case o.RetryBackoff < 0:
		return o, &samsa.ConfigError{Option: "cluster.Options.RetryBackoff", Value: o.RetryBackoff, Reason: "must not be negative"}
	case o.RetryBackoff == 0:
		o.RetryBackoff = DefaultRetryBackoff
	}
	switch {
	case o.RetryBackoffMax < 0:
		return o, &samsa.ConfigError{Option: "cluster.Options.RetryBackoffMax", Value: o.RetryBackoffMax, Reason: "must not be negative"}
	case o.RetryBackoffMax == 0:
		o.RetryBackoffMax = DefaultRetryBackoffMax
	}
	o.RetryBackoffMax = max(o.RetryBackoffMax, o.RetryBackoff)
	if o.Logger == nil {
		o.Logger = o.Wire.Logger
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Wire.Logger == nil {
		o.Wire.Logger = o.Logger
	}
	return o, nil
}

// backoff returns the wait after n consecutive failures (n ≥ 1):
// RetryBackoff doubled per further failure, capped at RetryBackoffMax.
func (o Options) backoff(n int) time.Duration {
	d := o.RetryBackoff
	for i := 1; i < n && d < o.RetryBackoffMax; i++ {
		d *= 2
	}
	return min(d, o.RetryBackoffMax)
}

func brokerAddr(host string, port int32) string {
	return net.JoinHostPort(host, strconv.FormatInt(int64(port), 10))
}

package wire

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"time"

	"github.com/samsa-go/samsa"
)

// Defaults applied by [Dial] to zero fields of [Options].
const (
	DefaultDialTimeout     = 10 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultMaxInFlight     = 5
	DefaultMaxResponseSize = 100<<20 + 1<<20 // a full 100 MiB fetch plus headers
	DefaultClientID        = "samsa"
	DefaultSoftwareName    = "samsa-go"
	DefaultSoftwareVersion = "0.1.0"

	// DefaultKeepAlive is the TCP keep-alive period of the default dialer.
	DefaultKeepAlive = 30 * time.Second
)

// Options configures a [Conn]. The zero value is usable: every zero field
// takes the default documented on it. Options is copied by Dial; changing
// it afterwards has no effect on existing connections.
type Options struct {
	// ClientID is sent in every request header (Java's client.id).
	// Default "samsa".
	ClientID string

	// SoftwareName and SoftwareVersion are sent in ApiVersions v3+
	// (KIP-511). Kafka requires them to match
	// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?. Defaults "samsa-go" and
	// the SDK version.
	SoftwareName, SoftwareVersion string

	// DialTimeout bounds the TCP connect and TLS handshake. Default 10s.
	DialTimeout time.Duration

	// RequestTimeout bounds the wait for each response, counted from the
	// moment the request is written; a caller's earlier deadline wins.
	// Java's request.timeout.ms. Default 30s.
	RequestTimeout time.Duration

	// MaxInFlight is the number of requests pipelined on one connection
	// before callers wait for a slot (Java's
	// max.in.flight.requests.per.connection). Default 5.
	MaxInFlight int

	// Dialer opens the TCP connection. Default: a net.Dialer with a 30s
	// keep-alive.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// TLS enables TLS when non-nil. An empty ServerName is filled in with
	// the broker's host name. Default nil: plaintext.
	TLS *tls.Config

	// SASL authenticates the connection after ApiVersions when non-nil
	// (SaslHandshake v1 + SaslAuthenticate, KIP-152). See [Plain] and
	// [ScramSHA256] / [ScramSHA512]. Default nil: no authentication.
	SASL Mechanism

	// MaxVersions optionally caps the version used per API key, like
	// sarama's Config.Version as an upper bound. Keys not present are not
	// capped.
	MaxVersions map[int16]int16

	// MaxResponseSize is the largest response frame accepted; a bigger
	// frame closes the connection with samsa.ErrMalformedResponse.
	// Default 101 MiB.
	MaxResponseSize int32

	// Logger receives connection lifecycle events at debug level and
	// failures at warn level. Default: discard.
	Logger *slog.Logger
}

// softwareRe is the pattern Kafka enforces for ApiVersions v3+ client
// software names and versions.
var softwareRe = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$`)

// Validate reports the first invalid field of o as a *samsa.ConfigError,
// exactly as Dial would, without dialling.
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

// withDefaults validates o and returns a copy with every default applied.
// Errors are *samsa.ConfigError.
func (o Options) withDefaults() (Options, error) {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.SoftwareName == "" {
		o.SoftwareName = DefaultSoftwareName
	}
	if o.SoftwareVersion == "" {
		o.SoftwareVersion = DefaultSoftwareVersion
	}
	if !softwareRe.MatchString(o.SoftwareName) {
		return o, &samsa.ConfigError{Option: "wire.Options.SoftwareName", Value: o.SoftwareName,
			Reason: `must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? (KIP-511)`}
	}
	if !softwareRe.MatchString(o.SoftwareVersion) {
		return o, &samsa.ConfigError{Option: "wire.Options.SoftwareVersion", Value: o.SoftwareVersion,
			Reason: `must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? (KIP-511)`}
	}
	switch {
	case o.DialTimeout < 0:
		return o, &samsa.ConfigError{Option: "wire.Options.DialTimeout", Value: o.DialTimeout, Reason: "must not be negative"}
	case o.DialTimeout == 0:
		o.DialTimeout = DefaultDialTimeout
	}
	switch {
	case o.RequestTimeout < 0:
		return o, &samsa.ConfigError{Option: "wire.Options.RequestTimeout", Value: o.RequestTimeout, Reason: "must not be negative"}
	case o.RequestTimeout == 0:
		o.RequestTimeout = DefaultRequestTimeout
	}
	switch {
	case o.MaxInFlight < 0:
		return o, &samsa.ConfigError{Option: "wire.Options.MaxInFlight", Value: o.MaxInFlight, Reason: "must not be negative"}
	case o.MaxInFlight == 0:
		o.MaxInFlight = DefaultMaxInFlight
	}
	switch {
	case o.MaxResponseSize < 0:
		return o, &samsa.ConfigError{Option: "wire.Options.MaxResponseSize", Value: o.MaxResponseSize, Reason: "must not be negative"}
	case o.MaxResponseSize == 0:
		o.MaxResponseSize = DefaultMaxResponseSize
	case o.MaxResponseSize < 8:
		return o, &samsa.ConfigError{Option: "wire.Options.MaxResponseSize", Value: o.MaxResponseSize, Reason: "must be at least 8 bytes"}
	}
	if o.MaxVersions != nil {
		caps := make(map[int16]int16, len(o.MaxVersions))
		for k, v := range o.MaxVersions {
			if v < 0 {
				return o, &samsa.ConfigError{Option: "wire.Options.MaxVersions", Value: fmt.Sprintf("%d: %d", k, v),
					Reason: "a version ceiling must not be negative"}
			}
			caps[k] = v
		}
		o.MaxVersions = caps // a private copy: the caller may reuse its map
	}
	if o.Dialer == nil {
		d := &net.Dialer{KeepAlive: DefaultKeepAlive}
		o.Dialer = d.DialContext
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

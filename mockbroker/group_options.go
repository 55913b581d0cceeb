package mockbroker

import (
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
)

// Group coordinator defaults. Kafka's own are noted where the mock differs
// on purpose.
const (
	// DefaultGroupMinSessionTimeout is the shortest session timeout a
	// JoinGroup may ask for (Kafka's group.min.session.timeout.ms). Kafka
	// refuses anything under 6 s; the mock accepts any positive timeout so
	// that tests can let a session expire in milliseconds. Use
	// WithGroupMinSessionTimeout(6*time.Second) for Kafka's check.
	DefaultGroupMinSessionTimeout = time.Millisecond
	// DefaultGroupMaxSessionTimeout is the longest session timeout a
	// JoinGroup may ask for; Kafka's group.max.session.timeout.ms (30 min).
	DefaultGroupMaxSessionTimeout = 30 * time.Minute
	// DefaultGroupInitialRebalanceDelay is how long the first rebalance of
	// an empty group waits for more members. Kafka defaults
	// group.initial.rebalance.delay.ms to 3 s (its sample server.properties
	// sets 0 for development); the mock defaults to 0 so that a test group
	// forms as soon as its members have joined.
	DefaultGroupInitialRebalanceDelay time.Duration = 0
)

// groupConfig holds the group coordinator settings. The zero value means
// every default.
type groupConfig struct {
	minSession, maxSession time.Duration
	minSet, maxSet         bool
	initialDelay           time.Duration
}

// WithGroupMinSessionTimeout sets the shortest session timeout a member may
// ask for in JoinGroup; a shorter one is answered with
// INVALID_SESSION_TIMEOUT. Equivalent to Kafka's
// group.min.session.timeout.ms. Default DefaultGroupMinSessionTimeout
// (1 ms); it must be positive and at most the maximum.
func WithGroupMinSessionTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.groups.minSession, c.groups.minSet = d, true })
}

// WithGroupMaxSessionTimeout sets the longest session timeout a member may
// ask for in JoinGroup; a longer one is answered with
// INVALID_SESSION_TIMEOUT. Equivalent to Kafka's
// group.max.session.timeout.ms. Default DefaultGroupMaxSessionTimeout
// (30 min); it must be at least the minimum.
func WithGroupMaxSessionTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.groups.maxSession, c.groups.maxSet = d, true })
}

// WithGroupInitialRebalanceDelay makes the first rebalance of a group that
// has no members wait d for more members to join before it completes, and
// wait d again, up to the rebalance timeout, each time one more joins in
// the meantime; equivalent to Kafka's group.initial.rebalance.delay.ms.
// Default 0: the rebalance completes as soon as every member has joined.
// d must not be negative.
func WithGroupInitialRebalanceDelay(d time.Duration) Option {
	return optionFunc(func(c *config) { c.groups.initialDelay = d })
}

func (g *groupConfig) validate() error {
	if !g.minSet {
		g.minSession = DefaultGroupMinSessionTimeout
	}
	if !g.maxSet {
		g.maxSession = DefaultGroupMaxSessionTimeout
	}
	switch {
	case g.minSession <= 0:
		return &samsa.ConfigError{Option: "mockbroker.WithGroupMinSessionTimeout", Value: g.minSession, Reason: "want a positive duration"}
	case g.maxSession < g.minSession:
		return &samsa.ConfigError{Option: "mockbroker.WithGroupMaxSessionTimeout", Value: g.maxSession,
			Reason: fmt.Sprintf("want at least the minimum session timeout %v", g.minSession)}
	case g.initialDelay < 0:
		return &samsa.ConfigError{Option: "mockbroker.WithGroupInitialRebalanceDelay", Value: g.initialDelay, Reason: "want a duration of 0 or more"}
	}
	return nil
}

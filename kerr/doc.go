// Package kerr holds the error codes of the Kafka protocol as Go values.
//
// Every response a broker sends carries int16 error codes: one per
// partition of a produce or fetch, one per group call, one per topic of a
// metadata answer. The layers that decode responses (internal/wire,
// internal/cluster, the producer's sender, the consumer's fetcher and group
// client) turn a non-zero code into a value of this package with [ForCode]
// and wrap it with the context it arose in:
//
//	fmt.Errorf("produce to %s: %w", tp, kerr.ForCode(p.ErrorCode))
//
// so callers test for a broker error with errors.Is, through any amount of
// wrapping, and decide whether to retry with [IsRetriable]. The mock broker
// goes the other way: it answers with [CodeOf] of the error a fault
// injection asks for.
//
// There is one pointer sentinel per code, named after the protocol name in
// Go style (NOT_LEADER_OR_FOLLOWER is [NotLeaderOrFollower], UNKNOWN_MEMBER_ID
// is [UnknownMemberID]). Code 0, NONE, has no value: [ForCode](0) is nil. A
// code this package does not know — one added to Kafka after this table was
// written, or garbage — still yields an *[Error], named
// "UNKNOWN_ERROR_CODE_<n>" and not retriable, and errors.Is treats two such
// values of the same code as equal.
//
// Everything in this package is safe for concurrent use. It imports only
// the standard library, so any package of samsa can depend on it.
package kerr

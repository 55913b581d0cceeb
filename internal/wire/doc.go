// Package wire is samsa's connection to one Kafka broker: framing,
// correlation ids, pipelining, ApiVersions negotiation, TLS and SASL.
//
// Every request samsa sends goes through a [Conn]. The cluster layer
// (internal/cluster) keeps one Conn per broker and hands them to the
// producer's sender, the consumer's fetcher and the group and transaction
// coordinators:
//
//	producer sender / fetcher / coordinator
//	  │ Do(ctx, req) or DoAsync(req, deadline, done)
//	  ▼
//	Conn ── version pick (broker range ∩ client range ∩ Options.MaxVersions)
//	  │     in-flight slot (Options.MaxInFlight)
//	  │     frame: size | key | version | correlation id | client id | body
//	  ▼
//	net.Conn (TCP, optionally TLS) ─► broker
//	  ▲
//	reader goroutine: frame → correlation id check → response header
//	(v1 with tags for flexible responses, except ApiVersions) → kmsg decode
//	→ completion of the oldest in-flight request
//
// # Goroutines
//
// A Conn owns exactly one goroutine, its reader, started by [Dial] and
// stopped and awaited by [Conn.Close]. Writes happen on the caller's
// goroutine under a write mutex (one reusable write buffer per Conn), so
// there is no goroutine per request. Kafka answers the requests of one
// connection in the order they were sent; the reader matches each response
// against the oldest request in flight and fails the connection if the
// correlation ids disagree.
//
// # Deadlines and failure
//
// Every request has a deadline: the earlier of (time written + Options.
// RequestTimeout) and the caller's deadline. The reader arms the socket's
// read deadline with the earliest deadline in flight; when it passes, the
// request fails with an error wrapping samsa.ErrRequestTimeout and the
// connection is closed, because a late response could no longer be matched
// safely. Every other request in flight then fails with an error wrapping
// samsa.ErrConnectionClosed. A malformed response (correlation id mismatch,
// undecodable body, frame above Options.MaxResponseSize) closes the
// connection with an error wrapping samsa.ErrMalformedResponse. A dead Conn
// never recovers: the pool in internal/cluster notices it through
// [Conn.Done] and dials a new one.
package wire

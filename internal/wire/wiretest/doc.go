// Package wiretest is a small fake Kafka broker for the tests of
// internal/wire and internal/cluster: a loopback listener that decodes
// requests with kmsg, answers ApiVersions by itself (including the KIP-511
// v0 fallback) and hands every other request to a test-supplied Handler.
//
// It is deliberately tiny and stateless — the stateful mock cluster lives
// in package mockbroker. Each accepted connection has a reader goroutine
// (decodes and counts requests) and a handler goroutine (answers them in
// arrival order, as Kafka does); both are owned by the Server and Close
// waits for them.
package wiretest

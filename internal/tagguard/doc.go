// Package tagguard decodes flexible Kafka messages with kmsg without the
// one weakness kmsg's generated decoders have on hostile input: a
// tagged-field section starts with a uvarint count, and kmsg loops that
// many times even after the input ran out, so a five-byte count (up to
// 2^32) in a few bytes of body costs minutes of CPU. Both ends of samsa
// decode what the other side sent through it: the mock broker its
// requests, the client (internal/wire) its responses.
package tagguard

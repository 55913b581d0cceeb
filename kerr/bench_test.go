package kerr

import (
	"errors"
	"fmt"
	"testing"
)

// The response paths call ForCode for every partition of every produce and
// fetch response, and IsRetriable / errors.Is for every failed one.

func BenchmarkForCodeKnown(b *testing.B) {
	b.ReportAllocs()
	var e *Error
	for i := 0; b.Loop(); i++ {
		e = ForCode(int16(i % 134))
	}
	_ = e
}

func BenchmarkForCodeUnknown(b *testing.B) {
	b.ReportAllocs()
	var e *Error
	for b.Loop() {
		e = ForCode(9999)
	}
	_ = e
}

func BenchmarkIsRetriableWrapped(b *testing.B) {
	err := fmt.Errorf("send: %w", fmt.Errorf("produce to orders-3: %w", NotLeaderOrFollower))
	b.ReportAllocs()
	var r bool
	for b.Loop() {
		r = IsRetriable(err)
	}
	_ = r
}

func BenchmarkErrorsIsWrapped(b *testing.B) {
	err := fmt.Errorf("send: %w", fmt.Errorf("produce to orders-3: %w", NotLeaderOrFollower))
	b.ReportAllocs()
	var r bool
	for b.Loop() {
		r = errors.Is(err, UnknownTopicOrPartition)
	}
	_ = r
}

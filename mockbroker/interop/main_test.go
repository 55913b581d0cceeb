package interop_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: every cluster,
// sarama client and kcat process the tests start is closed or waited for.
// go-metrics, which sarama registers its meters with, runs one process-wide
// ticker goroutine that never stops by design; it is the only exception.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

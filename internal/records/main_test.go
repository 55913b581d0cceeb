package records

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: pooled zstd
// encoders and decoders are created with concurrency 1 precisely so that
// they own none.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

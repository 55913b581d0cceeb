package accumulator

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that nothing the tests start outlives them: the
// accumulator owns no goroutines, and a blocked Allocate must not leave
// one behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

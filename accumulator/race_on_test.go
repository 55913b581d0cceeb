//go:build race

package accumulator

// raceEnabled: under the race detector sync.Pool drops items at random, so
// allocation counts that rely on pooling are not meaningful.
const raceEnabled = true

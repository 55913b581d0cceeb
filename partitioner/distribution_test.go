package partitioner

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeyedDistribution checks that the hash partitioners spread distinct
// keys evenly: every partition within 10% of the mean over 200k keys.
func TestKeyedDistribution(t *testing.T) {
	const keys, n = 200000, 16
	for _, tc := range []struct {
		name string
		p    Partitioner
	}{
		{"Murmur2", Murmur2()},
		{"SaramaHash", SaramaHash()},
		{"SaramaReferenceHash", SaramaReferenceHash()},
		{"CRC32", CRC32()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counts := make([]int, n)
			key := make([]byte, 0, 32)
			for i := range keys {
				key = binary.AppendUvarint(append(key[:0], "user-"...), uint64(i))
				got := tc.p.Partition("t", key, nil, all(n))
				require.True(t, got >= 0 && got < n)
				counts[got]++
			}
			mean := keys / n
			for part, c := range counts {
				assert.InDelta(t, mean, c, float64(mean)/10, "partition %d", part)
			}
		})
	}
}

// TestUnkeyedUsesAvailable checks that every partitioner that may choose
// freely picks only partitions with a leader, reaches all of them, and
// falls back to all partitions when none has a leader.
func TestUnkeyedUsesAvailable(t *testing.T) {
	def, err := Default(0) // batch size 0: a new draw after every record
	require.NoError(t, err)
	us, err := UniformSticky(0)
	require.NoError(t, err)
	avail := []int32{1, 4, 6}
	for _, tc := range []struct {
		name string
		p    Partitioner
		key  []byte
	}{
		{"Murmur2", Murmur2(), nil},
		{"Default", def, nil},
		{"UniformSticky keyed", us, []byte("k")},
		{"RoundRobin", RoundRobin(), []byte("k")},
		{"SaramaHash", SaramaHash(), nil},
		{"SaramaReferenceHash", SaramaReferenceHash(), nil},
		{"SaramaRandom", SaramaRandom(), []byte("k")},
		{"SaramaRoundRobin", SaramaRoundRobin(), nil},
		{"CRC32Random", CRC32Random(), []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aa, _ := tc.p.(AppendAware)
			seen := map[int32]int{}
			for range 3000 {
				got := tc.p.Partition("t", tc.key, nil, Partitions{Count: 8, Available: avail})
				seen[got]++
				if aa != nil {
					aa.OnAppend(Append{Topic: "t", Partition: got, Keyed: tc.key != nil, Bytes: 10, AllBatchesFull: true})
				}
			}
			require.Len(t, seen, len(avail), "seen %v", seen)
			for _, p := range avail {
				assert.Greater(t, seen[p], 600, "partition %d: %v", p, seen)
			}
			seen = map[int32]int{}
			for range 3000 {
				got := tc.p.Partition("t", tc.key, nil, Partitions{Count: 3})
				seen[got]++
				if aa != nil {
					aa.OnAppend(Append{Topic: "t", Partition: got, Keyed: tc.key != nil, Bytes: 10, AllBatchesFull: true})
				}
			}
			assert.Len(t, seen, 3, "no leader anywhere: all partitions, got %v", seen)
		})
	}
}

func TestRoundRobinJava(t *testing.T) {
	rr := RoundRobin()
	var got []int32
	for range 4 {
		got = append(got, rr.Partition("a", nil, nil, Partitions{Count: 3, Available: []int32{0, 1, 2}}))
	}
	// Java keeps counting where it was: toPositive(4) % 2 == 0.
	for range 3 {
		got = append(got, rr.Partition("a", []byte("k"), nil, Partitions{Count: 3, Available: []int32{0, 2}}))
	}
	assert.Equal(t, []int32{0, 1, 2, 0, 0, 2, 0}, got)
	// Counters are per topic.
	assert.Equal(t, int32(0), rr.Partition("b", nil, nil, all(5)))
	// No leader anywhere: the counter indexes all partitions.
	assert.Equal(t, int32(1), rr.Partition("b", nil, nil, all(5)))
}

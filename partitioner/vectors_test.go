package partitioner

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// golden is the table of the shared partitioner vectors, computed with
// sarama v1.61.1 and the Java client.
var golden = []struct {
	key               string
	fnv               uint32
	signed            int32
	hash7, ref7       int32
	hash100, ref100   int32
	crc100, murmur100 int32
	hash256, ref256   int32
}{
	{"", 2166136261, -2128831035, 2, 0, 35, 13, 0, 81, 59, 197},
	{"a", 3826002220, -468965076, 6, 3, 76, 72, 7, 24, 212, 44},
	{"foo", 2851307223, -1443660073, 2, 0, 73, 75, 69, 16, 41, 215},
	{"bar", 1991736602, 1991736602, 2, 2, 2, 2, 78, 45, 26, 26},
	{"baz", 1857515650, 1857515650, 4, 4, 50, 50, 92, 80, 130, 130},
	{"kafka", 221496545, 221496545, 4, 4, 45, 45, 99, 80, 225, 225},
	{"sarama", 2113868466, 2113868466, 3, 3, 66, 66, 21, 11, 178, 178},
	{"user-42", 39875499, 39875499, 6, 6, 99, 99, 35, 60, 171, 171},
	{"order:12345", 3603419606, -691547690, 1, 1, 90, 58, 64, 16, 42, 214},
	{"1468509572224", 2147483648, -2147483648, 2, 0, 48, 0, 25, 25, 0, 0},
	{"SheetJS", 217643823, 217643823, 5, 5, 23, 23, 26, 27, 47, 47},
	{"abc123def456", 2265698947, -2029268349, 3, 6, 49, 99, 57, 90, 125, 131},
	{"hello world", 3582672807, -712294489, 4, 5, 89, 59, 57, 59, 89, 167},
	{"\x00\xff\x10", 42949136, 42949136, 6, 6, 36, 36, 84, 75, 16, 16},
}

func all(n int32) Partitions { return Partitions{Count: n} }

func TestGoldenVectors(t *testing.T) {
	hash, ref, crc, mm := SaramaHash(), SaramaReferenceHash(), CRC32(), Murmur2()
	def, err := Default(16384)
	require.NoError(t, err)
	for _, g := range golden {
		t.Run(fmt.Sprintf("%q", g.key), func(t *testing.T) {
			key := []byte(g.key)
			assert.Equal(t, g.fnv, fnv1a32(key), "fnv1a32")
			assert.Equal(t, g.signed, int32(fnv1a32(key)), "fnv1a32 as int32")
			for _, c := range []struct {
				name string
				p    Partitioner
				n    int32
				want int32
			}{
				{"Hash n=7", hash, 7, g.hash7},
				{"Ref n=7", ref, 7, g.ref7},
				{"Hash n=100", hash, 100, g.hash100},
				{"Ref n=100", ref, 100, g.ref100},
				{"CRC n=100", crc, 100, g.crc100},
				{"CRC32Random n=100", CRC32Random(), 100, g.crc100},
				{"murmur2 n=100", mm, 100, g.murmur100},
				{"Default n=100", def, 100, g.murmur100},
				{"Hash n=256", hash, 256, g.hash256},
				{"Ref n=256", ref, 256, g.ref256},
			} {
				if c.name == "CRC32Random n=100" && len(key) == 0 {
					continue // empty keys are random there
				}
				assert.Equal(t, c.want, c.p.Partition("t", key, nil, all(c.n)), c.name)
			}
		})
	}
}

func TestMurmur2Vectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, Murmur2Hash([]byte(tc.in)))
		})
	}
}

// TestSaramaByteEncoderNilIsHashed: a sarama ByteEncoder(nil) key is a key
// (hashed as empty input), which samsa expresses as a non-nil empty key.
func TestSaramaByteEncoderNilIsHashed(t *testing.T) {
	assert.Equal(t, int32(35), SaramaHash().Partition("t", []byte{}, nil, all(100)))
}

func TestSaramaRoundRobinSequence(t *testing.T) {
	rr := SaramaRoundRobin()
	var got []int32
	for range 4 {
		got = append(got, rr.Partition("t", nil, nil, Partitions{Count: 3, Available: []int32{0, 1, 2}}))
	}
	for range 3 {
		got = append(got, rr.Partition("t", nil, nil, Partitions{Count: 2, Available: []int32{0, 1}}))
	}
	assert.Equal(t, []int32{0, 1, 2, 0, 1, 0, 1}, got)
}

func TestManualThroughResolve(t *testing.T) {
	_, err := Resolve(Manual(), "t", 5, nil, nil, all(3))
	require.ErrorIs(t, err, ErrInvalidPartition)
	var pe *PartitionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, int32(5), pe.Partition)
	assert.Equal(t, int32(3), pe.Count)

	got, err := Resolve(Manual(), "t", 2, nil, nil, all(3))
	require.NoError(t, err)
	assert.Equal(t, int32(2), got)

	_, err = Resolve(Manual(), "t", NoPartition, []byte("k"), nil, all(3))
	require.ErrorIs(t, err, ErrInvalidPartition)
	assert.Contains(t, err.Error(), "Manual")
}

// TestAgainstSarama compares every hash built-in with sarama's own
// partitioners on random keys and partition counts.
func TestAgainstSarama(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		ours Partitioner
		ctor sarama.PartitionerConstructor
	}{
		{"hash", SaramaHash(), sarama.NewHashPartitioner},
		{"reference", SaramaReferenceHash(), sarama.NewReferenceHashPartitioner},
		{"crc", CRC32(), sarama.NewConsistentCRCHashPartitioner},
		{"murmur2", Murmur2(), sarama.NewMurmur2Partitioner},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp := c.ctor("t")
			for i := range 5000 {
				key := make([]byte, rng.IntN(40))
				for j := range key {
					key[j] = byte(rng.Uint32())
				}
				n := int32(1 + rng.IntN(300))
				want, err := sp.Partition(&sarama.ProducerMessage{Topic: "t", Key: sarama.ByteEncoder(key)}, n)
				require.NoError(t, err)
				require.Equal(t, want, c.ours.Partition("t", key, nil, all(n)), "key %x n=%d (case %d)", key, n, i)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	p := Murmur2()
	for _, tc := range []struct {
		name     string
		part     Partitioner
		explicit int32
		count    int32
		want     int32
		wantErr  bool
	}{
		{"explicit wins", p, 4, 10, 4, false},
		{"explicit zero", p, 0, 10, 0, false},
		{"explicit too big", p, 10, 10, 0, true},
		{"explicit negative", p, -2, 10, 0, true},
		{"partitioner", p, NoPartition, 100, 16, false},
		{"no partitions", p, NoPartition, 0, 0, true},
		{"nil partitioner", nil, NoPartition, 10, 0, true},
		{"nil partitioner explicit", nil, 3, 10, 3, false},
		{"partitioner out of range", fixed(12), NoPartition, 10, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.part, "t", tc.explicit, []byte("foo"), nil, all(tc.count))
			if tc.wantErr {
				require.ErrorIs(t, err, ErrInvalidPartition)
				assert.Equal(t, NoPartition, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

type fixed int32

func (f fixed) Partition(string, []byte, []byte, Partitions) int32 { return int32(f) }

func TestConsistencyAware(t *testing.T) {
	def, err := Default(100)
	require.NoError(t, err)
	ign, err := Default(100, WithIgnoreKeys(true))
	require.NoError(t, err)
	us, err := UniformSticky(100)
	require.NoError(t, err)
	key := []byte("k")
	for _, tc := range []struct {
		name          string
		p             Partitioner
		keyed, nilKey bool
		empty         bool
	}{
		{"Murmur2", Murmur2(), true, false, true},
		{"Default", def, true, false, true},
		{"Default ignore keys", ign, false, false, false},
		{"UniformSticky", us, false, false, false},
		{"RoundRobin", RoundRobin(), false, false, false},
		{"Manual", Manual(), true, true, true},
		{"SaramaHash", SaramaHash(), true, false, true},
		{"SaramaReferenceHash", SaramaReferenceHash(), true, false, true},
		{"SaramaRandom", SaramaRandom(), false, false, false},
		{"SaramaRoundRobin", SaramaRoundRobin(), false, false, false},
		{"CRC32", CRC32(), true, true, true},
		{"CRC32Random", CRC32Random(), true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, ok := tc.p.(ConsistencyAware)
			require.True(t, ok)
			assert.Equal(t, tc.keyed, ca.RequiresConsistency(key), "keyed")
			assert.Equal(t, tc.nilKey, ca.RequiresConsistency(nil), "nil key")
			assert.Equal(t, tc.empty, ca.RequiresConsistency([]byte{}), "empty key")
		})
	}
}

func TestCRC32NilKeyIsPartitionZero(t *testing.T) {
	for _, n := range []int32{1, 7, 100} {
		assert.Equal(t, int32(0), CRC32().Partition("t", nil, nil, all(n)))
	}
}

func TestZeroCountNeverPanics(t *testing.T) {
	def, err := Default(10)
	require.NoError(t, err)
	us, err := UniformSticky(10)
	require.NoError(t, err)
	for _, p := range []Partitioner{Murmur2(), def, us, RoundRobin(), Manual(), SaramaHash(),
		SaramaReferenceHash(), SaramaRandom(), SaramaRoundRobin(), CRC32(), CRC32Random()} {
		for _, key := range [][]byte{nil, {}, []byte("k")} {
			for _, c := range []int32{0, -1} {
				assert.Equal(t, NoPartition, p.Partition("t", key, nil, Partitions{Count: c, Available: []int32{0}}))
			}
		}
	}
}

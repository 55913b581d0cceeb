package partitioner

import (
	"testing"
)

var benchKey = []byte("user-4242-order-1234567")

func benchParts() Partitions {
	avail := make([]int32, 64)
	for i := range avail {
		avail[i] = int32(i)
	}
	return Partitions{Count: 64, Available: avail}
}

func BenchmarkPartition(b *testing.B) {
	def, err := Default(16384)
	if err != nil {
		b.Fatal(err)
	}
	us, err := UniformSticky(16384)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		p    Partitioner
		key  []byte
	}{
		{"Murmur2", Murmur2(), benchKey},
		{"Default/keyed", def, benchKey},
		{"Default/unkeyed", def, nil},
		{"UniformSticky", us, nil},
		{"RoundRobin", RoundRobin(), nil},
		{"Manual", Manual(), nil},
		{"SaramaHash", SaramaHash(), benchKey},
		{"SaramaReferenceHash", SaramaReferenceHash(), benchKey},
		{"SaramaRandom", SaramaRandom(), nil},
		{"SaramaRoundRobin", SaramaRoundRobin(), nil},
		{"CRC32", CRC32(), benchKey},
		{"CRC32Random/unkeyed", CRC32Random(), nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			parts := benchParts()
			aa, _ := bc.p.(AppendAware)
			b.ReportAllocs()
			for b.Loop() {
				part := bc.p.Partition("orders", bc.key, nil, parts)
				if aa != nil {
					aa.OnAppend(Append{Topic: "orders", Partition: part, Keyed: bc.key != nil, Bytes: 100, AllBatchesFull: true})
				}
			}
		})
	}
}

// BenchmarkStickyParallel measures the sticky hot path (choose + report the
// append) from all CPUs at once, the contention a busy producer sees.
func BenchmarkStickyParallel(b *testing.B) {
	for _, bc := range []struct {
		name    string
		batch   int
		updates bool
	}{
		{"batch16KiB", 16384, false},
		{"batch16KiB+load", 16384, true},
		{"batch0", 0, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := Default(bc.batch)
			if err != nil {
				b.Fatal(err)
			}
			aa, la := p.(AppendAware), p.(LoadAware)
			parts := benchParts()
			load := make([]PartitionLoad, 64)
			for i := range load {
				load[i] = PartitionLoad{Partition: int32(i), QueuedBatches: i % 5}
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					part := p.Partition("orders", nil, nil, parts)
					aa.OnAppend(Append{Topic: "orders", Partition: part, Bytes: 100, AllBatchesFull: true})
					i++
					if bc.updates && i%1000 == 0 {
						la.UpdateLoad("orders", load)
					}
				}
			})
		})
	}
}

func BenchmarkParallelRoundRobin(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    Partitioner
	}{
		{"RoundRobin", RoundRobin()},
		{"SaramaRoundRobin", SaramaRoundRobin()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			parts := benchParts()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.p.Partition("orders", nil, nil, parts)
				}
			})
		})
	}
}

package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// bigMetadata builds a Metadata response with topics x partitions over 3
// brokers.
func bigMetadata(topics, partitions int, epoch int32) *kmsg.MetadataResponse {
	resp := kmsg.NewPtrMetadataResponse()
	resp.SetVersion(12)
	for i := range 3 {
		b := kmsg.NewMetadataResponseBroker()
		b.NodeID, b.Host, b.Port = int32(i), fmt.Sprintf("broker-%d.example", i), 9092
		resp.Brokers = append(resp.Brokers, b)
	}
	for ti := range topics {
		t := kmsg.NewMetadataResponseTopic()
		t.Topic = kmsg.StringPtr(fmt.Sprintf("topic-%03d", ti))
		t.TopicID = [16]byte{byte(ti), 1}
		for p := range partitions {
			mp := kmsg.NewMetadataResponseTopicPartition()
			mp.Partition, mp.Leader, mp.LeaderEpoch = int32(p), int32(p%3), epoch
			mp.Replicas, mp.ISR = []int32{0, 1, 2}, []int32{0, 1, 2}
			t.Partitions = append(t.Partitions, mp)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp
}

// BenchmarkSnapshotLeader is the producer's per-batch lookup: load the
// snapshot, find the partition's leader.
func BenchmarkSnapshotLeader(b *testing.B) {
	c := &Cluster{}
	c.snap.Store(buildSnapshot(bigMetadata(100, 32, 1), nil, time.Now()))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, ok := c.Snapshot().Leader("topic-042", int32(i%32)); !ok {
			b.Fatal("no leader")
		}
	}
}

// BenchmarkBuildSnapshot turns a 100-topic x 32-partition response into a
// snapshot, merging epochs with the previous one, as every refresh does.
func BenchmarkBuildSnapshot(b *testing.B) {
	prev := buildSnapshot(bigMetadata(100, 32, 1), nil, time.Now())
	resp := bigMetadata(100, 32, 2)
	b.ReportAllocs()
	for b.Loop() {
		buildSnapshot(resp, prev, time.Now())
	}
}

// BenchmarkConnFor is the fast path of ConnFor: a live pooled
// connection, as every produce and fetch request takes it.
func BenchmarkConnFor(b *testing.B) {
	f := newFake(b, 2, nil)
	c := newCluster(b, []string{f.seed(0)}, Options{})
	ctx := context.Background()
	if _, err := c.ConnFor(ctx, 1, PurposeProduce); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.ConnFor(ctx, 1, PurposeProduce); err != nil {
			b.Fatal(err)
		}
	}
}

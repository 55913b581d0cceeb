package accumulator_test

import (
	"context"
	"fmt"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/accumulator"
)

// printResult is a Completion that prints each record's outcome. A real
// producer passes a pooled object carrying the user's callback.
type printResult struct{ name string }

func (p printResult) OnComplete(r accumulator.RecordResult) {
	fmt.Printf("%s: %s offset %d err=%v\n", p.name, r.Partition, r.Offset, r.Err)
}

// Example shows the producer's side (Append) and the sender's side (Ready,
// Drain, Complete) of the accumulator.
func Example() {
	acc, err := accumulator.New(accumulator.WithLinger(0))
	if err != nil {
		panic(err)
	}
	defer acc.Close()
	tp := samsa.TopicPartition{Topic: "events", Partition: 0}
	for i := range 3 {
		name := fmt.Sprintf("event-%d", i)
		res, err := acc.Append(context.Background(), tp, 1700000000000, nil, []byte(name), nil, printResult{name})
		if err != nil {
			panic(err)
		}
		fmt.Printf("appended %s, new batch %v\n", name, res.NewBatchCreated)
	}

	// The sender: every partition is led by broker 1.
	leaderOf := func(samsa.TopicPartition) (int32, int32, bool) { return 1, 0, true }
	now := time.Now()
	ready, _, _ := acc.Ready(now, leaderOf)
	for _, node := range ready {
		for _, b := range acc.Drain(now, node, []samsa.TopicPartition{tp}, 1<<20) {
			fmt.Printf("broker %d gets %d records for %s in %d bytes\n", node, b.NumRecords(), b.TopicPartition(), len(b.Records()))
			// b.Records() goes into a ProduceRequest; the broker answers
			// with base offset 42.
			b.Complete(42, -1, nil)
		}
	}
	// Output:
	// appended event-0, new batch true
	// appended event-1, new batch false
	// appended event-2, new batch false
	// broker 1 gets 3 records for events-0 in 103 bytes
	// event-0: events-0 offset 42 err=<nil>
	// event-1: events-0 offset 43 err=<nil>
	// event-2: events-0 offset 44 err=<nil>
}

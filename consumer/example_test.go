package consumer_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// Example reads the records of one partition from the beginning, without a
// group, against an embedded mock cluster.
func Example() {
	mb, err := mockbroker.New(mockbroker.WithTopic("greetings", 1))
	if err != nil {
		log.Fatal(err)
	}
	defer mb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(mb.Addrs()...))
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range []string{"hello", "hallo", "bonjour"} {
		if _, err := p.SendSync(ctx, &producer.Record[string, string]{Topic: "greetings", Key: "k", Value: v}); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}

	c, err := consumer.New(serde.String(), serde.String(),
		consumer.WithBrokers(mb.Addrs()...),
		consumer.WithAutoOffsetReset(consumer.ResetEarliest))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.Assign(samsa.TopicPartition{Topic: "greetings", Partition: 0}); err != nil {
		log.Fatal(err)
	}
	for seen := 0; seen < 3; {
		recs, err := c.Poll(ctx)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range recs {
			if r.Err != nil {
				log.Printf("skipping %s@%d: %v", r.TopicPartition(), r.Offset, r.Err)
				continue
			}
			fmt.Printf("%s@%d %s=%s\n", r.TopicPartition(), r.Offset, r.Key, r.Value)
			seen++
		}
	}
	// Output:
	// greetings-0@0 k=hello
	// greetings-0@1 k=hallo
	// greetings-0@2 k=bonjour
}

// Example_group consumes as a member of a consumer group, committing after
// processing, with a listener that reports rebalances.
func Example_group() {
	mb, err := mockbroker.New(mockbroker.WithTopic("orders", 2))
	if err != nil {
		log.Fatal(err)
	}
	defer mb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(mb.Addrs()...))
	if err != nil {
		log.Fatal(err)
	}
	for i := range 4 {
		rec := &producer.Record[string, string]{Topic: "orders", Value: fmt.Sprintf("order-%d", i),
			Partition: producer.ToPartition(int32(i % 2))}
		if _, err := p.SendSync(ctx, rec); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		log.Fatal(err)
	}

	c, err := consumer.New(serde.String(), serde.String(),
		consumer.WithBrokers(mb.Addrs()...),
		consumer.WithGroupID("billing"),
		consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithAutoCommit(false),
		consumer.WithRebalanceListener(consumer.ListenerFuncs{
			Assigned: func(_ context.Context, tps []samsa.TopicPartition) error {
				fmt.Println("assigned", tps)
				return nil
			},
		}))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.Subscribe("orders"); err != nil {
		log.Fatal(err)
	}
	for seen := 0; seen < 4; {
		recs, err := c.Poll(ctx)
		if err != nil {
			log.Fatal(err)
		}
		seen += len(recs)
		// Process the records, then commit past them.
		if err := c.CommitSync(ctx, nil); err != nil {
			log.Fatal(err)
		}
	}
	committed, err := c.Committed(ctx, samsa.TopicPartition{Topic: "orders", Partition: 0}, samsa.TopicPartition{Topic: "orders", Partition: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed", committed[samsa.TopicPartition{Topic: "orders", Partition: 0}].Offset, committed[samsa.TopicPartition{Topic: "orders", Partition: 1}].Offset)
	// Output:
	// assigned [orders-0 orders-1]
	// committed 2 2
}

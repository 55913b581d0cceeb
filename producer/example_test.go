package producer_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

// startCluster starts a one-broker mock cluster with a topic "orders" of
// 3 partitions, standing in for a real Kafka cluster.
func startCluster() *mockbroker.Cluster {
	cl, err := mockbroker.New(mockbroker.WithTopic("orders", 3))
	if err != nil {
		log.Fatal(err)
	}
	return cl
}

func ExampleNew() {
	cl := startCluster()
	defer cl.Close()

	p, err := producer.New(serde.String(), serde.JSON[map[string]int](),
		producer.WithBrokers(cl.Addrs()...),
		producer.WithCompression(producer.CompressionZstd, 0),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(context.Background())

	md, err := p.SendSync(context.Background(), &producer.Record[string, map[string]int]{
		Topic: "orders", Key: "customer-7", Value: map[string]int{"apples": 3},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("written to %s partition %d at offset %d\n", md.Topic, md.Partition, md.Offset)
	// Output: written to orders partition 1 at offset 0
}

func ExampleProducer_Send() {
	cl := startCluster()
	defer cl.Close()
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(cl.Addrs()...))
	if err != nil {
		log.Fatal(err)
	}

	// Callbacks run on the producer's sender goroutine: keep them short
	// and guard what they share with the rest of the program.
	var mu sync.Mutex
	perPartition := map[int32]int{}
	for i := range 100 {
		rec := &producer.Record[string, string]{Topic: "orders", Key: fmt.Sprint("customer-", i%10), Value: "order"}
		err := p.Send(context.Background(), rec, func(md producer.RecordMetadata, err error) {
			if err != nil {
				log.Printf("record failed: %v", err)
				return
			}
			mu.Lock()
			perPartition[md.Partition]++
			mu.Unlock()
		})
		if err != nil {
			log.Fatal(err) // not accepted; its callback will not run
		}
	}
	// Close delivers everything sent, then stops the producer.
	if err := p.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Println("partition 0:", perPartition[0])
	fmt.Println("partition 1:", perPartition[1])
	fmt.Println("partition 2:", perPartition[2])
	// Output:
	// partition 0: 20
	// partition 1: 50
	// partition 2: 30
}

func ExampleToPartition() {
	cl := startCluster()
	defer cl.Close()
	p, err := producer.New(serde.Bytes(), serde.String(), producer.WithBrokers(cl.Addrs()...))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(context.Background())

	// The zero Partition lets the partitioner choose; ToPartition pins one.
	md, err := p.SendSync(context.Background(), &producer.Record[[]byte, string]{
		Topic: "orders", Value: "audit", Partition: producer.ToPartition(2),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("partition", md.Partition)

	_, err = p.SendSync(context.Background(), &producer.Record[[]byte, string]{Topic: "no such topic!", Value: "x"})
	fmt.Println(errors.Is(err, samsa.ErrInvalidTopic))
	// Output:
	// partition 2
	// true
}

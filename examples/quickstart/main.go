// Command quickstart is the shortest complete samsa producer: it sends
// 10,000 keyed records asynchronously, waits for every acknowledgement,
// and prints how many records each partition got and how fast it went.
//
// It starts an embedded mock cluster of three brokers unless SAMSA_BROKERS
// names a cluster ("host:port,host:port"); against a real cluster the topic
// samsa-quickstart is created by the producer's metadata request if the
// cluster allows automatic topic creation.
//
//	go run ./examples/quickstart
//	SAMSA_BROKERS=localhost:9092 go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

const (
	topic   = "samsa-quickstart"
	records = 10000
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	brokers, closeCluster, err := brokersOrMock()
	if err != nil {
		return err
	}
	defer closeCluster()

	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(brokers...))
	if err != nil {
		return err
	}

	// Callbacks run on the producer's sender goroutine, one at a time; the
	// mutex guards the counts against the main goroutine reading them.
	var mu sync.Mutex
	perPartition := map[int32]int{}
	var firstErr error
	callback := func(md producer.RecordMetadata, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		perPartition[md.Partition]++
	}

	start := time.Now()
	for i := range records {
		rec := &producer.Record[string, string]{
			Topic: topic,
			Key:   fmt.Sprintf("user-%d", i%100), // one user's records stay in order on one partition
			Value: fmt.Sprintf(`{"user":%d,"event":%d}`, i%100, i),
		}
		if err := p.Send(ctx, rec, callback); err != nil {
			return fmt.Errorf("record %d not accepted: %w", i, err)
		}
	}
	// Close delivers every record sent, waits for their callbacks, and
	// stops the producer.
	if err := p.Close(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)

	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return fmt.Errorf("a record failed: %w", firstErr)
	}
	parts := make([]int32, 0, len(perPartition))
	total := 0
	for part, n := range perPartition {
		parts = append(parts, part)
		total += n
	}
	slices.Sort(parts)
	for _, part := range parts {
		fmt.Printf("partition %d: %d records\n", part, perPartition[part])
	}
	fmt.Printf("%d records acknowledged in %v (%.0f records/s)\n", total, elapsed.Round(time.Millisecond),
		float64(total)/elapsed.Seconds())
	return nil
}

// brokersOrMock returns SAMSA_BROKERS, or the addresses of an embedded mock
// cluster of three brokers with the topic in six partitions.
func brokersOrMock() ([]string, func(), error) {
	if env := os.Getenv("SAMSA_BROKERS"); env != "" {
		return strings.Split(env, ","), func() {}, nil
	}
	mb, err := mockbroker.New(mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, 6))
	if err != nil {
		return nil, nil, err
	}
	fmt.Printf("embedded mock cluster at %s\n", strings.Join(mb.Addrs(), ","))
	return mb.Addrs(), func() { mb.Close() }, nil
}

// Command consumer-group produces keyed records to a topic and consumes them
// with two members of one consumer group in this process, each on its own
// goroutine, printing every rebalance a member sees and how many records
// each member read.
//
// It starts an embedded mock cluster of three brokers unless SAMSA_BROKERS
// names a cluster ("host:port,host:port"); against a real cluster the topic
// samsa-example-orders is created by the producer's metadata request if the
// cluster allows it, and a fresh group id is used on every run.
//
//	go run ./examples/consumer-group
//	SAMSA_BROKERS=localhost:9092 go run ./examples/consumer-group
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

const (
	topic      = "samsa-example-orders"
	partitions = 6
	records    = 10000
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	var brokers []string
	if env := os.Getenv("SAMSA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	} else {
		// Like Kafka's group.initial.rebalance.delay.ms, the delay lets
		// both members join the group's first generation.
		mb, err := mockbroker.New(mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions),
			mockbroker.WithGroupInitialRebalanceDelay(500*time.Millisecond))
		if err != nil {
			return err
		}
		defer mb.Close()
		brokers = mb.Addrs()
		fmt.Printf("embedded mock cluster at %s\n", strings.Join(brokers, ","))
	}
	runID := fmt.Sprintf("run-%d", time.Now().UnixNano())

	if err := produce(ctx, brokers, runID); err != nil {
		return err
	}
	fmt.Printf("produced %d records to %s\n", records, topic)

	// Two members of one group share the partitions. Each stops once the
	// group as a whole has seen every record of this run.
	group := "samsa-example-" + runID
	var seen atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	counts := make([]int64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts[i], errs[i] = member(ctx, brokers, group, fmt.Sprintf("member-%d", i), runID, &seen, done, &once)
		}()
	}
	wg.Wait()
	for i := range 2 {
		fmt.Printf("member-%d read %d records\n", i, counts[i])
	}
	fmt.Printf("the group read %d of %d records\n", seen.Load(), records)
	return errors.Join(errs...)
}

// produce sends the run's records, keyed so that each key stays on one
// partition, and waits for every acknowledgement.
func produce(ctx context.Context, brokers []string, runID string) error {
	p, err := producer.New(serde.String(), serde.String(), producer.WithBrokers(brokers...))
	if err != nil {
		return err
	}
	var failed atomic.Pointer[error]
	for i := range records {
		rec := &producer.Record[string, string]{
			Topic: topic,
			Key:   fmt.Sprintf("customer-%d", i%100),
			Value: fmt.Sprintf("%s order %d", runID, i),
		}
		err := p.Send(ctx, rec, func(_ producer.RecordMetadata, err error) {
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		})
		if err != nil {
			_ = p.Close(ctx)
			return err
		}
	}
	if err := p.Close(ctx); err != nil {
		return err
	}
	if e := failed.Load(); e != nil {
		return *e
	}
	return nil
}

// member runs one group member until the group has seen every record of
// the run, committing after each poll, and returns how many it read.
func member(ctx context.Context, brokers []string, group, name, runID string, seen *atomic.Int64, done chan struct{}, once *sync.Once) (int64, error) {
	listener := consumer.ListenerFuncs{
		Assigned: func(_ context.Context, tps []samsa.TopicPartition) error {
			fmt.Printf("%s: assigned %v\n", name, tps)
			return nil
		},
		Revoked: func(_ context.Context, tps []samsa.TopicPartition) error {
			fmt.Printf("%s: revoked %v\n", name, tps)
			return nil
		},
	}
	c, err := consumer.New(serde.String(), serde.String(),
		consumer.WithBrokers(brokers...),
		consumer.WithClientID(name),
		consumer.WithGroupID(group),
		consumer.WithAutoOffsetReset(consumer.ResetEarliest),
		consumer.WithAutoCommit(false),
		consumer.WithRebalanceListener(listener),
	)
	if err != nil {
		return 0, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(cctx); err != nil {
			fmt.Printf("%s: close: %v\n", name, err)
		}
	}()
	if err := c.Subscribe(topic); err != nil {
		return 0, err
	}
	// Poll returns when records arrive, when the run is done, or when the
	// run's context ends.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-pctx.Done():
		}
	}()
	var mine int64
	for {
		recs, err := c.Poll(pctx)
		if err != nil {
			select {
			case <-done:
				fmt.Printf("%s: holds %v at the end\n", name, c.Assignment())
				return mine, nil
			default:
			}
			return mine, fmt.Errorf("%s: %w", name, err)
		}
		for _, r := range recs {
			if r.Err != nil {
				fmt.Printf("%s: skipping %s@%d: %v\n", name, r.TopicPartition(), r.Offset, r.Err)
				continue
			}
			if strings.HasPrefix(r.Value, runID) {
				mine++
				if seen.Add(1) == records {
					once.Do(func() { close(done) })
				}
			}
		}
		// Commit what was processed; the next owner of a partition resumes
		// after it.
		if err := c.CommitSync(ctx, nil); err != nil && !errors.Is(err, consumer.ErrRebalanceInProgress) {
			fmt.Printf("%s: commit: %v\n", name, err)
		}
	}
}

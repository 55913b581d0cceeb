// Command sarama-migration is a sarama program moved to samsa: the code is
// what a service written against IBM/sarama contains — a SyncProducer, a
// Consumer reading every partition from the oldest offset, and a
// ConsumerGroup with a ConsumerGroupHandler — and only the constructor
// calls changed, from sarama.NewX to saramacompat.NewX. The *sarama.Config,
// the messages, the channels and the error checks are sarama's own.
//
// It starts an embedded mock cluster unless SAMSA_BROKERS names a cluster
// ("host:port,host:port").
//
//	go run ./examples/sarama-migration
//	SAMSA_BROKERS=localhost:9092 go run ./examples/sarama-migration
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"

	saramacompat "github.com/samsa-go/samsa/compat/sarama"
	"github.com/samsa-go/samsa/mockbroker"
)

const (
	topic    = "samsa-example-orders"
	messages = 12
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	var brokers []string
	if env := os.Getenv("SAMSA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
	} else {
		mb, err := mockbroker.New(mockbroker.WithTopic(topic, 3))
		if err != nil {
			return err
		}
		defer mb.Close()
		brokers = mb.Addrs()
		fmt.Printf("embedded mock cluster at %s\n", strings.Join(brokers, ","))
	}

	config := sarama.NewConfig()
	config.ClientID = "sarama-migration"
	config.Producer.RequiredAcks = sarama.WaitForAll
	config.Producer.Return.Successes = true
	config.Consumer.Return.Errors = true
	config.Consumer.Offsets.Initial = sarama.OffsetOldest

	if err := produce(brokers, config); err != nil {
		return err
	}
	if err := consumePartitions(brokers, config); err != nil {
		return err
	}
	return consumeGroup(brokers, config)
}

// produce sends keyed messages; sarama's hash partitioner places them.
func produce(brokers []string, config *sarama.Config) error {
	producer, err := saramacompat.NewSyncProducer(brokers, config) // was: sarama.NewSyncProducer
	if err != nil {
		return err
	}
	defer producer.Close()
	for i := range messages {
		msg := &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(fmt.Sprintf("customer-%d", i%4)),
			Value: sarama.StringEncoder(fmt.Sprintf("order %d", i)),
		}
		partition, offset, err := producer.SendMessage(msg)
		if err != nil {
			return err
		}
		fmt.Printf("sent %q (key %s) to partition %d at offset %d\n", msg.Value, msg.Key, partition, offset)
	}
	// sarama's errors come back as sarama's values.
	_, _, err = producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(make([]byte, 2<<20))})
	var ce sarama.ConfigurationError
	fmt.Printf("an oversized message is refused as by sarama: %v\n", errors.As(err, &ce))
	return nil
}

// consumePartitions reads every partition from the oldest offset up to its
// high watermark.
func consumePartitions(brokers []string, config *sarama.Config) error {
	consumer, err := saramacompat.NewConsumer(brokers, config) // was: sarama.NewConsumer
	if err != nil {
		return err
	}
	defer consumer.Close()
	partitions, err := consumer.Partitions(topic)
	if err != nil {
		return err
	}
	for _, p := range partitions {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			return err
		}
		for read := int64(0); read < pc.HighWaterMarkOffset(); read++ {
			select {
			case m := <-pc.Messages():
				fmt.Printf("partition %d offset %d: %s\n", m.Partition, m.Offset, m.Value)
			case err := <-pc.Errors():
				return err
			case <-time.After(10 * time.Second):
				return fmt.Errorf("partition %d: no message within 10s", p)
			}
		}
		if err := pc.Close(); err != nil {
			return err
		}
	}
	return nil
}

// handler counts and marks each message, as sarama's examples do.
type handler struct {
	mu   sync.Mutex
	seen int
	done chan struct{}
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	fmt.Printf("group session: generation %d, claims %v\n", s.GenerationID(), s.Claims())
	return nil
}

func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-c.Messages():
			if !ok {
				return nil
			}
			s.MarkMessage(m, "")
			h.mu.Lock()
			h.seen++
			if h.seen == messages {
				close(h.done)
			}
			h.mu.Unlock()
		case <-s.Context().Done():
			return nil
		}
	}
}

// consumeGroup consumes the topic as a consumer group member until every
// message was seen, then closes the group.
func consumeGroup(brokers []string, config *sarama.Config) error {
	group, err := saramacompat.NewConsumerGroup(brokers, "sarama-migration", config) // was: sarama.NewConsumerGroup
	if err != nil {
		return err
	}
	h := &handler{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var consumeErr error
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := group.Consume(ctx, []string{topic}, h); err != nil {
				consumeErr = err
				return
			}
		}
	})
	select {
	case <-h.done:
		fmt.Printf("the group consumed all %d messages\n", messages)
	case <-time.After(30 * time.Second):
		consumeErr = errors.New("the group did not consume every message within 30s")
	}
	cancel()
	wg.Wait()
	if err := group.Close(); err != nil {
		return err
	}
	return consumeErr
}

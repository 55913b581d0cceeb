// Command producer-sync sends records one at a time with SendSync, waiting
// for each acknowledgement before the next, and prints where each record
// was written. It also shows the errors Send reports for records it
// refuses, without ever calling a callback for them.
//
// It starts an embedded mock cluster unless SAMSA_BROKERS names a cluster
// ("host:port,host:port").
//
//	go run ./examples/producer-sync
//	SAMSA_BROKERS=localhost:9092 go run ./examples/producer-sync
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
	"github.com/samsa-go/samsa/serde"
)

const topic = "samsa-example-payments"

// Payment is the record value, encoded as JSON.
type Payment struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount_cents"`
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

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

	p, err := producer.New(serde.String(), serde.JSON[Payment](),
		producer.WithBrokers(brokers...),
		producer.WithLinger(0), // one record at a time: nothing to wait for
		producer.WithMaxRequestSize(64<<10),
	)
	if err != nil {
		return err
	}
	defer p.Close(context.Background())

	for i := range 5 {
		pay := Payment{ID: fmt.Sprintf("pay-%03d", i), Amount: int64(100 * (i + 1))}
		md, err := p.SendSync(ctx, &producer.Record[string, Payment]{
			Topic:   topic,
			Key:     pay.ID,
			Value:   pay,
			Headers: []samsa.Header{{Key: "source", Value: []byte("producer-sync")}},
		})
		if err != nil {
			return err
		}
		fmt.Printf("%s -> partition %d, offset %d, timestamp %s\n", pay.ID, md.Partition, md.Offset,
			md.Timestamp.Format(time.RFC3339))
	}

	// Records the producer refuses fail at once; no callback runs for them.
	_, err = p.SendSync(ctx, &producer.Record[string, Payment]{Topic: "not a valid topic!"})
	fmt.Println("invalid topic:", errors.Is(err, samsa.ErrInvalidTopic))
	_, err = p.SendSync(ctx, &producer.Record[string, Payment]{Topic: topic, Value: Payment{ID: strings.Repeat("x", 100<<10)}})
	fmt.Println("too large:", errors.Is(err, samsa.ErrRecordTooLarge))
	return nil
}

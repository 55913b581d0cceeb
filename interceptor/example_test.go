package interceptor_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/interceptor"
)

// Record stands in for the producer's record type.
type Record struct {
	Topic   string
	Value   string
	Headers []samsa.Header
}

// A tracing interceptor adds a header to every record; a broken one fails,
// and the chain logs it and goes on with the record it was given.
func ExampleProducerChain() {
	tracing := interceptor.ProducerFuncs[*Record]{
		Send: func(r *Record) (*Record, error) {
			r.Headers = append(r.Headers, samsa.Header{Key: "trace-id", Value: []byte("abc123")})
			return r, nil
		},
		Acknowledgement: func(md interceptor.RecordMetadata, err error) {
			fmt.Printf("acked %s-%d@%d err=%v\n", md.Topic, md.Partition, md.Offset, err)
		},
	}
	broken := interceptor.ProducerFuncs[*Record]{
		Send: func(r *Record) (*Record, error) { return nil, errors.New("quota service down") },
	}

	// Log failures as text without timestamps, so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "interceptor" {
				return slog.Attr{}
			}
			return a
		},
	}))
	chain, err := interceptor.NewProducerChain[*Record](logger, tracing, broken)
	if err != nil {
		panic(err)
	}

	rec := chain.OnSend(&Record{Topic: "orders", Value: "v"})
	fmt.Println(rec.Value, rec.Headers[0].Key)
	chain.OnAcknowledgement(interceptor.RecordMetadata{Topic: "orders", Partition: 3, Offset: 42}, nil)
	// Output:
	// level=WARN msg="samsa: interceptor failed; the chain goes on without its result" method=OnSend index=1 error="quota service down"
	// v trace-id
	// acked orders-3@42 err=<nil>
}

// A consumer interceptor may filter the records of a poll.
func ExampleConsumerChain() {
	skipTest := interceptor.ConsumerFuncs[*Record]{
		Consume: func(recs []*Record) ([]*Record, error) {
			out := recs[:0:0]
			for _, r := range recs {
				if r.Value != "test" {
					out = append(out, r)
				}
			}
			return out, nil
		},
		Commit: func(offsets map[samsa.TopicPartition]samsa.Offset, err error) {
			for tp, o := range offsets {
				fmt.Printf("committed %s at %d err=%v\n", tp, o.Offset, err)
			}
		},
	}
	chain, err := interceptor.NewConsumerChain[*Record](nil, skipTest)
	if err != nil {
		panic(err)
	}

	recs := chain.OnConsume([]*Record{{Value: "a"}, {Value: "test"}, {Value: "b"}})
	for _, r := range recs {
		fmt.Println(r.Value)
	}
	chain.OnCommit(map[samsa.TopicPartition]samsa.Offset{{Topic: "orders", Partition: 0}: samsa.NewOffset(3)}, nil)
	// Output:
	// a
	// b
	// committed orders-0 at 3 err=<nil>
}

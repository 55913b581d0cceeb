package interceptor

import (
	"testing"

	"github.com/samsa-go/samsa"
)

// The producer calls OnSend and OnAcknowledgement once per record and the
// consumer calls OnConsume once per poll; a chain must add no allocation of
// its own.

type benchRec struct {
	topic string
	n     int
}

type noopProducer struct{}

func (noopProducer) OnSend(r *benchRec) (*benchRec, error) {
	r.n++
	return r, nil
}
func (noopProducer) OnAcknowledgement(RecordMetadata, error) {}

type noopConsumer struct{}

func (noopConsumer) OnConsume(recs []*benchRec) ([]*benchRec, error)       { return recs, nil }
func (noopConsumer) OnCommit(map[samsa.TopicPartition]samsa.Offset, error) {}

func benchProducer(b *testing.B, n int) {
	ics := make([]ProducerInterceptor[*benchRec], n)
	for i := range ics {
		ics[i] = noopProducer{}
	}
	c, err := NewProducerChain(nil, ics...)
	if err != nil {
		b.Fatal(err)
	}
	r := &benchRec{topic: "orders"}
	md := RecordMetadata{Topic: "orders", Partition: 1}
	b.ReportAllocs()
	for b.Loop() {
		r = c.OnSend(r)
		md.Offset++
		c.OnAcknowledgement(md, nil)
	}
}

func BenchmarkProducerChain0(b *testing.B) { benchProducer(b, 0) }
func BenchmarkProducerChain2(b *testing.B) { benchProducer(b, 2) }

func benchConsumer(b *testing.B, n int) {
	ics := make([]ConsumerInterceptor[*benchRec], n)
	for i := range ics {
		ics[i] = noopConsumer{}
	}
	c, err := NewConsumerChain(nil, ics...)
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]*benchRec, 500)
	for i := range recs {
		recs[i] = &benchRec{topic: "orders", n: i}
	}
	b.ReportAllocs()
	for b.Loop() {
		recs = c.OnConsume(recs)
	}
}

func BenchmarkConsumerChain0(b *testing.B) { benchConsumer(b, 0) }
func BenchmarkConsumerChain2(b *testing.B) { benchConsumer(b, 2) }

// TestChainsDoNotAllocate turns the benchmarks' promise into a test.
func TestChainsDoNotAllocate(t *testing.T) {
	pc, err := NewProducerChain[*benchRec](nil, noopProducer{}, noopProducer{})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := NewConsumerChain[*benchRec](nil, noopConsumer{}, noopConsumer{})
	if err != nil {
		t.Fatal(err)
	}
	r := &benchRec{}
	recs := []*benchRec{r}
	md := RecordMetadata{Topic: "orders"}
	offsets := map[samsa.TopicPartition]samsa.Offset{{Topic: "orders"}: samsa.NewOffset(1)}
	allocs := testing.AllocsPerRun(1000, func() {
		r = pc.OnSend(r)
		pc.OnAcknowledgement(md, nil)
		recs = cc.OnConsume(recs)
		cc.OnCommit(offsets, nil)
	})
	if allocs != 0 {
		t.Fatalf("a chain of two interceptors allocated %v times per record", allocs)
	}
}

package records_test

import (
	"errors"
	"fmt"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// A producer encodes records into a batch; a broker assigns the offset; a
// consumer reads the batches of a fetch response, dropping the truncated
// one at its end.
func Example() {
	var b records.Builder
	b.Reset(make([]byte, 0, 16<<10), 1_700_000_000_000)
	b.Append(1_700_000_000_000, []byte("user-1"), []byte(`{"event":"login"}`), nil)
	b.Append(1_700_000_000_250, nil, []byte(`{"event":"ping"}`), []samsa.Header{{Key: "trace", Value: []byte("abc")}})
	batch, err := b.Finish(records.NewFinishOptions(records.CodecZstd, 0))
	if err != nil {
		panic(err)
	}

	records.SetBaseOffset(batch, 42) // what the broker does on append

	fetched := append(batch, batch[:20]...) // a response cut mid-batch
	var dec records.Decoder
	for rest := fetched; len(rest) > 0; {
		hdr, raw, next, err := records.ReadBatch(rest)
		if errors.Is(err, records.ErrPartial) {
			fmt.Println("partial batch dropped")
			break
		}
		if err != nil {
			panic(err)
		}
		recs, err := dec.Records(hdr, raw, nil)
		if err != nil {
			panic(err)
		}
		for _, r := range recs {
			fmt.Printf("offset %d ts %d key %q value %s headers %d\n", r.Offset, r.Timestamp, r.Key, r.Value, len(r.Headers))
		}
		rest = next
	}
	// Output:
	// offset 42 ts 1700000000000 key "user-1" value {"event":"login"} headers 0
	// offset 43 ts 1700000000250 key "" value {"event":"ping"} headers 1
	// partial batch dropped
}

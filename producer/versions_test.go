package producer_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
)

// TestMaxVersionsCapsRequests checks that WithMaxVersions caps the version
// of every request of a capped API key, and that producing works at the
// capped versions.
func TestMaxVersionsCapsRequests(t *testing.T) {
	cl := mockbroker.NewTest(t, mockbroker.WithTopic("caps", 2))
	var mu sync.Mutex
	seen := map[int16]int16{} // key -> highest version seen
	cl.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		seen[req.Key()] = max(seen[req.Key()], req.GetVersion())
		mu.Unlock()
		return nil, nil, false
	})
	caps := map[int16]int16{0: 3, 3: 4}
	p := newStringProducer(t, cl, producer.WithMaxVersions(caps), producer.WithIdempotence(false))
	for i := range 4 {
		md, err := p.SendSync(testCtx(t), &producer.Record[string, string]{Topic: "caps", Key: string(rune('a' + i)), Value: "v"})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, md.Offset, int64(0))
	}
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, seen, int16(0))
	assert.Equal(t, int16(3), seen[0], "Produce capped at v3")
	assert.Equal(t, int16(4), seen[3], "Metadata capped at v4")
}

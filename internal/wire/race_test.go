package wire

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/wire/wiretest"
)

// TestWriteRacesConnectionDeath writes requests from several goroutines
// while the connection dies under them: a request's call is registered as
// pending before its bytes are written, so the reader may fail and
// recycle it while its writer is still in write. The writer must not touch
// the call after registering it (the race detector checks), and every
// request completes exactly once.
func TestWriteRacesConnectionDeath(t *testing.T) {
	s := wiretest.NewServer(t, nil, func(r *wiretest.Request) wiretest.Reply {
		if r.Key == 3 {
			return wiretest.Reply{NoReply: true}
		}
		return wiretest.Reply{}
	})
	for round := range 50 {
		c := dial(t, s, Options{MaxInFlight: 64, RequestTimeout: 5 * time.Second})
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 16 {
					var once sync.Once
					c.DoAsync(metadataReq(string(rune('a'+g))+string(rune('a'+i))), time.Time{},
						func(kmsg.Response, error) {
							ran := false
							once.Do(func() { ran = true })
							assert.True(t, ran, "completed twice")
						})
				}
			}()
		}
		if round%2 == 0 {
			assert.NoError(t, c.Close())
		} else {
			s.DropConnections()
		}
		wg.Wait()
		assert.NoError(t, c.Close())
	}
}

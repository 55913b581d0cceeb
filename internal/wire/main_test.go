package wire

import (
	"context"
	"testing"
	"time"

	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor is how long tests wait on a condition before failing.
const waitFor = 5 * time.Second

// dial connects to s and closes the connection when the test ends.
func dial(t testing.TB, s *wiretest.Server, o Options) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	c, err := Dial(ctx, s.Addr(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// metadataReq asks for one topic, so a response can be matched to it.
func metadataReq(topic string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	return req
}

// echoMetadata answers a Metadata request with the topics it asked for.
func echoMetadata(r *wiretest.Request) kmsg.Response {
	req := r.Req.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	for _, rt := range req.Topics {
		t := kmsg.NewMetadataResponseTopic()
		t.Topic = rt.Topic
		resp.Topics = append(resp.Topics, t)
	}
	return resp
}

// topicOf returns the first topic of a Metadata response.
func topicOf(t testing.TB, resp kmsg.Response) string {
	t.Helper()
	m, ok := resp.(*kmsg.MetadataResponse)
	require.True(t, ok, "response %T", resp)
	require.NotEmpty(t, m.Topics)
	require.NotNil(t, m.Topics[0].Topic)
	return *m.Topics[0].Topic
}

// blockingHandler answers Metadata by echoing, but only after release
// delivers a token (or the server closes).
func blockingHandler(s **wiretest.Server, release <-chan struct{}) wiretest.Handler {
	return func(r *wiretest.Request) wiretest.Reply {
		if r.Key != 3 {
			return wiretest.Reply{}
		}
		select {
		case <-release:
			return wiretest.Reply{Resp: echoMetadata(r)}
		case <-(*s).Closing():
			return wiretest.Reply{Close: true}
		}
	}
}

// noDeadline is the zero deadline of DoAsync.
var noDeadline time.Time

package mockbroker

import (
	"bytes"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
)

// fuzzSeeds returns a valid request frame of every API the broker serves,
// so the fuzzer starts from inputs that reach the handlers.
func fuzzSeeds(t testing.TB) [][]byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("fuzz"))
	var b records.Builder
	b.Reset(nil, 1)
	b.Append(1, []byte("k"), []byte("v"), nil)
	bat, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	if err != nil {
		t.Fatal(err)
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.SetVersion(3)
	av.ClientSoftwareName, av.ClientSoftwareVersion = "fuzz", "1"
	reqs := []kmsg.Request{
		av,
		metadataReq(12, "t"),
		metadataReq(0),
		produceReq(9, -1, "t", 0, bat),
		produceReq(3, 1, "t", 1, bat),
		fetchReq(12, "t", 0, 0, 0, 0),
		fetchReq(4, "t", 1, 0, 0, 0),
		listOffsetsReq(7, "t", 0, -1),
		createTopicReq(7, "new", 3, 1, map[string]string{"cleanup.policy": "compact"}),
	}
	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.SetVersion(5)
	dt.TopicNames = []string{"t"}
	dr := kmsg.NewPtrDeleteRecordsRequest()
	drt := kmsg.NewDeleteRecordsRequestTopic()
	drt.Topic = "t"
	drt.Partitions = append(drt.Partitions, kmsg.NewDeleteRecordsRequestTopicPartition())
	dr.Topics = append(dr.Topics, drt)
	cp := kmsg.NewPtrCreatePartitionsRequest()
	cpt := kmsg.NewCreatePartitionsRequestTopic()
	cpt.Topic, cpt.Count = "t", 4
	cp.Topics = append(cp.Topics, cpt)
	sess := fetchReq(12, "t", 0, 0, 0, 0)
	sess.SessionEpoch = 0
	reqs = append(reqs, dt, dr, cp, sess)
	var seeds [][]byte
	for i, r := range reqs {
		seeds = append(seeds, f.AppendRequest(nil, r, int32(i)))
	}
	return seeds
}

// FuzzRequestReader feeds arbitrary bytes to the request reader and every
// request that decodes to the dispatcher of a live one-broker cluster: a
// decode error is fine, a panic, a hang or a leak is not.
func FuzzRequestReader(f *testing.F) {
	seeds := fuzzSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add(bytes.Join(seeds, nil)) // a pipelined stream
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0})
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff})

	c, err := New(WithTopic("t", 2))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	b := c.brokers[0]

	f.Fuzz(func(t *testing.T, in []byte) {
		server, client := net.Pipe()
		defer client.Close()
		c.mu.Lock()
		cn := &conn{c: c, b: b, gen: b.gen, nc: server, done: make(chan struct{}), dec: records.Decoder{ReuseBuffers: true}}
		c.mu.Unlock()
		defer cn.shutdown()
		r := bytes.NewReader(in)
		for {
			frame, err := readFrame(r, 1<<20)
			if err != nil {
				break
			}
			rq, err := parseRequest(frame, apiVersionsMax())
			if err != nil {
				break
			}
			if fr, ok := rq.body.(*kmsg.FetchRequest); ok {
				fr.MaxWaitMillis = 0 // a long poll would only make the fuzzer wait
			}
			if resp := c.handle(cn, rq); resp != nil && resp.frame != nil {
				putFrameBuf(resp.frame)
			}
		}
		resetFuzzCluster(t, c)
	})
}

// resetFuzzCluster puts the cluster back to one topic "t" of two
// partitions, so state from one input does not pile up over the next.
func resetFuzzCluster(t *testing.T, c *Cluster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range c.topics {
		c.deleteTopicLocked(tp)
	}
	c.brokers[0].sessions = newFetchSessions()
	c.faults = faults{}
	if _, err := c.createTopicLocked("t", 2, -1, nil, nil); err != nil {
		t.Fatal(err)
	}
}

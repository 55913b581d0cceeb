package producer

import (
	"encoding/binary"
	"errors"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/accumulator"
)

// Produce versions this producer speaks: v3 is the first with record batch
// v2 (magic 2), v9 the first flexible one, v12 the last that names topics
// (v13 addresses them by topic id).
const (
	minProduceVersion     = 3
	maxProduceVersion     = 12
	firstFlexibleProduceV = 9
)

// errEncodeOnly is returned by produceRequest.ReadFrom.
var errEncodeOnly = errors.New("samsa: the producer's ProduceRequest is encode-only; decode with kmsg.ProduceRequest")

// produceRequest is a ProduceRequest (API key 0) that writes the finished
// record batches of the accumulator straight into the connection's write
// buffer: the batches are referenced, never copied into an intermediate
// request structure. It implements kmsg.Request for internal/wire, which
// picks the version and calls AppendTo, and wire.Acker so that acks=0 is
// not waited for. Decoding is kmsg.ProduceRequest's business (the mock
// broker uses it); ReadFrom refuses.
type produceRequest struct {
	version int16
	acks    int16
	timeout int32
	topics  []produceTopic
	batches []*accumulator.Batch // in request order: topic by topic
	size    int                  // bytes the last AppendTo wrote
}

type produceTopic struct {
	name  string
	first int // index of the topic's first batch in batches
	n     int
}

// newProduceRequest groups batches by topic, keeping their order within a
// topic.
func newProduceRequest(acks int16, timeoutMillis int32, batches []*accumulator.Batch) *produceRequest {
	r := &produceRequest{acks: acks, timeout: timeoutMillis, batches: make([]*accumulator.Batch, 0, len(batches))}
	for len(r.batches) < len(batches) {
		var name string
		for _, b := range batches {
			if t := b.TopicPartition().Topic; !r.hasTopic(t) {
				name = t
				break
			}
		}
		t := produceTopic{name: name, first: len(r.batches)}
		for _, b := range batches {
			if b.TopicPartition().Topic == name {
				r.batches = append(r.batches, b)
				t.n++
			}
		}
		r.topics = append(r.topics, t)
	}
	return r
}

func (r *produceRequest) hasTopic(name string) bool {
	for _, t := range r.topics {
		if t.name == name {
			return true
		}
	}
	return false
}

// position returns the topic and partition index of batch i in the
// request, which is where the broker answers for it.
func (r *produceRequest) position(i int) (int, int) {
	for ti, t := range r.topics {
		if i < t.first+t.n {
			return ti, i - t.first
		}
	}
	return len(r.topics), 0
}

// records returns the number of records and the record bytes in the request.
func (r *produceRequest) records() (n, bytes int) {
	for _, b := range r.batches {
		n += b.NumRecords()
		bytes += len(b.Records())
	}
	return n, bytes
}

func (r *produceRequest) Key() int16            { return 0 }
func (r *produceRequest) MaxVersion() int16     { return maxProduceVersion }
func (r *produceRequest) SetVersion(v int16)    { r.version = v }
func (r *produceRequest) GetVersion() int16     { return r.version }
func (r *produceRequest) IsFlexible() bool      { return r.version >= firstFlexibleProduceV }
func (r *produceRequest) RequiredAcks() int16   { return r.acks }
func (r *produceRequest) ReadFrom([]byte) error { return errEncodeOnly }

// ResponseKind returns the kmsg response that answers this request.
func (r *produceRequest) ResponseKind() kmsg.Response {
	return &kmsg.ProduceResponse{Version: r.version}
}

// AppendTo appends the request body at its version to dst. It has no side
// effect on the encoding, so it may be called again for a retry.
func (r *produceRequest) AppendTo(dst []byte) []byte {
	start := len(dst)
	flex := r.IsFlexible()
	if r.version >= 3 { // transactional id: null
		if flex {
			dst = append(dst, 0) // compact nullable string: length+1 = 0
		} else {
			dst = binary.BigEndian.AppendUint16(dst, 0xffff)
		}
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.acks))
	dst = binary.BigEndian.AppendUint32(dst, uint32(r.timeout))
	dst = appendArrayLen(dst, len(r.topics), flex)
	for _, t := range r.topics {
		if flex {
			dst = binary.AppendUvarint(dst, uint64(len(t.name))+1)
		} else {
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.name)))
		}
		dst = append(dst, t.name...)
		dst = appendArrayLen(dst, t.n, flex)
		for _, b := range r.batches[t.first : t.first+t.n] {
			dst = binary.BigEndian.AppendUint32(dst, uint32(b.TopicPartition().Partition))
			recs := b.Records()
			if flex {
				dst = binary.AppendUvarint(dst, uint64(len(recs))+1)
			} else {
				dst = binary.BigEndian.AppendUint32(dst, uint32(len(recs)))
			}
			dst = append(dst, recs...)
			if flex {
				dst = append(dst, 0) // partition tagged fields
			}
		}
		if flex {
			dst = append(dst, 0) // topic tagged fields
		}
	}
	if flex {
		dst = append(dst, 0) // request tagged fields
	}
	r.size = len(dst) - start
	return dst
}

func appendArrayLen(dst []byte, n int, flex bool) []byte {
	if flex {
		return binary.AppendUvarint(dst, uint64(n)+1)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

package interop_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
)

// checkKcatCodec checks that librdkafka compressed what it produced with
// the codec asked for. librdkafka sends a batch uncompressed when
// compressing would not make it smaller, so a few small batches may carry
// no codec; but most records must be compressed, and with no other codec.
// librdkafka also drops compression silently when it believes the broker
// cannot take it (from the broker's ApiVersions), which is what this
// catches.
func checkKcatCodec(t testing.TB, codecs *batchCodecs, wire, records int) {
	t.Helper()
	if wire == codecNone {
		assert.Equal(t, []int{codecNone}, codecs.codecs(), "codec ids of the produced batches")
		return
	}
	for _, got := range codecs.codecs() {
		assert.Contains(t, []int{codecNone, wire}, got, "codec ids of the produced batches")
	}
	assert.Greater(t, codecs.recordsWith(wire), records/2, "records produced in batches compressed with codec %d; librdkafka sent the rest uncompressed", wire)
}

// TestKcatCompression proves that librdkafka, through kcat -z, really
// compresses what it produces to the mock cluster with each codec, and
// decompresses it again. librdkafka decides from the broker's ApiVersions
// answer whether a broker can take a codec and otherwise falls back to
// sending uncompressed batches without an error, so a round trip alone
// cannot tell a compressed run from a silently uncompressed one: the
// codec on the wire is checked here, as are the records kcat -C reads
// back.
func TestKcatCompression(t *testing.T) {
	kcatBinary(t)
	const (
		topic    = "kcat-compression"
		messages = 400
	)
	for _, codec := range kcatCodecs {
		if codec.wire == codecNone {
			continue
		}
		t.Run(codec.name, func(t *testing.T) {
			t.Parallel()
			c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, 2))
			codecs := logBatchCodecs(c)
			brokers := strings.Join(c.Addrs(), ",")
			stdin, keys, values := kcatInput(codec.name, messages)
			runKcat(t, stdin, "-P", "-b", brokers, "-t", topic, "-K:", "-z", codec.name)
			checkKcatCodec(t, codecs, codec.wire, messages)

			lines := parseKcatLines(t, runKcat(t, nil, append(kcatConsumerArgs(brokers, topic), "-f", kcatFormat)...))
			want := make(map[string]string, messages)
			for i, k := range keys {
				want[k] = values[i]
			}
			got := make(map[string]string, len(lines))
			for _, l := range lines {
				got[l.Key] = l.Value
			}
			require.Len(t, lines, messages)
			assert.Equal(t, want, got)
		})
	}
}

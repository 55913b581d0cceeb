package interop_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/mockbroker"
)

// kcatGroupConsume runs kcat as a member of a consumer group (librdkafka's
// balanced consumer, -G) that reads topic until the end of every partition
// it is assigned, commits and leaves, and returns partition/offset/value
// of every record it read.
func kcatGroupConsume(t *testing.T, brokers, group, topic string) map[string]string {
	t.Helper()
	out := runKcat(t, nil, "-b", brokers, "-G", group, "-e", "-q",
		"-f", "%p|%o|%s\n",
		"-X", "auto.offset.reset=earliest",
		"-X", "fetch.wait.max.ms=50",
		"-X", "heartbeat.interval.ms=100",
		"-X", "session.timeout.ms=6000",
		topic)
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		f := strings.SplitN(l, "|", 3)
		require.Len(t, f, 3, "kcat line %q", l)
		key := f[0] + "/" + f[1]
		require.NotContains(t, got, key, "record read twice")
		got[key] = f[2]
	}
	return got
}

// TestKcatConsumerGroup runs librdkafka's group client (kcat -G) against
// the group coordinator: it joins (MEMBER_ID_REQUIRED included), leads
// and assigns, fetches committed offsets, commits and leaves; a second run
// in the same group reads only what was produced since.
func TestKcatConsumerGroup(t *testing.T) {
	kcatBinary(t)
	c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic("events", 4))
	brokers := strings.Join(c.Addrs(), ",")
	versions := logVersions(c)
	produce := func(from, n int) map[string]string {
		var in strings.Builder
		for i := from; i < from+n; i++ {
			fmt.Fprintf(&in, "k%d:event-%d\n", i, i)
		}
		runKcat(t, []byte(in.String()), "-P", "-b", brokers, "-t", "events", "-K:")
		want := map[string]string{}
		for p := range int32(4) {
			recs, err := c.Records("events", p)
			require.NoError(t, err)
			for _, r := range recs {
				if n, _ := strconv.Atoi(strings.TrimPrefix(string(r.Value), "event-")); n >= from {
					want[fmt.Sprintf("%d/%d", p, r.Offset)] = string(r.Value)
				}
			}
		}
		require.Len(t, want, n)
		return want
	}

	want := produce(0, 40)
	assert.Equal(t, want, kcatGroupConsume(t, brokers, "kcat-group", "events"))
	state, err := c.GroupState("kcat-group")
	require.NoError(t, err)
	assert.Equal(t, "Empty", state, "kcat left the group")
	committed := func() map[samsa.TopicPartition]int64 {
		offsets, err := c.CommittedOffsets("kcat-group")
		require.NoError(t, err)
		return offsets
	}
	for tp, off := range committed() {
		hwm, err := c.HighWatermark(tp.Topic, tp.Partition)
		require.NoError(t, err)
		assert.Equal(t, hwm, off, "%v committed up to the end", tp)
	}
	assert.Len(t, committed(), 4)

	want = produce(40, 20)
	assert.Equal(t, want, kcatGroupConsume(t, brokers, "kcat-group", "events"), "the second member resumes from the commits")

	for _, key := range []kmsg.Key{kmsg.FindCoordinator, kmsg.JoinGroup, kmsg.SyncGroup, kmsg.OffsetFetch, kmsg.OffsetCommit, kmsg.LeaveGroup} {
		assert.NotEmpty(t, versions.versions(key), "kcat sent %s", kmsg.NameForKey(int16(key)))
	}
	t.Logf("librdkafka's versions: JoinGroup %v, SyncGroup %v, Heartbeat %v, OffsetCommit %v, OffsetFetch %v, FindCoordinator %v",
		versions.versions(kmsg.JoinGroup), versions.versions(kmsg.SyncGroup), versions.versions(kmsg.Heartbeat),
		versions.versions(kmsg.OffsetCommit), versions.versions(kmsg.OffsetFetch), versions.versions(kmsg.FindCoordinator))
}

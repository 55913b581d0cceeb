package producer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/samsa-go/samsa/mockbroker"
	"github.com/samsa-go/samsa/producer"
)

// kcatPath returns the kcat binary, skipping the test when it is missing
// unless CI is set (CI installs kcat; there a missing binary fails).
func kcatPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"kcat", "kafkacat"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("kcat is not installed; CI must install it")
	}
	t.Skip("kcat is not installed (apt-get install kcat)")
	return ""
}

// TestKcatReadsEveryCodec produces with samsa in every codec and reads the
// records back with kcat, whose librdkafka decodes the batches with codecs
// independent of samsa's.
func TestKcatReadsEveryCodec(t *testing.T) {
	bin := kcatPath(t)
	cl := mockbroker.NewTest(t)
	for _, codec := range []producer.Codec{producer.CompressionNone, producer.CompressionGzip,
		producer.CompressionSnappy, producer.CompressionLZ4, producer.CompressionZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			topic := "kcat-" + codec.String()
			require.NoError(t, cl.CreateTopic(topic, 2))
			p := newStringProducer(t, cl, producer.WithCompression(codec, 0), producer.WithLinger(10*time.Millisecond))
			ctx := testCtx(t)
			var want []string
			for i := range 300 {
				k, v := fmt.Sprint("k", i), fmt.Sprintf("value-%d-%s", i, strings.Repeat("ab", i%40))
				want = append(want, k+"="+v)
				require.NoError(t, p.Send(ctx, &producer.Record[string, string]{Topic: topic, Key: k, Value: v}, nil))
			}
			require.NoError(t, p.Flush(ctx))

			kctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(kctx, bin, "-C", "-b", strings.Join(cl.Addrs(), ","), "-t", topic,
				"-o", "beginning", "-e", "-q", "-f", "%k=%s\n", "-X", "fetch.wait.max.ms=50")
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			require.NoError(t, cmd.Run(), "kcat: %s", stderr.String())
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			sort.Strings(got)
			sort.Strings(want)
			assert.Equal(t, want, got)
		})
	}
}

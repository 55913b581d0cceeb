package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// kcatTimeout bounds one kcat run. A kcat that cannot finish (a consumer
// that never reaches the end of a partition, a producer that cannot
// deliver) is killed at this deadline and fails the test.
const kcatTimeout = 30 * time.Second

// kcatBinary returns the path of the kcat binary (or of kafkacat, its old
// name). When neither is installed the test is skipped, unless the
// environment variable CI is set: CI installs kcat, so there a missing
// binary is a failure, never a silent skip.
func kcatBinary(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"kcat", "kafkacat"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("kcat is not installed; CI must install it (apt-get install kcat)")
	}
	t.Skip("kcat is not installed (apt-get install kcat); set CI to make this a failure")
	return ""
}

// runKcat runs kcat with args, feeding it stdin, and returns its standard
// output. A non-zero exit, or running past kcatTimeout, fails t with
// kcat's standard error. The process is always waited for.
func runKcat(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	bin := kcatBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), kcatTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		require.FailNow(t, "kcat timed out", "kcat %s: killed after %v\nstderr:\n%s", strings.Join(args, " "), kcatTimeout, tail(stderr.String(), 4000))
	}
	require.NoError(t, err, "kcat %s\nstderr:\n%s", strings.Join(args, " "), tail(stderr.String(), 4000))
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// kcatConsumerArgs are the arguments of a kcat consumer that reads every
// partition of topic from the beginning and exits at the end of the last
// one. A short fetch wait makes the end of a partition known quickly.
func kcatConsumerArgs(brokers, topic string) []string {
	return []string{"-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e",
		"-X", "fetch.wait.max.ms=50"}
}

// kcatLine is one record as printed by kcat -C with the format
// kcatFormat.
type kcatLine struct {
	Key, Value string
	Headers    string
	Partition  int32
	Offset     int64
	// KeyLen and ValueLen are -1 for null, so that null and empty
	// values can be told apart.
	KeyLen, ValueLen int
}

// kcatFormat prints key, value, headers (k=v,k=v), partition, offset, and
// the key and value lengths, separated by '|'.
const kcatFormat = "%k|%s|%h|%p|%o|%K|%S\n"

// parseKcatLines parses kcat -C output in kcatFormat. Keys, values and
// headers must not contain '|' or newlines.
func parseKcatLines(t testing.TB, out []byte) []kcatLine {
	t.Helper()
	var lines []kcatLine
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "|")
		require.Len(t, f, 7, "kcat line %q", l)
		p, err := strconv.ParseInt(f[3], 10, 32)
		require.NoError(t, err, "partition in %q", l)
		o, err := strconv.ParseInt(f[4], 10, 64)
		require.NoError(t, err, "offset in %q", l)
		kl, err := strconv.Atoi(f[5])
		require.NoError(t, err, "key length in %q", l)
		vl, err := strconv.Atoi(f[6])
		require.NoError(t, err, "value length in %q", l)
		lines = append(lines, kcatLine{Key: f[0], Value: f[1], Headers: f[2], Partition: int32(p), Offset: o, KeyLen: kl, ValueLen: vl})
	}
	return lines
}

// kcatJSONRecord is one record as printed by kcat -C -J. Headers is a flat
// list of names and values; a null header value is JSON null.
type kcatJSONRecord struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	TsType    string    `json:"tstype"`
	Ts        int64     `json:"ts"`
	Headers   []*string `json:"headers"`
	Key       *string   `json:"key"`
	Payload   *string   `json:"payload"`
}

func parseKcatJSON(t testing.TB, out []byte) []kcatJSONRecord {
	t.Helper()
	var recs []kcatJSONRecord
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var r kcatJSONRecord
		require.NoError(t, dec.Decode(&r), "kcat -J output")
		recs = append(recs, r)
	}
	return recs
}

func ns(s *string) nullable {
	if s == nil {
		return nullable{Null: true}
	}
	return nullable{S: *s}
}

// rec converts a kcat JSON record to the common form.
func (r kcatJSONRecord) rec(t testing.TB) rec {
	t.Helper()
	require.Zero(t, len(r.Headers)%2, "kcat headers must come in name/value pairs: %v", r.Headers)
	out := rec{Partition: r.Partition, Offset: r.Offset, Key: ns(r.Key), Value: ns(r.Payload), TimestampMs: r.Ts}
	for i := 0; i < len(r.Headers); i += 2 {
		require.NotNil(t, r.Headers[i], "header name")
		out.Headers = append(out.Headers, header{*r.Headers[i], ns(r.Headers[i+1])})
	}
	return out
}

// kcatMetadata is the output of kcat -L -J.
type kcatMetadata struct {
	ControllerID int32 `json:"controllerid"`
	Brokers      []struct {
		ID   int32  `json:"id"`
		Name string `json:"name"`
	} `json:"brokers"`
	Topics []struct {
		Topic      string `json:"topic"`
		Error      string `json:"error"`
		Partitions []struct {
			Partition int32                `json:"partition"`
			Leader    int32                `json:"leader"`
			Error     string               `json:"error"`
			Replicas  []struct{ ID int32 } `json:"replicas"`
			ISRs      []struct{ ID int32 } `json:"isrs"`
		} `json:"partitions"`
	} `json:"topics"`
}

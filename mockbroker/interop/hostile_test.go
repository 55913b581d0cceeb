package interop_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/mockbroker"
)

// warnCounter is a slog handler that counts the records at warning level
// or above — the level the mock broker logs a rejected connection at — and
// discards everything.
type warnCounter struct{ n atomic.Int64 }

func (w *warnCounter) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}
func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

// badFrame is one piece of hostile input, sent on a connection of its own.
type badFrame struct {
	kind  string
	bytes []byte
	// halfClose makes the client shut its side down after writing:
	// the input is an incomplete frame, and the broker can only notice
	// the end of the stream. Otherwise the broker must close the
	// connection by itself, on the bytes alone.
	halfClose bool
}

// Hostile input kinds.
const (
	kindUnknownKey = "unknown API key"
	kindBadVersion = "unsupported version"
	kindTruncated  = "truncated body"
	kindGarbage    = "garbage"
	kindOversize   = "oversize length prefix"
)

// unknownKeys are API keys no Kafka version defines.
var unknownKeys = []int16{-32768, -1, 1000, 4242, 32767}

// rawHeader appends a request header (v1: key, version, correlation id,
// null client id) to a length prefix that is filled in by finishFrame.
func rawHeader(key, version int16, corr int32) []byte {
	b := make([]byte, 4, 64)
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	return binary.BigEndian.AppendUint16(b, 0xffff)
}

func finishFrame(b []byte) []byte {
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// outsideRanges returns, per API key, versions kmsg can encode that the
// cluster does not advertise, found by asking it with ApiVersions.
func outsideRanges(t testing.TB, addr string) map[int16][]int16 {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, waitTimeout)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(waitTimeout)))
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	req.ClientSoftwareName, req.ClientSoftwareVersion = "samsa-interop", "1"
	_, err = conn.Write(kmsg.NewRequestFormatter().AppendRequest(nil, req, 1))
	require.NoError(t, err)
	var size [4]byte
	_, err = io.ReadFull(conn, size[:])
	require.NoError(t, err)
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err = io.ReadFull(conn, body)
	require.NoError(t, err)
	resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
	resp.SetVersion(3)
	require.NoError(t, resp.ReadFrom(body[4:])) // after the correlation id; ApiVersions keeps header v0
	require.Zero(t, resp.ErrorCode)

	out := make(map[int16][]int16)
	for _, k := range resp.ApiKeys {
		if k.ApiKey == int16(kmsg.ApiVersions) {
			continue // answered with a v0 error instead (KIP-511)
		}
		r := kmsg.RequestForKey(k.ApiKey)
		if r == nil {
			continue
		}
		for v := int16(0); v <= r.MaxVersion(); v++ {
			if v < k.MinVersion || v > k.MaxVersion {
				out[k.ApiKey] = append(out[k.ApiKey], v)
			}
		}
	}
	return out
}

// hostileFrames builds perKind bad frames of each kind.
func hostileFrames(rng *rand.Rand, perKind int, unsupported map[int16][]int16) []badFrame {
	var keysWithGaps []int16
	for k := range unsupported {
		keysWithGaps = append(keysWithGaps, k)
	}
	sort.Slice(keysWithGaps, func(i, j int) bool { return keysWithGaps[i] < keysWithGaps[j] })
	fmtr := kmsg.NewRequestFormatter(kmsg.FormatterClientID("hostile"))

	var frames []badFrame
	for i := range perKind {
		corr := int32(i)

		// An API key no Kafka version defines, with a random body.
		b := rawHeader(unknownKeys[i%len(unknownKeys)], int16(rng.IntN(20)), corr)
		frames = append(frames, badFrame{kind: kindUnknownKey, bytes: finishFrame(append(b, randomBytes(rng, rng.IntN(64))...))})

		// A version the broker does not advertise: a well-formed body at
		// a version kmsg knows but the broker does not serve, a version
		// newer than any, or a negative one.
		var f []byte
		switch i % 3 {
		case 0:
			if len(keysWithGaps) > 0 {
				key := keysWithGaps[rng.IntN(len(keysWithGaps))]
				versions := unsupported[key]
				req := kmsg.RequestForKey(key)
				req.SetVersion(versions[rng.IntN(len(versions))])
				f = fmtr.AppendRequest(nil, req, corr)
				break
			}
			fallthrough
		case 1:
			f = finishFrame(rawHeader(int16(kmsg.Metadata), int16(100+rng.IntN(30000)), corr))
		default:
			f = finishFrame(rawHeader(int16(kmsg.Produce), int16(-1-rng.IntN(30000)), corr))
		}
		frames = append(frames, badFrame{kind: kindBadVersion, bytes: f})

		// A valid Produce request cut short: either a complete frame
		// whose body ends early, or a frame the stream ends in.
		req := kmsg.NewPtrProduceRequest()
		req.SetVersion(9)
		req.Acks, req.TimeoutMillis = -1, 1000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "steady"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = randomBytes(rng, 64+rng.IntN(256))
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		full := fmtr.AppendRequest(nil, req, corr)
		const headerLen = 4 + 8 + 2 + len("hostile") + 1 // prefix, key/version/corr, client id, tags
		cut := headerLen + rng.IntN(len(full)-headerLen)
		if i%2 == 0 {
			frames = append(frames, badFrame{kind: kindTruncated, bytes: finishFrame(append([]byte(nil), full[:cut]...))})
		} else {
			frames = append(frames, badFrame{kind: kindTruncated, bytes: full[:cut], halfClose: true})
		}

		// Random bytes, length prefix included; the stream then ends.
		frames = append(frames, badFrame{kind: kindGarbage, bytes: randomBytes(rng, 1+rng.IntN(512)), halfClose: true})

		// A length prefix beyond the broker's limit (100 MiB), with or
		// without bytes after it.
		over := binary.BigEndian.AppendUint32(nil, uint32(mockbroker.DefaultMaxFrameSize+1+rng.IntN(1<<31-mockbroker.DefaultMaxFrameSize-1)))
		frames = append(frames, badFrame{kind: kindOversize, bytes: append(over, randomBytes(rng, rng.IntN(1024))...)})
	}
	return frames
}

// hostileResult is what happened to the frames of one kind.
type hostileResult struct {
	sent      int
	replied   int // connections on which the broker wrote something back
	writeErrs int // the broker closed before the whole input was written
	failures  []string
}

// sendBadFrame writes one bad frame on a new connection and waits until the
// broker closes it. It returns the number of bytes the broker wrote back,
// whether writing failed (a broker may close before reading everything),
// and an error if the connection was still open at the deadline.
func sendBadFrame(addr string, f badFrame) (replied int, writeErr bool, err error) {
	conn, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		return 0, false, fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write(f.bytes); err != nil {
		writeErr = true
	}
	if f.halfClose {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, writeErr, err
	}
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		replied += n
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return replied, writeErr, fmt.Errorf("the broker kept the connection open for 10s")
		}
		return replied, writeErr, nil // EOF or reset: closed
	}
}

// TestHostileClientDuringSaramaTraffic proves that nothing a client sends
// can disturb the mock cluster's other clients. While a sarama producer
// keeps producing and a sarama consumer keeps consuming, four raw TCP
// clients send hundreds of bad frames of each kind — unknown API keys,
// versions the broker does not advertise, truncated bodies (a short frame,
// or a stream ending inside a frame), random garbage and length prefixes
// beyond the maximum frame size — each on its own connection, spread over
// the three brokers. For every kind but garbage the broker must close the
// connection without writing anything, and unless the stream ended, on its
// own and not by waiting for more input; it must log a warning for each
// frame it rejects, and count each unknown API key request. Meanwhile
// sarama must keep making progress, and afterwards every record produced
// must have been consumed with no client error, and the per-connection
// goroutines of the bad connections must be gone.
func TestHostileClientDuringSaramaTraffic(t *testing.T) {
	// Not parallel: the goroutine count it checks is the process's.
	const (
		topic      = "steady"
		partitions = 3
		perKind    = 300
		workers    = 4
	)
	warns := &warnCounter{}
	c := mockbroker.NewTest(t, mockbroker.WithBrokers(3), mockbroker.WithTopic(topic, partitions), mockbroker.WithLogger(slog.New(warns)))
	cfg := saramaConfig(sarama.MaxVersion, sarama.CompressionZSTD)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SAMSA_HOSTILE_SEED"); s != "" {
		_, err := fmt.Sscan(s, &seed)
		require.NoError(t, err)
	}
	t.Logf("hostile input seed %d (set SAMSA_HOSTILE_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	frames := hostileFrames(rng, perKind, outsideRanges(t, c.Addrs()[0]))

	// Steady traffic: one producer goroutine, one consumer per partition.
	producer, err := sarama.NewSyncProducer(c.Addrs(), cfg)
	require.NoError(t, err)
	consumer, err := sarama.NewConsumer(c.Addrs(), cfg)
	require.NoError(t, err)
	var (
		stop      = make(chan struct{})
		pwg, wg   sync.WaitGroup // the producer goroutine; the consumers
		mu        sync.Mutex
		clientErr []error
		produced  atomic.Int64
		consumed  atomic.Int64
		seen      = make(map[string]int)
	)
	fail := func(err error) {
		mu.Lock()
		clientErr = append(clientErr, err)
		mu.Unlock()
	}
	pwg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprintf("steady-%06d", i))}); err != nil {
				fail(fmt.Errorf("produce %d: %w", i, err))
				continue
			}
			produced.Add(1)
		}
	})
	pcs := make([]sarama.PartitionConsumer, 0, partitions)
	for p := range int32(partitions) {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		require.NoError(t, err)
		pcs = append(pcs, pc)
		wg.Go(func() {
			// Drain both channels until sarama closes them (after
			// AsyncClose), as sarama requires.
			msgs, errs := pc.Messages(), pc.Errors()
			for msgs != nil || errs != nil {
				select {
				case m, ok := <-msgs:
					if !ok {
						msgs = nil
						continue
					}
					mu.Lock()
					seen[string(m.Value)]++
					mu.Unlock()
					consumed.Add(1)
				case cerr, ok := <-errs:
					if !ok {
						errs = nil
						continue
					}
					fail(cerr)
				}
			}
		})
	}
	var stopOnce, closeOnce sync.Once
	stopProducing := func() {
		stopOnce.Do(func() { close(stop) })
		pwg.Wait()
	}
	// closeClients stops and waits for every client goroutine; deferred
	// too, so that a failed wait cannot leave them running.
	closeClients := func() {
		closeOnce.Do(func() {
			stopProducing()
			for _, pc := range pcs {
				pc.AsyncClose()
			}
			wg.Wait()
			assert.NoError(t, consumer.Close())
			assert.NoError(t, producer.Close())
		})
	}
	defer closeClients()
	waitFor(t, "steady traffic to start", func() bool { return produced.Load() >= 20 && consumed.Load() >= 20 })

	// The attack.
	goroutinesBefore := runtime.NumGoroutine()
	warnsBefore := warns.n.Load()
	unknownBefore := 0
	for _, k := range unknownKeys {
		unknownBefore += c.Requests(k)
	}
	producedBefore := produced.Load()
	results := make(map[string]*hostileResult)
	jobs := make(chan int)
	var hwg sync.WaitGroup
	var rmu sync.Mutex
	addrs := c.Addrs()
	for range workers {
		hwg.Go(func() {
			for i := range jobs {
				f := frames[i]
				replied, writeErr, err := sendBadFrame(addrs[i%len(addrs)], f)
				rmu.Lock()
				r := results[f.kind]
				if r == nil {
					r = &hostileResult{}
					results[f.kind] = r
				}
				r.sent++
				if replied > 0 {
					r.replied++
				}
				if writeErr {
					r.writeErrs++
				}
				if err != nil {
					r.failures = append(r.failures, fmt.Sprintf("frame %d (%d bytes, half-closed %v): %v", i, len(f.bytes), f.halfClose, err))
				} else if replied > 0 && f.kind != kindGarbage {
					r.failures = append(r.failures, fmt.Sprintf("frame %d: the broker answered %d bytes to a bad frame", i, replied))
				}
				rmu.Unlock()
			}
		})
	}
	start := time.Now()
	for i := range frames {
		jobs <- i
	}
	close(jobs)
	hwg.Wait()
	elapsed := time.Since(start)
	producedDuring := produced.Load() - producedBefore

	proactive := 0 // frames the broker must reject on their bytes alone
	kinds := []string{kindUnknownKey, kindBadVersion, kindTruncated, kindGarbage, kindOversize}
	for _, k := range kinds {
		r := results[k]
		require.NotNil(t, r, k)
		t.Logf("%-24s %4d sent, %4d answered, %4d cut off while writing, %d failures", k, r.sent, r.replied, r.writeErrs, len(r.failures))
		assert.Equal(t, perKind, r.sent, k)
		assert.Empty(t, r.failures, k)
		if k != kindGarbage {
			for _, f := range frames {
				if f.kind == k && !f.halfClose {
					proactive++
				}
			}
		}
	}
	t.Logf("%d bad frames in %v; sarama produced %d records meanwhile", len(frames), elapsed.Round(time.Millisecond), producedDuring)
	assert.Positive(t, producedDuring, "sarama must keep producing while the cluster is under attack")
	assert.GreaterOrEqual(t, warns.n.Load()-warnsBefore, int64(proactive), "a warning for every rejected frame")
	unknownAfter := 0
	for _, k := range unknownKeys {
		unknownAfter += c.Requests(k)
	}
	assert.GreaterOrEqual(t, unknownAfter-unknownBefore, perKind, "every unknown API key request counted")

	// The cluster still serves: the traffic goes on, everything produced
	// is consumed, and nobody saw an error.
	target := produced.Load() + 20
	waitFor(t, "more steady traffic after the attack", func() bool { return produced.Load() >= target })
	stopProducing()
	total := int64(0)
	for _, h := range highWatermarks(t, c, topic, partitions) {
		total += h
	}
	assert.Equal(t, produced.Load(), total, "records stored vs sends that succeeded")
	waitFor(t, "the consumers to catch up", func() bool { return consumed.Load() >= total })
	closeClients()
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, clientErr, "sarama errors")
	assert.Len(t, seen, int(produced.Load()), "every record produced consumed")
	for v, n := range seen {
		assert.Equal(t, 1, n, "%s consumed %d times", v, n)
	}

	// Every bad connection's goroutines have exited. sarama's goroutines
	// are gone too by now, so the count can only have dropped.
	waitFor(t, "the bad connections' goroutines to exit", func() bool { return runtime.NumGoroutine() <= goroutinesBefore })
}

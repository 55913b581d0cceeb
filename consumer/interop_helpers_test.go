package consumer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/mockbroker"
)

// ledger records which member read which record, across clients, so that
// a mixed group's consumption can be checked for loss and duplicates.
// Safe for concurrent use.
type ledger struct {
	mu sync.Mutex
	// by holds, per partition and offset, each read: the member and what
	// it read as key and value.
	by map[samsa.TopicPartition]map[int64][]read
	n  int
}

// read is one member's reading of one record.
type read struct {
	member, key, value string
}

func newLedger() *ledger {
	return &ledger{by: make(map[samsa.TopicPartition]map[int64][]read)}
}

func (l *ledger) add(member string, tp samsa.TopicPartition, offset int64, key, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by[tp] == nil {
		l.by[tp] = make(map[int64][]read)
	}
	l.by[tp][offset] = append(l.by[tp][offset], read{member, key, value})
	l.n++
}

// count returns how many reads were recorded, duplicates included.
func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// snapshot returns a copy of the reads.
func (l *ledger) snapshot() map[samsa.TopicPartition]map[int64][]read {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[samsa.TopicPartition]map[int64][]read, len(l.by))
	for tp, offs := range l.by {
		out[tp] = make(map[int64][]read, len(offs))
		for off, rs := range offs {
			out[tp][off] = slices.Clone(rs)
		}
	}
	return out
}

// saramaProduce produces n keyed records ("key-<round>-0000" →
// "value-<round>-0000", ...) to topic with a sarama SyncProducer: sarama's
// own codec and its hash partitioner place them, independently of samsa.
func saramaProduce(t testing.TB, addrs []string, topic string, round, n int) {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.ClientID = "sarama-producer"
	cfg.Version = sarama.V3_6_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Backoff = 10 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
	p, err := sarama.NewSyncProducer(addrs, cfg)
	require.NoError(t, err)
	defer func() { assert.NoError(t, p.Close()) }()
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{
			Topic: topic,
			Key:   sarama.StringEncoder(fmt.Sprintf("key-%d-%04d", round, i)),
			Value: sarama.StringEncoder(fmt.Sprintf("value-%d-%04d", round, i)),
		}
	}
	require.NoError(t, p.SendMessages(msgs))
}

// foreignMember is a member of a consumer group run by a client other
// than samsa, in its own goroutines or process.
type foreignMember interface {
	// name labels the member's reads in the ledger; it is also its client
	// id, by which the coordinator's view of the group names it.
	name() string
	// memberID is the member id the client says it has, "" before it
	// joined.
	memberID() string
	// owned is what the client says it holds now, sorted.
	owned() []samsa.TopicPartition
	// errs are the errors the client reported.
	errs() []error
	// stop makes the member commit, leave the group and exit, and waits
	// until it has. It is idempotent.
	stop()
}

// saramaMember is a sarama ConsumerGroup member running its Consume loop
// in a goroutine, recording every message it gets in a ledger and marking
// it consumed (sarama commits marked offsets every auto commit interval and
// when a session ends).
type saramaMember struct {
	t      testing.TB
	client string
	cg     sarama.ConsumerGroup
	out    *ledger

	mu     sync.Mutex
	sess   sarama.ConsumerGroupSession
	claims map[samsa.TopicPartition]bool
	errors []error

	stopOnce sync.Once
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// saramaConfig is the configuration of a sarama group member using one
// balance strategy: quick heartbeats and commits, from the oldest offset.
func saramaConfig(clientID string, strategy sarama.BalanceStrategy) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = clientID
	cfg.Version = sarama.V3_6_0_0
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 50 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 50 * time.Millisecond
	cfg.Consumer.Retry.Backoff = 10 * time.Millisecond
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{strategy}
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 20 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 10 * time.Millisecond
	return cfg
}

// startSaramaMember starts a sarama member of group reading topic; the
// test's cleanup stops it.
func startSaramaMember(t testing.TB, addrs []string, group, topic string, cfg *sarama.Config, out *ledger) *saramaMember {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, group, cfg)
	require.NoError(t, err)
	m := &saramaMember{t: t, client: cfg.ClientID, cg: cg, out: out, claims: make(map[samsa.TopicPartition]bool)}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Go(func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, m); err != nil && ctx.Err() == nil {
				m.fail(fmt.Errorf("Consume: %w", err))
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					return
				}
			}
		}
	})
	m.wg.Go(func() {
		for err := range cg.Errors() {
			m.fail(err)
		}
	})
	t.Cleanup(m.stop)
	return m
}

func (m *saramaMember) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors = append(m.errors, err)
}

func (m *saramaMember) name() string { return m.client }

func (m *saramaMember) memberID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess == nil {
		return ""
	}
	return m.sess.MemberID()
}

// owned returns the partitions whose ConsumeClaim runs: what sarama
// consumes now.
func (m *saramaMember) owned() []samsa.TopicPartition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.SortedFunc(maps.Keys(m.claims), cmpTP)
}

func (m *saramaMember) errs() []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.errors)
}

func (m *saramaMember) stop() {
	m.stopOnce.Do(func() {
		m.cancel()
		assert.NoError(m.t, m.cg.Close())
		m.wg.Wait()
	})
}

// Setup implements sarama.ConsumerGroupHandler.
func (m *saramaMember) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sess = s
	return nil
}

// Cleanup implements sarama.ConsumerGroupHandler: it commits what was
// marked, so that the next owner of a partition continues after it.
func (m *saramaMember) Cleanup(s sarama.ConsumerGroupSession) error {
	s.Commit()
	return nil
}

// ConsumeClaim implements sarama.ConsumerGroupHandler.
func (m *saramaMember) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	tp := samsa.TopicPartition{Topic: claim.Topic(), Partition: claim.Partition()}
	m.mu.Lock()
	m.claims[tp] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.claims, tp)
		m.mu.Unlock()
	}()
	for {
		select {
		case msg, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			m.out.add(m.client, tp, msg.Offset, string(msg.Key), string(msg.Value))
			s.MarkMessage(msg, "")
		case <-s.Context().Done():
			return nil
		}
	}
}

// kcatPath returns the path of the kcat binary (or kafkacat, its old
// name). When neither is installed the test is skipped, unless the
// environment variable CI is set: CI installs kcat, so there a missing
// binary is a failure.
func kcatPath(t testing.TB) string {
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

// kcatRunLimit is the longest a kcat group member may run: past it, the
// process is killed and the test fails.
const kcatRunLimit = 60 * time.Second

// kcatFormat is kcat's output format for one record: topic, partition,
// offset, key and value, separated by '|'.
const kcatFormat = "%t|%p|%o|%k|%s\n"

var (
	// kcatEager matches kcat's report of an eager rebalance:
	// "% Group g rebalanced (memberid m): assigned: t [0], t [1]".
	kcatEager = regexp.MustCompile(`^% Group \S+ rebalanced \(memberid ([^)]+)\): (assigned|revoked): ?(.*)$`)
	// kcatIncremental matches kcat's report of a cooperative one:
	// "% Group g rebalanced: incremental assignment of 2 partition(s)
	// (memberid m, COOPERATIVE rebalance protocol): t [0], t [1]".
	kcatIncremental = regexp.MustCompile(`^% Group \S+ rebalanced: incremental (assignment|revoke) of \d+ partition\(s\) \(memberid ([^,]+), [^)]*\): ?(.*)$`)
	kcatPartition   = regexp.MustCompile(`(\S+) \[(\d+)\]`)
	// kcatError matches errors kcat or librdkafka print: kcat's "% ERROR"
	// and "% FATAL" lines, librdkafka log lines of level error or worse.
	kcatError = regexp.MustCompile(`^(% (ERROR|FATAL)|%[0-3]\|)`)
)

// kcatMember is kcat's balanced consumer (librdkafka's KafkaConsumer, -G)
// in a group, as a child process. Its records go to a ledger; its own
// account of its assignment is read from the rebalance lines it prints.
type kcatMember struct {
	t      testing.TB
	client string
	cmd    *exec.Cmd
	out    *ledger
	done   chan struct{} // closed when the process was waited for
	kill   *time.Timer   // the run limit

	mu      sync.Mutex
	id      string
	claims  map[samsa.TopicPartition]bool
	errors  []error
	stderr  bytes.Buffer
	timeout bool
	waitErr error

	stopOnce sync.Once
}

// startKcatMember starts kcat as a member of group reading topic with the
// partition assignment strategy (librdkafka's name), committing
// automatically; the test's cleanup stops it.
func startKcatMember(t testing.TB, brokers []string, group, topic, strategy string, out *ledger) *kcatMember {
	t.Helper()
	bin := kcatPath(t)
	m := &kcatMember{t: t, client: "kcat-member", out: out, done: make(chan struct{}), claims: make(map[samsa.TopicPartition]bool)}
	m.cmd = exec.Command(bin, "-b", strings.Join(brokers, ","), "-G", group,
		"-f", kcatFormat, "-u",
		"-X", "client.id="+m.client,
		"-X", "partition.assignment.strategy="+strategy,
		"-X", "auto.offset.reset=earliest",
		// Commits are automatic (librdkafka's enable.auto.commit), every
		// 5 s and on close: kcat would apply -X auto.commit.interval.ms to
		// the topic configuration, which the balanced consumer ignores.
		"-X", "fetch.wait.max.ms=50",
		"-X", "heartbeat.interval.ms=100",
		// A session long enough that only a LeaveGroup removes kcat from
		// the group within the test's waits.
		"-X", "session.timeout.ms=30000",
		topic)
	m.cmd.Stdout = &lineWriter{line: m.record}
	m.cmd.Stderr = &lineWriter{line: m.status}
	require.NoError(t, m.cmd.Start())
	m.kill = time.AfterFunc(kcatRunLimit, func() {
		m.mu.Lock()
		m.timeout = true
		m.mu.Unlock()
		_ = m.cmd.Process.Kill()
	})
	go func() {
		err := m.cmd.Wait()
		m.mu.Lock()
		m.waitErr = err
		m.mu.Unlock()
		close(m.done)
	}()
	t.Cleanup(m.stop)
	return m
}

// record parses one record line of kcat's output into the ledger.
func (m *kcatMember) record(line string) {
	f := strings.SplitN(line, "|", 5)
	if len(f) != 5 {
		m.fail(fmt.Errorf("kcat printed %q, want topic|partition|offset|key|value", line))
		return
	}
	p, perr := strconv.ParseInt(f[1], 10, 32)
	off, oerr := strconv.ParseInt(f[2], 10, 64)
	if perr != nil || oerr != nil {
		m.fail(fmt.Errorf("kcat printed %q: bad partition or offset", line))
		return
	}
	m.out.add(m.client, samsa.TopicPartition{Topic: f[0], Partition: int32(p)}, off, f[3], f[4])
}

// status follows kcat's stderr: its rebalance reports and errors.
func (m *kcatMember) status(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stderr.WriteString(line)
	m.stderr.WriteByte('\n')
	var add bool
	var id, list string
	if g := kcatEager.FindStringSubmatch(line); g != nil {
		id, add, list = g[1], g[2] == "assigned", g[3]
		if add {
			clear(m.claims) // an eager assignment replaces the last one
		}
	} else if g := kcatIncremental.FindStringSubmatch(line); g != nil {
		id, add, list = g[2], g[1] == "assignment", g[3]
	} else {
		if kcatError.MatchString(line) {
			m.errors = append(m.errors, fmt.Errorf("kcat: %s", line))
		}
		return
	}
	m.id = id
	var tps []samsa.TopicPartition
	for _, g := range kcatPartition.FindAllStringSubmatch(list, -1) {
		p, _ := strconv.ParseInt(g[2], 10, 32)
		tps = append(tps, samsa.TopicPartition{Topic: g[1], Partition: int32(p)})
	}
	for _, tp := range tps {
		if add {
			m.claims[tp] = true
		} else {
			delete(m.claims, tp)
		}
	}
}

func (m *kcatMember) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errors = append(m.errors, err)
}

func (m *kcatMember) name() string { return m.client }

func (m *kcatMember) memberID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.id
}

func (m *kcatMember) owned() []samsa.TopicPartition {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.SortedFunc(maps.Keys(m.claims), cmpTP)
}

func (m *kcatMember) errs() []error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.errors)
}

// stop sends kcat SIGTERM, on which it commits, leaves the group and
// exits; if it has not exited after 10 seconds it is killed. It fails the
// test unless kcat exited by itself with status 0 within its run limit.
func (m *kcatMember) stop() {
	m.stopOnce.Do(func() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		killed := false
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
			killed = true
			_ = m.cmd.Process.Kill()
			<-m.done
		}
		m.kill.Stop()
		m.mu.Lock()
		defer m.mu.Unlock()
		assert.False(m.t, m.timeout, "kcat ran past %v and was killed\nstderr:\n%s", kcatRunLimit, tail(m.stderr.String(), 4000))
		assert.False(m.t, killed, "kcat did not exit within 10s of SIGTERM\nstderr:\n%s", tail(m.stderr.String(), 4000))
		assert.NoError(m.t, m.waitErr, "kcat's exit\nstderr:\n%s", tail(m.stderr.String(), 4000))
	})
}

// stderrTail returns the end of what kcat printed on stderr.
func (m *kcatMember) stderrTail() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return tail(m.stderr.String(), 4000)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// lineWriter is an io.Writer that hands each complete line written to it,
// without the newline, to line. os/exec writes a child's output to it from
// one goroutine, which Wait waits for.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// groupView is the coordinator's view of the interop group, members by
// client id.
type groupView struct {
	state      string
	generation int32
	leader     string
	members    map[string]mockbroker.GroupMember
}

func viewGroup(t testing.TB, mb *mockbroker.Cluster) groupView {
	t.Helper()
	v := groupView{members: map[string]mockbroker.GroupMember{}}
	var err error
	if v.state, err = mb.GroupState(interopGroup); err != nil {
		require.ErrorIs(t, err, mockbroker.ErrUnknownGroup)
		return v // before the first member joins
	}
	v.generation, err = mb.GroupGeneration(interopGroup)
	require.NoError(t, err)
	v.leader, err = mb.GroupLeader(interopGroup)
	require.NoError(t, err)
	gms, err := mb.GroupMembers(interopGroup)
	require.NoError(t, err)
	for _, gm := range gms {
		v.members[gm.ClientID] = gm
	}
	return v
}

// foreignReport describes what a foreign member says, for failures.
func foreignReport(f foreignMember) string {
	switch f := f.(type) {
	case *kcatMember:
		return fmt.Sprintf("\nkcat holds %v as %q; stderr:\n%s", f.owned(), f.memberID(), f.stderrTail())
	case *saramaMember:
		return fmt.Sprintf("\nsarama holds %v as %q", f.owned(), f.memberID())
	}
	return ""
}

// planRecorder records the assignment plan of each generation of the
// interop group as its leader sent it: the assignments of the leader's
// SyncGroup requests, seen by a mock broker hook, decoded as consumer
// protocol assignments. Safe for concurrent use.
type planRecorder struct {
	mu    sync.Mutex
	plans map[int32]map[string][]samsa.TopicPartition // generation → member id → partitions
	errs  []error
}

func recordPlans(mb *mockbroker.Cluster) *planRecorder {
	r := &planRecorder{plans: make(map[int32]map[string][]samsa.TopicPartition)}
	mb.Hook(func(_ int32, req kmsg.Request) (kmsg.Response, error, bool) {
		sg, ok := req.(*kmsg.SyncGroupRequest)
		if !ok || sg.Group != interopGroup || len(sg.GroupAssignment) == 0 {
			return nil, nil, false
		}
		plan := make(map[string][]samsa.TopicPartition, len(sg.GroupAssignment))
		var errs []error
		for _, ga := range sg.GroupAssignment {
			tps := []samsa.TopicPartition{}
			if len(ga.MemberAssignment) > 0 {
				a, _, err := assignor.DecodeAssignment(ga.MemberAssignment)
				if err != nil {
					errs = append(errs, fmt.Errorf("generation %d, assignment of %s: %w", sg.Generation, ga.MemberID, err))
				}
				for _, t := range a.Partitions {
					for _, p := range t.Partitions {
						tps = append(tps, samsa.TopicPartition{Topic: t.Topic, Partition: p})
					}
				}
			}
			slices.SortFunc(tps, cmpTP)
			plan[ga.MemberID] = tps
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.plans[sg.Generation] = plan
		r.errs = append(r.errs, errs...)
		return nil, nil, false
	})
	return r
}

// plan returns the plan of a generation, nil if none was seen.
func (r *planRecorder) plan(generation int32) map[string][]samsa.TopicPartition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.plans[generation])
}

// decodeErrors returns the errors decoding the leader's assignments.
func (r *planRecorder) decodeErrors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

// cooperativeViolations checks the plans against the rule of the
// cooperative protocol (KIP-429): a partition that a plan gives a member
// and the plan before gave another member that is still in the group is
// handed over while its holder still reads it — the holder gives it up
// only after it received the later plan, and the partition may move only
// in the plan after that. A leader misreading the partitions a member
// holds (the owned partitions of its subscription) breaks the rule.
func (r *planRecorder) cooperativeViolations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	gens := slices.Sorted(maps.Keys(r.plans))
	var out []string
	for i := 1; i < len(gens); i++ {
		prev, cur := r.plans[gens[i-1]], r.plans[gens[i]]
		holder := map[samsa.TopicPartition]string{}
		for id, tps := range prev {
			for _, tp := range tps {
				holder[tp] = id
			}
		}
		for id, tps := range cur {
			for _, tp := range tps {
				h, ok := holder[tp]
				if _, stayed := cur[h]; ok && h != id && stayed {
					out = append(out, fmt.Sprintf("generation %d gives %v to %s, which generation %d gave %s", gens[i], tp, id, gens[i-1], h))
				}
			}
		}
	}
	return out
}

package main

import (
	"strconv"

	"github.com/samsa-go/samsa/bench/workload"
)

// scenario is one comparison: a workload, the mock cluster mode it runs
// against, the client under study (subject) and the clients it is compared
// with (peers).
type scenario struct {
	name    string
	mode    workload.Mode
	records int64 // default record count
	// mockFlags are the mode flags of `samsa mock` for this scenario.
	mockFlags func(cfg workload.Config) []string
	subject   string
	peers     []string
	// needSubject skips the scenario when the subject is missing: a
	// scenario that exists only to compare two clients has nothing to
	// show with one of them.
	needSubject bool
	title       string
	description string
}

// clients returns subject then peers: the round-robin order of a round.
func (s scenario) clients() []string { return append([]string{s.subject}, s.peers...) }

var scenarios = []scenario{
	{
		name:        "produce",
		mode:        workload.ModeProduce,
		records:     1_000_000,
		mockFlags:   func(workload.Config) []string { return []string{"--blackhole"} },
		subject:     "samsa",
		peers:       []string{"franz-go", "sarama", "kafka-go"},
		title:       "Produce",
		description: "Each client produces asynchronously at full speed and waits until every record is acknowledged; the timer runs from the first send to the last acknowledgement. The broker accepts and acknowledges every batch (framing and CRC checked) without storing it.",
	},
	{
		name:    "consume",
		mode:    workload.ModeConsume,
		records: 5_000_000,
		mockFlags: func(cfg workload.Config) []string {
			return []string{"--synthetic-fetch", strconv.Itoa(cfg.RecordBytes)}
		},
		subject:     "samsa",
		peers:       []string{"franz-go", "sarama", "kafka-go"},
		title:       "Consume",
		description: "Each client reads every partition directly (no group) from offset 0 until it has seen the record count, adding up every value's length; the timer runs from the client's creation to the last record. The broker answers every fetch from one pre-encoded, uncompressed batch, re-based so offsets advance.",
	},
	{
		name:        "compat-produce",
		mode:        workload.ModeProduce,
		records:     1_000_000,
		mockFlags:   func(workload.Config) []string { return []string{"--blackhole"} },
		subject:     "samsa-sarama",
		peers:       []string{"sarama", "relay"},
		needSubject: true,
		title:       "sarama AsyncProducer vs samsa's sarama drop-in",
		description: "The produce workload written once against sarama's AsyncProducer interface, run with sarama itself and with samsa's compat/sarama package, both given the same *sarama.Config. `relay` is not a Kafka client but a yardstick: an AsyncProducer that sends nothing and returns each message on Successes as soon as it arrives on Input (one goroutine reading Input, one writing Successes). It is the ceiling the interface's two unbuffered hand-offs per message and this program put on any implementation on this machine; samsa-sarama ÷ relay says how close the drop-in comes to it.",
	},
}

// scenarioNamed returns the scenario called name.
func scenarioNamed(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

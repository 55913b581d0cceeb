// Package workload defines what one benchmark run of one Kafka client is:
// the settings every client is given (Config), what a run reports (Result),
// and the small interfaces a client runner implements (Producer, Consumer).
//
// It sits between the two programs of the bench module. The driver,
// cmd/kbench, starts the mock cluster and runs every client in its own
// process; the client runner, cmd/kclient, is that process: it looks up one
// client by name, runs one workload against the brokers it is given, and
// prints the Result as one JSON line. Config.Args and Config.RegisterFlags
// are the two ends of that command line, kept here so they cannot drift
// apart.
//
// Each client lives in one file of cmd/kclient and maps Config onto its own
// options as closely as it allows; Settings returns that mapping in words,
// keyed by the Java client's configuration names, so the results page can
// show what each client was really told.
//
// AckTracker and Quota are the counting helpers the runners share: the
// first counts acknowledgements until every produced record is settled,
// the second hands out exactly Records records to concurrent readers.
package workload

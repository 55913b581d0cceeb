// Command samsa is samsa's command line: tools around the SDK for people
// and for programs in other languages.
//
//	samsa mock [flags]     run a mock Kafka cluster on loopback (mock.go)
//
// Each subcommand lives in its own file and is listed in commands
// (main.go); main only dispatches. Every subcommand runs until it is done
// or until SIGINT or SIGTERM, then shuts down cleanly. Exit status: 0 on
// success, 1 on a runtime error, 2 on a usage error.
package main

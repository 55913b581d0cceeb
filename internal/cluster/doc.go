// Package cluster is samsa's view of a Kafka cluster: bootstrap from seed
// brokers, the metadata cache and its refresh, one pool of connections per
// broker, and the lookup of group and transaction coordinators.
//
// It sits between the connection layer and the clients:
//
//	producer sender / consumer fetcher / group and txn clients
//	  │ Snapshot() (lock-free), Refresh / TriggerRefresh after leader errors
//	  │ ConnFor(broker, purpose), Coordinator(kind, key)
//	  ▼
//	Cluster ── metadata cache (atomic *Snapshot, leader epochs never go back)
//	  │        refresh goroutine (periodic, triggered, on demand; coalesced)
//	  │        connection pool keyed by (broker, purpose), redialled when dead
//	  │        coordinator cache keyed by (kind, key)
//	  ▼
//	internal/wire.Conn per (broker, purpose) ─► broker
//
// # Goroutines
//
// A Cluster owns a refresh goroutine, started by New, plus short-lived
// goroutines for dials and coordinator lookups, so that a caller whose
// context ends does not abort work other callers share. Close cancels them
// all, waits for every one, and closes every connection.
//
// # Snapshots
//
// A *Snapshot is immutable once published: readers get the current one
// with an atomic load and may keep it as long as they like. Each refresh
// publishes a new one. A partition's leader epoch never goes backwards:
// metadata from a broker that lags behind (a lower epoch than the cached
// one for the same topic ID) keeps the cached partition, as the Java
// client does.
package cluster

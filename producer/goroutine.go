package producer

import (
	"runtime"
	"sync/atomic"
)

// goroutineID returns the id of the calling goroutine, as runtime.Stack
// prints it ("goroutine 18 [running]:"), or 0 if it cannot be read. It
// costs about a microsecond, so it is used only where a blocking call must
// refuse to run on the sender goroutine, never per record.
func goroutineID() uint64 {
	var buf [32]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// callbackGuard tells whether the caller is the sender goroutine, which runs
// every callback: Flush, SendSync and Close wait for that goroutine, so
// from a callback they would wait for themselves.
type callbackGuard struct {
	id atomic.Uint64 // the sender goroutine's id, 0 before it starts
}

func (g *callbackGuard) enter() { g.id.Store(goroutineID()) }

// onSender reports whether the calling goroutine is the sender's.
func (g *callbackGuard) onSender() bool {
	id := g.id.Load()
	return id != 0 && id == goroutineID()
}

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

// callbackGuard tells whether the caller is a goroutine that runs callbacks
// — the sender's, or the one finishing Close: Flush, SendSync and Close
// wait for those goroutines, so from a callback they would wait for
// themselves.
type callbackGuard struct {
	id atomic.Uint64 // the guarded goroutine's id, 0 before enter
}

// enter makes the calling goroutine the guarded one.
func (g *callbackGuard) enter() { g.id.Store(goroutineID()) }

// exit ends the guard.
func (g *callbackGuard) exit() { g.id.Store(0) }

// onSender reports whether the calling goroutine is the guarded one.
func (g *callbackGuard) onSender() bool {
	id := g.id.Load()
	return id != 0 && id == goroutineID()
}

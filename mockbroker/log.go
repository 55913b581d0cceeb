package mockbroker

import "sort"

// Segment sizes. A partition's first segment is small so that idle
// partitions cost little; each new one doubles, up to maxSegment, so that a
// busy partition serves large fetches from one contiguous slice.
const (
	minSegment = 4 << 10
	maxSegment = 8 << 20
)

// segment is an append-only byte buffer. Its backing array is never
// reallocated and bytes once written never change after the cluster lock
// that wrote them is released, so fetch responses alias it without copying
// and encode it after the lock is released.
type segment struct {
	buf []byte
}

// storedBatch is the index entry of one batch in a partition log.
type storedBatch struct {
	base, last int64 // offsets of the first and last record
	seg        *segment
	pos        int // start of the batch in seg.buf
	size       int
	maxTs      int64 // the batch's max timestamp (log append time if set)
	epoch      int32 // partition leader epoch the batch was written in
}

func (b *storedBatch) bytes() []byte { return b.seg.buf[b.pos : b.pos+b.size : b.pos+b.size] }

// partitionLog is the log of one partition: batches as written, an index,
// and the log start and end offsets. Guarded by Cluster.mu.
type partitionLog struct {
	// blackhole logs assign offsets but store nothing (WithBlackhole).
	blackhole bool
	batches   []storedBatch
	cur       *segment
	start     int64 // log start offset
	end       int64 // log end offset; also the high watermark
}

// append copies batch into the log at the end offset and returns the stored
// copy, which the caller patches (base offset, leader epoch, log append
// time) before releasing the cluster lock. lastDelta is the batch's last
// offset delta. A blackhole log only advances its end offset and returns
// nil.
func (l *partitionLog) append(batch []byte, lastDelta int32, maxTs int64, epoch int32) (base int64, stored []byte) {
	base = l.end
	l.end = base + int64(lastDelta) + 1
	if l.blackhole {
		return base, nil
	}
	if l.cur == nil || cap(l.cur.buf)-len(l.cur.buf) < len(batch) {
		size := minSegment
		if l.cur != nil {
			size = min(2*cap(l.cur.buf), maxSegment)
		}
		l.cur = &segment{buf: make([]byte, 0, max(size, len(batch)))}
	}
	pos := len(l.cur.buf)
	l.cur.buf = append(l.cur.buf, batch...)
	l.batches = append(l.batches, storedBatch{
		base:  base,
		last:  l.end - 1,
		seg:   l.cur,
		pos:   pos,
		size:  len(batch),
		maxTs: maxTs,
		epoch: epoch,
	})
	return base, l.cur.buf[pos : pos+len(batch) : pos+len(batch)]
}

// find returns the index of the first stored batch whose last offset is at
// or after off, or len(batches).
func (l *partitionLog) find(off int64) int {
	return sort.Search(len(l.batches), func(i int) bool { return l.batches[i].last >= off })
}

// read returns what a fetch at offset off gets: the bytes of the batch
// holding off and of the batches after it, up to maxBytes, stopping at the
// end of a segment and before any batch starting at or after limit (the
// high watermark, or the last stable offset for read_committed). As on
// Kafka, the last batch is cut off where maxBytes ends, leaving a partial
// batch the client discards, unless it is the first: with minOne (KIP-74,
// the first partition of a response with data) the first batch is returned
// whole even when larger than maxBytes. The result aliases the log.
func (l *partitionLog) read(off int64, maxBytes int, minOne bool, limit int64) []byte {
	i := l.find(off)
	if i == len(l.batches) || l.batches[i].base >= limit || maxBytes <= 0 && !minOne {
		return nil
	}
	first := &l.batches[i]
	if first.size > maxBytes {
		if minOne {
			return first.bytes()
		}
		return first.seg.buf[first.pos : first.pos+maxBytes : first.pos+maxBytes]
	}
	end := first.pos + first.size
	for j := i + 1; j < len(l.batches); j++ {
		b := &l.batches[j]
		if b.seg != first.seg || b.base >= limit {
			break
		}
		if b.pos+b.size-first.pos > maxBytes {
			end = first.pos + maxBytes
			break
		}
		end = b.pos + b.size
	}
	return first.seg.buf[first.pos:end:end]
}

// truncateBefore moves the log start offset to off (never backwards) and
// drops the batches entirely below it. The caller has checked off <= end.
func (l *partitionLog) truncateBefore(off int64) {
	if off <= l.start {
		return
	}
	l.start = off
	i := l.find(off)
	if i == 0 {
		return
	}
	// Copy the index rather than reslicing, so dropped entries (and their
	// segments) can be collected.
	l.batches = append([]storedBatch(nil), l.batches[i:]...)
}

// batchesFrom returns the index entries of the batches holding offsets at
// or after off. The entries alias the log; callers copy what they keep.
func (l *partitionLog) batchesFrom(off int64) []storedBatch {
	return l.batches[l.find(off):]
}

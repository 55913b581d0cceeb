package accumulator

// deque is a ring buffer of batches: one partition's queue. Appends go to
// the back, the sender takes from the front, retries go back to the front.
// Its capacity is a power of two, so indexing is a mask rather than a
// division (back() is on the append path). It is not safe for concurrent
// use; the partition's mutex guards it.
type deque struct {
	buf  []*Batch
	head int
	n    int
}

func (d *deque) len() int { return d.n }

func (d *deque) at(i int) *Batch { return d.buf[d.slot(i)] }

// slot is the buffer index of element i.
func (d *deque) slot(i int) int { return (d.head + i) & (len(d.buf) - 1) }

func (d *deque) front() *Batch {
	if d.n == 0 {
		return nil
	}
	return d.buf[d.head]
}

func (d *deque) back() *Batch {
	if d.n == 0 {
		return nil
	}
	return d.at(d.n - 1)
}

func (d *deque) grow() {
	if d.n < len(d.buf) {
		return
	}
	nb := make([]*Batch, max(4, 2*len(d.buf))) // stays a power of two
	for i := 0; i < d.n; i++ {
		nb[i] = d.at(i)
	}
	d.buf, d.head = nb, 0
}

func (d *deque) pushBack(b *Batch) {
	d.grow()
	d.buf[d.slot(d.n)] = b
	d.n++
}

func (d *deque) pushFront(b *Batch) {
	d.grow()
	d.head = (d.head - 1) & (len(d.buf) - 1)
	d.buf[d.head] = b
	d.n++
}

func (d *deque) popFront() *Batch {
	if d.n == 0 {
		return nil
	}
	b := d.buf[d.head]
	d.buf[d.head] = nil
	d.head = (d.head + 1) & (len(d.buf) - 1)
	d.n--
	return b
}

// insert puts b at index i (0 = front), shifting the batches behind it.
func (d *deque) insert(i int, b *Batch) {
	if i <= 0 {
		d.pushFront(b)
		return
	}
	d.pushBack(b)
	for j := d.n - 1; j > i; j-- {
		d.buf[d.slot(j)] = d.at(j - 1)
	}
	d.buf[d.slot(i)] = b
}

// remove takes b out of the deque, wherever it is, and reports whether it
// was there.
func (d *deque) remove(b *Batch) bool {
	for i := 0; i < d.n; i++ {
		if d.at(i) != b {
			continue
		}
		for j := i; j < d.n-1; j++ {
			d.buf[d.slot(j)] = d.at(j + 1)
		}
		d.buf[d.slot(d.n-1)] = nil
		d.n--
		return true
	}
	return false
}

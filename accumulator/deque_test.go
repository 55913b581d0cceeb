package accumulator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// contents lists the deque front to back, by batch id.
func contents(d *deque) []uint64 {
	var ids []uint64
	for i := 0; i < d.len(); i++ {
		ids = append(ids, d.at(i).id)
	}
	return ids
}

func TestDeque(t *testing.T) {
	mk := func(id uint64) *Batch { return &Batch{id: id} }
	var d deque
	assert.Nil(t, d.front())
	assert.Nil(t, d.back())
	assert.Nil(t, d.popFront())
	assert.False(t, d.remove(mk(0)))

	// Wrap around the ring several times while growing.
	next := uint64(0)
	var model []uint64
	for round := range 50 {
		for range round%7 + 1 {
			d.pushBack(mk(next))
			model = append(model, next)
			next++
		}
		if round%3 == 0 {
			b := mk(next)
			next++
			d.pushFront(b)
			model = append([]uint64{b.id}, model...)
		}
		for range round % 4 {
			b := d.popFront()
			require.NotNil(t, b)
			assert.Equal(t, model[0], b.id)
			model = model[1:]
		}
		if round%5 == 0 && len(model) > 2 {
			b := mk(next)
			next++
			d.insert(2, b)
			model = append(model[:2], append([]uint64{b.id}, model[2:]...)...)
		}
		if round%6 == 0 && len(model) > 3 {
			victim := d.at(len(model) / 2)
			require.True(t, d.remove(victim))
			i := len(model) / 2
			model = append(model[:i], model[i+1:]...)
		}
		require.Equal(t, model, contents(&d), "round %d", round)
		assert.Equal(t, len(model), d.len())
		assert.Zero(t, len(d.buf)&(len(d.buf)-1), "capacity %d is a power of two", len(d.buf))
	}
	assert.Equal(t, model[0], d.front().id)
	assert.Equal(t, model[len(model)-1], d.back().id)
	b := mk(999)
	d.insert(0, b)
	assert.Same(t, b, d.front())
}

package producer

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGoroutineID(t *testing.T) {
	id := goroutineID()
	assert.NotZero(t, id)
	assert.Equal(t, id, goroutineID())
	other := make(chan uint64)
	go func() { other <- goroutineID() }()
	assert.NotEqual(t, id, <-other)
	var g callbackGuard
	assert.False(t, g.onSender(), "before the sender starts")
	g.enter()
	assert.True(t, g.onSender())
	go func() { other <- map[bool]uint64{true: 1}[g.onSender()] }()
	assert.Zero(t, <-other)
}

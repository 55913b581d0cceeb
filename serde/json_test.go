package serde

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type order struct {
	ID     string   `json:"id"`
	Amount int64    `json:"amount"`
	Tags   []string `json:"tags,omitempty"`
}

func TestJSONStruct(t *testing.T) {
	s := JSON[order]()
	b, err := s.Serialize("orders", nil, order{ID: "o-1", Amount: 250})
	require.NoError(t, err)
	assert.Equal(t, `{"id":"o-1","amount":250}`, string(b))

	v, err := s.Deserialize("orders", nil, []byte(`{"id":"o-2","amount":7,"tags":["a"],"extra":true}`))
	require.NoError(t, err)
	assert.Equal(t, order{ID: "o-2", Amount: 7, Tags: []string{"a"}}, v)

	_, isAppender := s.(AppendSerializer[order])
	assert.False(t, isAppender, "JSON does not claim an allocation-free path it cannot keep")
}

func TestJSONTombstones(t *testing.T) {
	t.Run("nil pointer is null", func(t *testing.T) {
		b, err := JSON[*order]().Serialize("orders", nil, nil)
		require.NoError(t, err)
		assert.Nil(t, b)
	})
	t.Run("non-nil pointer is encoded", func(t *testing.T) {
		b, err := JSON[*order]().Serialize("orders", nil, &order{ID: "x"})
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"x","amount":0}`, string(b))
	})
	t.Run("nil interface is null", func(t *testing.T) {
		b, err := JSON[any]().Serialize("t", nil, nil)
		require.NoError(t, err)
		assert.Nil(t, b)
	})
	t.Run("interface holding a nil pointer is null", func(t *testing.T) {
		var p *order
		b, err := JSON[any]().Serialize("t", nil, p)
		require.NoError(t, err)
		assert.Nil(t, b)
	})
	t.Run("nil map and slice are JSON null, not tombstones", func(t *testing.T) {
		b, err := JSON[map[string]int]().Serialize("t", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, []byte("null"), b)
		b, err = JSON[[]int]().Serialize("t", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, []byte("null"), b)
	})
	t.Run("null bytes give the zero value", func(t *testing.T) {
		p, err := JSON[*order]().Deserialize("orders", nil, nil)
		require.NoError(t, err)
		assert.Nil(t, p)
		v, err := JSON[order]().Deserialize("orders", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, order{}, v)
	})
	t.Run("JSON null gives a nil pointer", func(t *testing.T) {
		p, err := JSON[*order]().Deserialize("orders", nil, []byte("null"))
		require.NoError(t, err)
		assert.Nil(t, p)
	})
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		as   any
	}{
		{"empty is not null", "", new(*json.SyntaxError)},
		{"syntax", `{"id":`, new(*json.SyntaxError)},
		{"type mismatch", `{"amount":"ten"}`, new(*json.UnmarshalTypeError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := JSON[order]().Deserialize("orders", nil, []byte(tt.data))
			require.Error(t, err)
			assert.Equal(t, order{}, v, "zero value on error")
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "orders", se.Topic)
			assert.Equal(t, OpDeserialize, se.Op)
			assert.ErrorAs(t, err, tt.as)
		})
	}

	t.Run("unsupported type on serialize", func(t *testing.T) {
		b, err := JSON[chan int]().Serialize("t", nil, make(chan int))
		assert.Nil(t, b)
		var se *Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, OpSerialize, se.Op)
		assert.ErrorAs(t, err, new(*json.UnsupportedTypeError))
	})
	t.Run("unsupported value on serialize", func(t *testing.T) {
		_, err := JSON[float64]().Serialize("t", nil, 1/zero())
		assert.ErrorAs(t, err, new(*json.UnsupportedValueError))
	})
}

// zero defeats constant folding so 1/zero() is +Inf at run time.
func zero() float64 { return 0 }

func TestJSONRoundTripTypes(t *testing.T) {
	check := func(t *testing.T, got, want any, err error) {
		t.Helper()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	t.Run("map", func(t *testing.T) {
		s := JSON[map[string]int]()
		b, err := s.Serialize("t", nil, map[string]int{"b": 2, "a": 1})
		require.NoError(t, err)
		assert.Equal(t, `{"a":1,"b":2}`, string(b), "encoding/json sorts map keys")
		v, err := s.Deserialize("t", nil, b)
		check(t, v, map[string]int{"a": 1, "b": 2}, err)
	})
	t.Run("slice of pointers", func(t *testing.T) {
		s := JSON[[]*order]()
		in := []*order{{ID: "a"}, nil}
		b, err := s.Serialize("t", nil, in)
		require.NoError(t, err)
		v, err := s.Deserialize("t", nil, b)
		check(t, v, in, err)
	})
	t.Run("html is escaped as encoding/json does", func(t *testing.T) {
		b, err := JSON[string]().Serialize("t", nil, "<a&b>")
		require.NoError(t, err)
		assert.Equal(t, `"\u003ca\u0026b\u003e"`, string(b))
	})
	t.Run("concurrent use", func(t *testing.T) {
		s := JSON[order]()
		done := make(chan error)
		for i := range 4 {
			go func() {
				var err error
				for j := range 200 {
					want := order{ID: fmt.Sprint(i, "-", j), Amount: int64(j)}
					b, e := s.Serialize("t", nil, want)
					if e != nil {
						err = e
						break
					}
					got, e := s.Deserialize("t", nil, b)
					if e != nil || got.ID != want.ID || got.Amount != want.Amount {
						err = fmt.Errorf("round trip of %v gave %v, %v", want, got, e)
						break
					}
				}
				done <- err
			}()
		}
		for range 4 {
			assert.NoError(t, <-done)
		}
	})
}

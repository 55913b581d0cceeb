package kerr

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorString(t *testing.T) {
	assert.Equal(t, "REQUEST_TIMED_OUT (7): The request timed out.", RequestTimedOut.Error())
	assert.Equal(t, "UNKNOWN_SERVER_ERROR (-1): The server experienced an unexpected error when processing the request.", UnknownServerError.Error())
	assert.Contains(t, ForCode(999).Error(), "UNKNOWN_ERROR_CODE_999 (999): ")

	var nilErr *Error
	assert.Equal(t, "kerr: <nil>", nilErr.Error())
}

func TestNotLeaderForPartitionAlias(t *testing.T) {
	assert.Same(t, NotLeaderOrFollower, NotLeaderForPartition)
	assert.ErrorIs(t, fmt.Errorf("x: %w", NotLeaderOrFollower), NotLeaderForPartition)
}

func TestErrorsIsThroughWrapping(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"direct", NotLeaderOrFollower, NotLeaderOrFollower, true},
		{"wrapped", fmt.Errorf("produce to orders-3: %w", NotLeaderOrFollower), NotLeaderOrFollower, true},
		{"wrapped twice", fmt.Errorf("send: %w", fmt.Errorf("produce to orders-3: %w", NotLeaderOrFollower)), NotLeaderOrFollower, true},
		{"joined", errors.Join(io.EOF, fmt.Errorf("p1: %w", UnknownTopicOrPartition)), UnknownTopicOrPartition, true},
		{"multiple %w", fmt.Errorf("%w and %w", io.EOF, RequestTimedOut), RequestTimedOut, true},
		{"other code", fmt.Errorf("x: %w", NotLeaderOrFollower), UnknownTopicOrPartition, false},
		{"not wrapped with %w", fmt.Errorf("x: %v", NotLeaderOrFollower), NotLeaderOrFollower, false},
		{"same code built elsewhere", &Error{Name: "NOT_LEADER_OR_FOLLOWER", Code: 6}, NotLeaderOrFollower, true},
		{"unknown code matches itself", fmt.Errorf("x: %w", ForCode(999)), ForCode(999), true},
		{"unknown codes differ", ForCode(999), ForCode(998), false},
		{"unknown is not UNKNOWN_SERVER_ERROR", ForCode(999), UnknownServerError, false},
		{"plain error target", NotLeaderOrFollower, io.EOF, false},
		{"typed nil target", NotLeaderOrFollower, (*Error)(nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, errors.Is(tt.err, tt.target))
		})
	}
}

func TestErrorsAs(t *testing.T) {
	err := fmt.Errorf("commit group g1: %w", RebalanceInProgress)
	var ke *Error
	require.ErrorAs(t, err, &ke)
	assert.Same(t, RebalanceInProgress, ke)
	assert.Equal(t, int16(27), ke.Code)
}

func TestForCodeUnknown(t *testing.T) {
	assert.Nil(t, ForCode(0), "NONE has no error value")

	for _, code := range []int16{-32768, -3, -2, 134, 135, 999, 32767} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			e := ForCode(code)
			require.NotNil(t, e)
			assert.Equal(t, code, e.Code)
			assert.Equal(t, fmt.Sprintf("UNKNOWN_ERROR_CODE_%d", code), e.Name)
			assert.False(t, e.Retriable)
			assert.False(t, IsRetriable(fmt.Errorf("x: %w", e)))
			assert.NotEmpty(t, e.Description)
			assert.Equal(t, code, CodeOf(fmt.Errorf("x: %w", e)))
			assert.Same(t, (*Error)(nil), ForName("NONE"))
			assert.ErrorIs(t, ForName(e.Name), e, "the name ForCode gives round-trips")
		})
	}
}

// TestForCodeEveryInt16 runs every possible wire value through ForCode and
// back, so no input can make it panic or misreport its code.
func TestForCodeEveryInt16(t *testing.T) {
	for c := math.MinInt16; c <= math.MaxInt16; c++ {
		code := int16(c)
		e := ForCode(code)
		if code == 0 {
			require.Nil(t, e)
			continue
		}
		require.NotNil(t, e, "code %d", code)
		require.Equal(t, code, e.Code)
		require.True(t, errors.Is(ForName(e.Name), e), "code %d name %s", code, e.Name)
	}
}

func TestForCodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				code := int16(g*2000 + i - 8000)
				e := ForCode(code)
				if code == 0 {
					assert.Nil(t, e)
					continue
				}
				if assert.NotNil(t, e) {
					assert.Equal(t, code, e.Code)
				}
			}
		})
	}
	wg.Wait()
}

func TestForName(t *testing.T) {
	tests := []struct {
		name string
		want *Error
	}{
		{"NOT_LEADER_OR_FOLLOWER", NotLeaderOrFollower},
		{"UNKNOWN_SERVER_ERROR", UnknownServerError},
		{"SHARE_SESSION_LIMIT_REACHED", ShareSessionLimitReached},
		{"NOT_LEADER_FOR_PARTITION", NotLeaderOrFollower},
		{"UNKNOWN", UnknownServerError},
		{"GROUP_LOAD_IN_PROGRESS", CoordinatorLoadInProgress},
		{"GROUP_COORDINATOR_NOT_AVAILABLE", CoordinatorNotAvailable},
		{"NOT_COORDINATOR_FOR_GROUP", NotCoordinator},
		{"NONE", nil},
		{"", nil},
		{"not_leader_or_follower", nil},
		{" NOT_LEADER_OR_FOLLOWER", nil},
		{"NotLeaderOrFollower", nil},
		{"UNKNOWN_ERROR_CODE_", nil},
		{"UNKNOWN_ERROR_CODE_0", nil},
		{"UNKNOWN_ERROR_CODE_6", nil},
		{"UNKNOWN_ERROR_CODE_-1", nil},
		{"UNKNOWN_ERROR_CODE_0999", nil},
		{"UNKNOWN_ERROR_CODE_+999", nil},
		{"UNKNOWN_ERROR_CODE_32768", nil},
		{"UNKNOWN_ERROR_CODE_9x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Same(t, tt.want, ForName(tt.name))
		})
	}

	e := ForName("UNKNOWN_ERROR_CODE_-300")
	require.NotNil(t, e)
	assert.Equal(t, int16(-300), e.Code)
	assert.ErrorIs(t, e, ForCode(-300))
}

func TestIsRetriable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", io.EOF, false},
		{"retriable", NotLeaderOrFollower, true},
		{"wrapped retriable", fmt.Errorf("produce to orders-3: %w", NotLeaderOrFollower), true},
		{"wrapped non-retriable", fmt.Errorf("produce to orders-3: %w", MessageTooLarge), false},
		{"joined retriable", errors.Join(io.EOF, fmt.Errorf("x: %w", RequestTimedOut)), true},
		{"unknown code", ForCode(1000), false},
		{"typed nil", (*Error)(nil), false},
		{"message only", errors.New(NotLeaderOrFollower.Error()), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsRetriable(tt.err))
		})
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int16
	}{
		{"nil", nil, 0},
		{"plain error", io.EOF, -1},
		{"sentinel", FencedInstanceID, 82},
		{"wrapped", fmt.Errorf("join: %w", MemberIDRequired), 79},
		{"unknown code", ForCode(4242), 4242},
		{"typed nil", (*Error)(nil), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, CodeOf(tt.err))
		})
	}
}

func TestAllReturnsACopy(t *testing.T) {
	a := All()
	a[0] = nil
	assert.Same(t, UnknownServerError, All()[0])
	assert.Same(t, UnknownServerError, ForCode(-1))
}

// asErr converts itself to a *Error through an As method, the way a
// foreign error type may present a Kafka error without wrapping it.
type asErr struct{ code int16 }

func (e asErr) Error() string { return "foreign" }

func (e asErr) As(target any) bool {
	if p, ok := target.(**Error); ok {
		*p = ForCode(e.code)
		return true
	}
	return false
}

// unwrapper wraps one error through an Unwrap method of its own.
type unwrapper struct{ err error }

func (u unwrapper) Error() string { return "wrapper: " + u.err.Error() }
func (u unwrapper) Unwrap() error { return u.err }

// TestFindMatchesErrorsAs checks that IsRetriable and CodeOf see the same
// *Error as errors.As for every shape of error tree.
func TestFindMatchesErrorsAs(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"nil", nil},
		{"plain", io.EOF},
		{"sentinel", RequestTimedOut},
		{"custom unwrapper", unwrapper{fmt.Errorf("x: %w", RequestTimedOut)}},
		{"As method", fmt.Errorf("x: %w", asErr{code: 5})},
		{"As method unknown code", asErr{code: 700}},
		{"join, first wins", errors.Join(io.EOF, MessageTooLarge, RequestTimedOut)},
		{"nested join", errors.Join(errors.Join(io.EOF), fmt.Errorf("%w", errors.Join(NotCoordinator)))},
		{"join without kerr", errors.Join(io.EOF, io.ErrUnexpectedEOF)},
		{"unwrap to nil", unwrapper{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want *Error
			found := errors.As(tt.err, &want)
			got := find(tt.err)
			if !found {
				assert.Nil(t, got)
				assert.False(t, IsRetriable(tt.err))
				return
			}
			assert.True(t, errors.Is(got, want) && errors.Is(want, got), "find = %v, errors.As = %v", got, want)
			assert.Equal(t, want.Retriable, IsRetriable(tt.err))
			assert.Equal(t, want.Code, CodeOf(tt.err))
		})
	}
}

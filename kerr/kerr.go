package kerr

import (
	"errors"
	"strconv"
	"strings"
)

// Error is one error code of the Kafka protocol. The package's sentinels are
// *Error values; compare them with errors.Is, which also matches any other
// *Error carrying the same code (see [Error.Is]). An *Error is immutable by
// convention: never modify one returned by this package.
type Error struct {
	// Name is the protocol name, exactly as the Kafka protocol guide spells
	// it, e.g. "NOT_LEADER_OR_FOLLOWER".
	Name string
	// Code is the int16 sent on the wire.
	Code int16
	// Retriable is the protocol guide's "Retriable" column: whether the
	// Java client treats the error as transient (a RetriableException), so
	// the same request may succeed if sent again, usually after a metadata
	// refresh or a backoff.
	Retriable bool
	// Description is the protocol guide's description of the error.
	Description string
}

// Error returns the name, the code and the description, e.g.
// "REQUEST_TIMED_OUT (7): The request timed out.".
func (e *Error) Error() string {
	if e == nil {
		return "kerr: <nil>"
	}
	return e.Name + " (" + strconv.Itoa(int(e.Code)) + "): " + e.Description
}

// Is reports whether target is an *Error with the same code as e. The
// sentinels are unique per known code, so for them this only adds that a
// value built elsewhere with the same code matches too; it matters for
// unknown codes, for which [ForCode] returns a fresh value on every call:
// errors.Is(ForCode(999), ForCode(999)) holds.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e != nil && t != nil && t.Code == e.Code
}

// NotLeaderForPartition is the name code 6 had before Kafka 2.6 (KIP-392
// renamed it NOT_LEADER_OR_FOLLOWER). It is the same pointer as
// [NotLeaderOrFollower], kept so code written against sarama's or older
// Java clients' vocabulary reads naturally.
var NotLeaderForPartition = NotLeaderOrFollower

// unknownPrefix starts the Name of the *Error for a code not in the table.
const unknownPrefix = "UNKNOWN_ERROR_CODE_"

// byCode indexes all by code+1, so that UNKNOWN_SERVER_ERROR (-1) sits at 0
// and NONE (0) leaves a nil hole at 1. Read-only after initialization.
var byCode = func() []*Error {
	t := make([]*Error, int(all[len(all)-1].Code)+2)
	for _, e := range all {
		t[int(e.Code)+1] = e
	}
	return t
}()

// oldNames maps names the protocol guide used in earlier Kafka releases to
// the code they still denote. Read-only after initialization.
var oldNames = map[string]*Error{
	"UNKNOWN":                         UnknownServerError,
	"NOT_LEADER_FOR_PARTITION":        NotLeaderOrFollower,
	"GROUP_LOAD_IN_PROGRESS":          CoordinatorLoadInProgress,
	"GROUP_COORDINATOR_NOT_AVAILABLE": CoordinatorNotAvailable,
	"NOT_COORDINATOR_FOR_GROUP":       NotCoordinator,
}

// byName indexes all by Name, plus oldNames. Read-only after
// initialization.
var byName = func() map[string]*Error {
	m := make(map[string]*Error, len(all)+len(oldNames))
	for _, e := range all {
		m[e.Name] = e
	}
	for name, e := range oldNames {
		m[name] = e
	}
	return m
}()

// ForCode returns the error for a wire error code: nil for 0 (NONE), the
// package's sentinel for a known code, and for any other code a new *Error
// named "UNKNOWN_ERROR_CODE_<code>" that is not retriable. Unknown codes
// are not cached, so hostile input cannot make the package grow; such
// values still match each other with errors.Is through [Error.Is]. Safe for
// concurrent use; it allocates only for unknown codes.
func ForCode(code int16) *Error {
	if code == 0 {
		return nil
	}
	if i := int(code) + 1; i >= 0 && i < len(byCode) {
		if e := byCode[i]; e != nil {
			return e
		}
	}
	return unknownCode(code)
}

func unknownCode(code int16) *Error {
	return &Error{
		Name:        unknownPrefix + strconv.Itoa(int(code)),
		Code:        code,
		Retriable:   false,
		Description: "The broker returned an error code this client does not know: a code added in a newer Kafka release, or not a Kafka error code at all.",
	}
}

// ForName returns the error with the given protocol name, spelled exactly
// as the protocol guide spells it (case-sensitive): "NOT_LEADER_OR_FOLLOWER"
// gives [NotLeaderOrFollower]. Names earlier Kafka releases used for a code
// (NOT_LEADER_FOR_PARTITION, UNKNOWN, GROUP_LOAD_IN_PROGRESS,
// GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP) are accepted
// too, and so is the "UNKNOWN_ERROR_CODE_<n>" name [ForCode] gives an
// unknown code. It returns nil for "NONE" and for any other name. Safe for
// concurrent use.
func ForName(name string) *Error {
	if e, ok := byName[name]; ok {
		return e
	}
	digits, ok := strings.CutPrefix(name, unknownPrefix)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(digits, 10, 16)
	if err != nil {
		return nil
	}
	// Only the exact name ForCode produces maps back: this rejects
	// "UNKNOWN_ERROR_CODE_6" (a known code), "…_0" (NONE) and
	// non-canonical spellings such as "…_+7" or "…_007".
	if e := ForCode(int16(n)); e != nil && e.Name == name {
		return e
	}
	return nil
}

// IsRetriable reports whether err is, or wraps (with %w, errors.Join or an
// Unwrap method), an *Error that the protocol guide marks retriable. It is
// false for nil, for errors that wrap no *Error and for unknown codes. When
// err wraps several *Error values, the first one errors.As finds decides.
// Safe for concurrent use.
func IsRetriable(err error) bool {
	ke := find(err)
	return ke != nil && ke.Retriable
}

// CodeOf returns the wire error code for err: 0 for nil, the code of the
// first *Error that err is or wraps, and -1 (UNKNOWN_SERVER_ERROR) for any
// other error. A broker uses it to answer a request whose handling failed.
// Safe for concurrent use.
func CodeOf(err error) int16 {
	if err == nil {
		return 0
	}
	if ke := find(err); ke != nil {
		return ke.Code
	}
	return UnknownServerError.Code
}

// find returns the first *Error in err's tree, in the order errors.As
// searches it, or nil. It walks the tree itself because errors.As makes its
// target escape, which would cost an allocation per call on the path every
// failed partition of a response takes; for a node with an As method it
// defers to errors.As, which then gives the same answer it would have given
// for the whole tree.
func find(err error) *Error {
	for err != nil {
		switch x := err.(type) {
		case *Error:
			return x
		case interface{ As(any) bool }:
			var ke *Error
			if errors.As(err, &ke) {
				return ke
			}
			return nil
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if ke := find(e); ke != nil {
					return ke
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// All returns every error code this package knows, in code order, in a new
// slice the caller may modify. NONE is not included. Safe for concurrent
// use.
func All() []*Error {
	out := make([]*Error, len(all))
	copy(out, all[:])
	return out
}

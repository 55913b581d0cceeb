package mockbroker

import (
	"errors"

	"github.com/samsa-go/samsa/kerr"
)

// codeOf returns the Kafka error code err wraps: 0 for nil,
// UNKNOWN_SERVER_ERROR for an error that wraps no kerr value.
func codeOf(err error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	return kerr.UnknownServerError.Code
}

// messageOf returns err's text for a response's error message field, or nil
// for nil.
func messageOf(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

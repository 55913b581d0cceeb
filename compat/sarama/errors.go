package saramacompat

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
	"github.com/samsa-go/samsa/partitioner"
	"github.com/samsa-go/samsa/producer"
)

// Error is an error of samsa translated into the sarama error a sarama
// program tests for. errors.Is matches both Sarama (e.g.
// sarama.ErrOutOfBrokers) and the samsa error it came from (e.g.
// samsa.ErrNoBrokers), so programs written against either keep working.
//
// Broker error codes are not wrapped in an Error: they are returned as the
// bare sarama.KError sarama itself returns, so that both errors.Is and ==
// comparisons (err == sarama.ErrNotLeaderForPartition) hold.
type Error struct {
	// Sarama is the sarama sentinel the error stands for.
	Sarama error
	// Cause is the error samsa reported.
	Cause error
}

// Error returns sarama's message followed by samsa's cause.
func (e *Error) Error() string { return e.Sarama.Error() + ": " + e.Cause.Error() }

// Unwrap returns the sarama sentinel and samsa's cause.
func (e *Error) Unwrap() []error { return []error{e.Sarama, e.Cause} }

// toSarama translates an error of samsa into the one sarama would return in
// the same situation. fallback is used for an error that has no sarama
// counterpart other than itself (nil: return it unchanged).
func toSarama(err error) error {
	if err == nil {
		return nil
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return sarama.KError(ke.Code)
	}
	var me *producer.MetadataError
	switch {
	case errors.As(err, &me):
		// sarama gives up on a topic's metadata after its metadata retries
		// with the last topic error, or with no partitions at all.
		return &Error{Sarama: sarama.ErrUnknownTopicOrPartition, Cause: err}
	case errors.Is(err, samsa.ErrClosed):
		return &Error{Sarama: sarama.ErrShuttingDown, Cause: err}
	case errors.Is(err, partitioner.ErrInvalidPartition):
		return &Error{Sarama: sarama.ErrInvalidPartition, Cause: err}
	case errors.Is(err, samsa.ErrInvalidTopic):
		return &Error{Sarama: sarama.ErrInvalidTopic, Cause: err}
	case errors.Is(err, samsa.ErrNoBrokers):
		return &Error{Sarama: sarama.ErrOutOfBrokers, Cause: err}
	case errors.Is(err, samsa.ErrRecordTooLarge):
		return &Error{Sarama: sarama.ErrMessageSizeTooLarge, Cause: err}
	case errors.Is(err, samsa.ErrConnectionClosed), errors.Is(err, samsa.ErrRequestTimeout):
		return &Error{Sarama: sarama.ErrOutOfBrokers, Cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Sarama: sarama.ErrRequestTimedOut, Cause: err}
	}
	return err
}

// refuse returns the configuration error for a field of sarama.Config that
// saramacompat cannot honour.
func refuse(field, reason string) error {
	return sarama.ConfigurationError(fmt.Sprintf("saramacompat cannot honour %s: %s", field, reason))
}

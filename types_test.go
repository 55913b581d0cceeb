package samsa

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateTopic(t *testing.T) {
	valid := []string{"a", "orders", "orders.v1", "my_topic-2", strings.Repeat("x", MaxTopicNameLength)}
	for _, name := range valid {
		if err := ValidateTopic(name); err != nil {
			t.Errorf("ValidateTopic(%q) = %v, want nil", name, err)
		}
	}
	invalid := []string{"", ".", "..", "with space", "slash/topic", "ünïcode", strings.Repeat("x", MaxTopicNameLength+1)}
	for _, name := range invalid {
		err := ValidateTopic(name)
		if !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("ValidateTopic(%q) = %v, want ErrInvalidTopic", name, err)
		}
	}
}

func TestTopicPartitionString(t *testing.T) {
	if got := (TopicPartition{Topic: "orders", Partition: 7}).String(); got != "orders-7" {
		t.Errorf("String() = %q", got)
	}
}

func TestConfigErrorMessage(t *testing.T) {
	err := &ConfigError{Option: "producer.WithLinger", Value: -1, Reason: "must not be negative"}
	if got := err.Error(); !strings.Contains(got, "producer.WithLinger = -1") || !strings.HasPrefix(got, "samsa: ") {
		t.Errorf("Error() = %q", got)
	}
}

package samsa

import "fmt"

// MaxTopicNameLength is the longest topic name Kafka accepts.
const MaxTopicNameLength = 249

// ValidateTopic reports whether name is a legal Kafka topic name, with the
// broker's rules: 1 to 249 characters from [a-zA-Z0-9._-], and neither "."
// nor "..". The error wraps ErrInvalidTopic.
func ValidateTopic(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: the name is empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is reserved", ErrInvalidTopic, name)
	case len(name) > MaxTopicNameLength:
		return fmt.Errorf("%w: %d characters, the limit is %d", ErrInvalidTopic, len(name), MaxTopicNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			continue
		}
		return fmt.Errorf("%w: %q has the character %q at byte %d; only ASCII letters, digits, '.', '_' and '-' are allowed", ErrInvalidTopic, name, c, i)
	}
	return nil
}

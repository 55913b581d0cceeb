package kerr_test

import (
	"errors"
	"fmt"

	"github.com/samsa-go/samsa/kerr"
)

// A broker answers a produce request with error code 6 for one partition.
// The layer that decodes the response wraps the kerr value with context;
// the caller tests for it with errors.Is and decides whether to retry.
func Example() {
	var wireCode int16 = 6 // from the produce response, partition orders-3

	err := fmt.Errorf("produce to orders-3: %w", kerr.ForCode(wireCode))

	fmt.Println(errors.Is(err, kerr.NotLeaderOrFollower))
	fmt.Println(errors.Is(err, kerr.NotLeaderForPartition))
	fmt.Println(kerr.IsRetriable(err))
	fmt.Println(kerr.CodeOf(err))
	// Output:
	// true
	// true
	// true
	// 6
}

func ExampleForCode() {
	fmt.Println(kerr.ForCode(0) == nil)
	fmt.Println(kerr.ForCode(3).Name)
	fmt.Println(kerr.ForCode(10))

	unknown := kerr.ForCode(9000)
	fmt.Println(unknown.Name, unknown.Retriable)
	fmt.Println(errors.Is(unknown, kerr.ForCode(9000)))
	// Output:
	// true
	// UNKNOWN_TOPIC_OR_PARTITION
	// MESSAGE_TOO_LARGE (10): The request included a message larger than the max message size the server will accept.
	// UNKNOWN_ERROR_CODE_9000 false
	// true
}

func ExampleForName() {
	fmt.Println(kerr.ForName("REBALANCE_IN_PROGRESS").Code)
	fmt.Println(kerr.ForName("NOT_LEADER_FOR_PARTITION") == kerr.NotLeaderOrFollower)
	fmt.Println(kerr.ForName("NO_SUCH_ERROR") == nil)
	// Output:
	// 27
	// true
	// true
}

func ExampleIsRetriable() {
	for _, err := range []error{
		fmt.Errorf("fetch orders-0: %w", kerr.LeaderNotAvailable),
		fmt.Errorf("produce orders-0: %w", kerr.MessageTooLarge),
		errors.New("some other failure"),
	} {
		fmt.Println(kerr.IsRetriable(err))
	}
	// Output:
	// true
	// false
	// false
}

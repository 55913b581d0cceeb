package partitioner_test

import (
	"errors"
	"fmt"

	"github.com/samsa-go/samsa/partitioner"
)

// The producer asks the partitioner only for records without an explicit
// partition; keyed records land where the Java client puts them.
func ExampleResolve() {
	p, err := partitioner.Default(16384)
	if err != nil {
		panic(err)
	}
	parts := partitioner.Partitions{Count: 100}

	keyed, _ := partitioner.Resolve(p, "orders", partitioner.NoPartition, []byte("foo"), nil, parts)
	explicit, _ := partitioner.Resolve(p, "orders", 7, []byte("foo"), nil, parts)
	_, err = partitioner.Resolve(p, "orders", 100, nil, nil, parts)

	fmt.Println(keyed, explicit, errors.Is(err, partitioner.ErrInvalidPartition))
	// Output: 16 7 true
}

// A sarama program keeps its key placement with the sarama partitioners.
func ExampleSaramaHash() {
	p := partitioner.SaramaHash()
	fmt.Println(p.Partition("orders", []byte("order:12345"), nil, partitioner.Partitions{Count: 100}))
	// Output: 90
}

func ExampleMurmur2Hash() {
	fmt.Println(partitioner.Murmur2Hash([]byte("21")))
	// Output: -973932308
}

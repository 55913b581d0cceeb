package saramacompat

import "github.com/IBM/sarama"

// nonTransactional supplies the transaction methods of sarama.AsyncProducer
// and sarama.SyncProducer for producers without transactions, which is
// every saramacompat producer: each reports false or fails with
// sarama.ErrNonTransactedProducer, as sarama's producer does without a
// transactional id. Both producers embed it; it has no state.
type nonTransactional struct{}

// IsTransactional reports false: saramacompat has no transactions yet.
func (nonTransactional) IsTransactional() bool { return false }

// BeginTxn returns sarama.ErrNonTransactedProducer.
func (nonTransactional) BeginTxn() error { return sarama.ErrNonTransactedProducer }

// CommitTxn returns sarama.ErrNonTransactedProducer.
func (nonTransactional) CommitTxn() error { return sarama.ErrNonTransactedProducer }

// AbortTxn returns sarama.ErrNonTransactedProducer.
func (nonTransactional) AbortTxn() error { return sarama.ErrNonTransactedProducer }

// AddOffsetsToTxn returns sarama.ErrNonTransactedProducer.
func (nonTransactional) AddOffsetsToTxn(map[string][]*sarama.PartitionOffsetMetadata, string) error {
	return sarama.ErrNonTransactedProducer
}

// AddOffsetsToTxnWithGroupMetadata returns sarama.ErrNonTransactedProducer.
func (nonTransactional) AddOffsetsToTxnWithGroupMetadata(map[string][]*sarama.PartitionOffsetMetadata, *sarama.ConsumerGroupMetadata) error {
	return sarama.ErrNonTransactedProducer
}

// AddMessageToTxn returns sarama.ErrNonTransactedProducer.
func (nonTransactional) AddMessageToTxn(*sarama.ConsumerMessage, string, *string) error {
	return sarama.ErrNonTransactedProducer
}

// AddMessageToTxnWithGroupMetadata returns sarama.ErrNonTransactedProducer.
func (nonTransactional) AddMessageToTxnWithGroupMetadata(*sarama.ConsumerMessage, *sarama.ConsumerGroupMetadata, *string) error {
	return sarama.ErrNonTransactedProducer
}

// txnStatus is sarama's status of a producer without a transactional id:
// Ready once an idempotent producer has its producer id, Uninitialized for
// one that is not idempotent.
func txnStatus(c *producerCore) sarama.ProducerTxnStatusFlag {
	if c.set.idempotent {
		return sarama.ProducerTxnFlagReady
	}
	return sarama.ProducerTxnFlagUninitialized
}

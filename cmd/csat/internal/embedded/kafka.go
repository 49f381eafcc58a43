package embedded

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kafka is an in-process Kafka-protocol broker (franz-go's kfake), holding its data in memory.
type Kafka struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string
	c       *kfake.Cluster
}

// StartKafka starts a one-broker cluster on a free loopback port with the given topics, each with
// partitions partitions.
func StartKafka(partitions int, topics ...string) (*Kafka, error) {
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(0),
		kfake.SeedTopics(int32(partitions), topics...),
		kfake.DefaultNumPartitions(partitions),
		kfake.AllowAutoTopicCreation(),
	)
	if err != nil {
		return nil, fmt.Errorf("start in-process kafka: %w", err)
	}
	return &Kafka{Brokers: c.ListenAddrs(), c: c}, nil
}

// Stop closes the broker. It is idempotent.
func (k *Kafka) Stop() {
	if k != nil && k.c != nil {
		k.c.Close()
		k.c = nil
	}
}

package traffic

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Unique returns prefix followed by a random suffix, for topic names and group ids.
func Unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Create creates the topics on the controller and waits for their leaders. Existing topics are
// left as they are.
func Create(ctx context.Context, brokers []string, partitions int, topics ...string) error {
	ctrl, err := controller(ctx, brokers)
	if err != nil {
		return err
	}
	defer ctrl.Close()
	cfgs := make([]kafka.TopicConfig, len(topics))
	for i, tp := range topics {
		cfgs[i] = kafka.TopicConfig{
			Topic: tp, NumPartitions: partitions, ReplicationFactor: 1,
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: "4194304"}},
		}
	}
	if err := ctrl.CreateTopics(cfgs...); err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create topics: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, tp := range topics {
		for {
			parts, err := ctrl.ReadPartitions(tp)
			ok := err == nil && len(parts) == partitions
			for _, p := range parts {
				if p.Leader.ID < 0 || p.Leader.Host == "" {
					ok = false
				}
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("topic %s: partitions not ready after 30s (%v)", tp, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The controller knows the topics; wait until the brokers' metadata does too.
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	for {
		meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
		ok := err == nil && len(meta.Topics) == len(topics)
		if ok {
			for _, tp := range meta.Topics {
				if tp.Error != nil || len(tp.Partitions) != partitions {
					ok = false
					break
				}
				for _, p := range tp.Partitions {
					if p.Error != nil || p.Leader.ID < 0 {
						ok = false
					}
				}
			}
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topics %v: metadata not ready after 30s (%v)", topics, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Delete deletes the topics.
func Delete(ctx context.Context, brokers []string, topics ...string) error {
	ctrl, err := controller(ctx, brokers)
	if err != nil {
		return err
	}
	defer ctrl.Close()
	return ctrl.DeleteTopics(topics...)
}

func controller(ctx context.Context, brokers []string) (*kafka.Conn, error) {
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return nil, fmt.Errorf("dial kafka %s: %w", brokers[0], err)
	}
	defer conn.Close()
	c, err := conn.Controller()
	if err != nil {
		return nil, fmt.Errorf("find controller: %w", err)
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	ctrl, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial controller %s: %w", addr, err)
	}
	return ctrl, nil
}

// NewWriter returns a fast synchronous writer (acks=all) that places messages by the
// Partition they name when the Balancer is PartitionBalancer, else by key hash.
func NewWriter(brokers []string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    5000,
		BatchBytes:   8 << 20,
		BatchTimeout: 5 * time.Millisecond,
	}
}

// PartitionBalancer sends each message to the partition its Partition field names. kafka-go's
// Writer ignores Message.Partition unless the balancer honours it.
type PartitionBalancer struct{}

// Balance implements kafka.Balancer.
func (PartitionBalancer) Balance(msg kafka.Message, partitions ...int) int {
	for _, p := range partitions {
		if p == msg.Partition {
			return p
		}
	}
	return partitions[0]
}

// EndOffsets returns the end offset (high-water mark) of every partition of each topic.
func EndOffsets(ctx context.Context, brokers []string, topics ...string) (map[string]map[int]int64, error) {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, tp := range meta.Topics {
		if tp.Error != nil {
			return nil, fmt.Errorf("metadata of %s: %w", tp.Name, tp.Error)
		}
		for _, p := range tp.Partitions {
			req.Topics[tp.Name] = append(req.Topics[tp.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	res, err := client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	out := map[string]map[int]int64{}
	for tp, parts := range res.Topics {
		out[tp] = map[int]int64{}
		for _, p := range parts {
			if p.Error != nil {
				return nil, fmt.Errorf("list offsets of %s/%d: %w", tp, p.Partition, p.Error)
			}
			out[tp][p.Partition] = p.LastOffset
		}
	}
	return out, nil
}

// ReadAll reads every message of every partition of topic from the start up to its end offset
// as of the call.
func ReadAll(ctx context.Context, brokers []string, topic string) ([]kafka.Message, error) {
	ends, err := EndOffsets(ctx, brokers, topic)
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for p, end := range ends[topic] {
		if end == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p,
			MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				_ = r.Close()
				return nil, fmt.Errorf("read %s/%d: %w", topic, p, err)
			}
			out = append(out, m)
			if m.Offset+1 >= end {
				break
			}
		}
		if err := r.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

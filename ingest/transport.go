package ingest

import "github.com/segmentio/kafka-go"

// KafkaTransport returns a kafka-go transport with the TLS and SASL settings of c, for the
// producers of other commands (gen, publish, import, demo).
func (c Config) KafkaTransport() (*kafka.Transport, error) {
	_, t, err := c.kafkaClients()
	return t, err
}

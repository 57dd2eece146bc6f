"""producer.py: a Python camera producer on confluent-kafka at its default settings, with its
AvroSerializer against the Schema Registry, for integration_foreign_test.go.

    python producer.py BOOTSTRAP REGISTRY_URL TOPIC SCHEMA_FILE < frames

Each stdin line is a JSON frame: camera_id, user_id, seq, captured_at_us, content_type, width,
height and image_b64. Each becomes a dict for the schema (Frame.avsc), serialized by
AvroSerializer (which registers the schema under TOPIC-value, or finds it there) and produced with
the camera id as its key through librdkafka's default partitioner (consistent_random: CRC32 of
the key). For each record it prints "ack KEY PARTITION OFFSET" once all are acknowledged.
"""

import base64
import datetime
import json
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def main():
    bootstrap, registry_url, topic, schema_file = sys.argv[1:5]
    with open(schema_file, encoding="utf-8") as f:
        schema = f.read()
    serialize = AvroSerializer(SchemaRegistryClient({"url": registry_url}), schema)
    producer = Producer({"bootstrap.servers": bootstrap})
    acks, errors = [], []

    def delivered(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acks.append((msg.key().decode(), msg.partition(), msg.offset()))

    for line in sys.stdin:
        if not line.strip():
            continue
        frame = json.loads(line)
        value = serialize(
            {
                "camera_id": frame["camera_id"],
                "user_id": frame["user_id"],
                "seq": frame["seq"],
                "captured_at": EPOCH + datetime.timedelta(microseconds=frame["captured_at_us"]),
                "content_type": frame["content_type"],
                "width": frame["width"],
                "height": frame["height"],
                "image": base64.b64decode(frame["image_b64"]),
                "attributes": {"producer": "python confluent-kafka"},
            },
            SerializationContext(topic, MessageField.VALUE),
        )
        producer.produce(topic, key=frame["camera_id"], value=value, on_delivery=delivered)
        producer.poll(0)
    left = producer.flush(60)
    if left or errors:
        sys.exit(f"producer: {left} records not delivered, errors: {errors}")
    for key, partition, offset in acks:
        print(f"ack {key} {partition} {offset}")


if __name__ == "__main__":
    main()

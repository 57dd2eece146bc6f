// Producer.java: a Java camera producer on Kafka's own client at its default settings, for
// integration_foreign_test.go.
//
//   java -cp '.deps/kafka/lib/*' testdata/foreign/Producer.java BOOTSTRAP TOPIC < records
//
// Each stdin line is "KEY VALUE", the key as text and the value in base64 (an Avro Frame in the
// Schema Registry's wire format, encoded by the test). Keys go through StringSerializer and the
// producer's default partitioner (murmur2 for keyed records). For each record, in order, it
// prints "ack KEY PARTITION OFFSET" once the broker acknowledged it.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class Producer {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        List<String> keys = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] kv = line.split(" ", 2);
                keys.add(kv[0]);
                acks.add(producer.send(new ProducerRecord<>(args[1], kv[0], Base64.getDecoder().decode(kv[1]))));
            }
            producer.flush();
            for (int i = 0; i < acks.size(); i++) {
                RecordMetadata md = acks.get(i).get();
                System.out.println("ack " + keys.get(i) + " " + md.partition() + " " + md.offset());
            }
        }
    }
}

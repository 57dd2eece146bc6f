// Murmur2.java: Kafka's own placement of keys, for kafka/partitioner_test.go to compare with.
//
//   java -cp '.deps/kafka/lib/*' kafka/testdata/Murmur2.java N1,N2,... < keys
//
// Each stdin line is a key in hex (an empty line is the empty key); each output line is
// "hex murmur2 p1 p2 ...": Utils.murmur2 of the key as a Java int, then the partition the Java
// producer's default partitioner picks for it (BuiltInPartitioner.partitionForKey, which is
// toPositive(murmur2(key)) % n) for each partition count Ni.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;

public class Murmur2 {
    public static void main(String[] args) throws Exception {
        String[] counts = args[0].split(",");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            byte[] key = HexFormat.of().parseHex(line.trim());
            out.append(line.trim()).append(' ').append(Utils.murmur2(key));
            for (String n : counts) {
                out.append(' ').append(BuiltInPartitioner.partitionForKey(key, Integer.parseInt(n)));
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}

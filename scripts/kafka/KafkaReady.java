import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Readiness probe for scripts/services.sh, run in Java's source-file mode with the
 * Kafka jars on the class path (so it needs no Python virtualenv):
 *
 *   java -cp "$KAFKA_LIBS/*" KafkaReady.java 127.0.0.1:9092 60
 *
 * Exits 0 once the broker answers real metadata requests (describeCluster and
 * listTopics), retrying until the given number of seconds has passed; exits 1 otherwise.
 */
public class KafkaReady {
    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        long timeoutMs = 1000L * (args.length > 1 ? Integer.parseInt(args[1]) : 60);

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 250);

        try (Admin admin = Admin.create(props)) {
            var nodes = admin.describeCluster().nodes().get(timeoutMs, TimeUnit.MILLISECONDS);
            var topics = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                System.err.println("kafka answered but reported no brokers");
                System.exit(1);
            }
            System.out.println(nodes.size() + " broker(s), " + topics.size() + " topic(s)");
        } catch (Exception e) {
            System.err.println("kafka metadata request failed: " + e);
            System.exit(1);
        }
    }
}

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The JVM peer of bench:edge: what a performance-minded JVM team deploys instead of the edge, in the shape of
 * Strimzi's Kafka Bridge. One HTTP server per event loop on PEER_LOOPS loops (Vert.x spreads connections over them),
 * one KafkaProducer shared by all (the client is thread-safe and batches across callers), the edge's producer settings.
 * POST /v1/events takes one event, a bare array or {"events":[...]}; each event needs a non-empty string `type` and
 * an object `data`. It stamps id (UUIDv7) and receivedAt, keys by `key` or id, produces, and answers once every record
 * is acknowledged, with a receipt per event like the edge's.
 *
 *   PEER_PORT (18091) PEER_TOPIC (events) KAFKA_BROKERS (127.0.0.1:9092) PEER_LOOPS (cores)
 *   PEER_LINGER_MS (5) PEER_COMPRESSION (lz4)
 */
public final class Bridge {
  static final int MAX_EVENTS = 10_000;
  static final int MAX_BODY_BYTES = 10 * 1024 * 1024;

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    int port = Integer.parseInt(env("PEER_PORT", "18091"));
    String topic = env("PEER_TOPIC", "events");
    int loops = Integer.parseInt(env("PEER_LOOPS", String.valueOf(Runtime.getRuntime().availableProcessors())));
    Properties props = new Properties();
    props.put("bootstrap.servers", env("KAFKA_BROKERS", "127.0.0.1:9092"));
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("compression.type", env("PEER_COMPRESSION", "lz4"));
    props.put("linger.ms", env("PEER_LINGER_MS", "5"));
    // The edge's delivery timeout (15 s); Kafka requires delivery.timeout.ms >= linger.ms + request.timeout.ms.
    props.put("delivery.timeout.ms", "15000");
    props.put("request.timeout.ms", "10000");
    props.put("max.request.size", Integer.toString(1_048_576 + 64 * 1024));
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    // Topic metadata before the first request, so no request blocks an event loop on it.
    producer.partitionsFor(topic);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new Server(producer, topic, port), new DeploymentOptions().setInstances(loops))
        .onSuccess(id -> System.out.println("jvm peer: listening on " + port + ", " + loops + " event loops ("
            + (vertx.isNativeTransportEnabled() ? "epoll" : "nio") + "), producing to " + topic))
        .onFailure(e -> { e.printStackTrace(); System.exit(1); });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      vertx.close().toCompletionStage().toCompletableFuture().join();
      producer.close();
    }));
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static final class Server extends VerticleBase {
    final KafkaProducer<byte[], byte[]> producer;
    final String topic;
    final int port;

    Server(KafkaProducer<byte[], byte[]> producer, String topic, int port) {
      this.producer = producer;
      this.topic = topic;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.get("/readyz").handler(ctx -> ctx.json(new JsonObject().put("ok", true)));
      router.post("/v1/events").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES)).handler(this::ingest);
      return vertx.createHttpServer().requestHandler(router).listen(port, "0.0.0.0");
    }

    void ingest(RoutingContext ctx) {
      Object body;
      try {
        Buffer buf = ctx.body().buffer();
        body = buf == null ? null : Json.decodeValue(buf);
      } catch (DecodeException e) {
        refuse(ctx, "malformed_json", "", "the body is not JSON");
        return;
      }
      JsonArray items = body instanceof JsonArray a ? a
          : body instanceof JsonObject o && o.getValue("events") instanceof JsonArray a ? a
          : body instanceof JsonObject o ? new JsonArray().add(o) : null;
      if (items == null || items.isEmpty() || items.size() > MAX_EVENTS) {
        refuse(ctx, "invalid_body", "events", "expected one event or 1-" + MAX_EVENTS + " events");
        return;
      }
      int n = items.size();
      JsonObject[] results = new JsonObject[n];
      long now = System.currentTimeMillis();
      String receivedAt = Instant.ofEpochMilli(now).toString();
      AtomicInteger pending = new AtomicInteger(1);
      AtomicInteger accepted = new AtomicInteger();
      // Delivery callbacks run on the producer's I/O thread; the reply goes back to this request's event loop.
      Context loop = vertx.getOrCreateContext();
      Runnable done = () -> {
        if (pending.decrementAndGet() == 0) loop.runOnContext(v -> reply(ctx, results, accepted.get()));
      };
      for (int i = 0; i < n; i++) {
        Object item = items.getValue(i);
        String bad = problem(item);
        if (bad != null) {
          results[i] = rejected(i, "invalid_event", bad, bad.equals("") ? "an event is an object" : bad + " is missing or of the wrong type");
          continue;
        }
        JsonObject e = (JsonObject) item;
        String id = e.getString("id") != null ? e.getString("id") : uuidv7(now);
        String key = e.getString("key") != null ? e.getString("key") : id;
        String source = e.getString("source");
        JsonObject stamped = new JsonObject().put("id", id).put("type", e.getString("type"));
        if (source != null) stamped.put("source", source);
        stamped.put("timestamp", e.getString("timestamp") != null ? e.getString("timestamp") : receivedAt)
            .put("key", key).put("receivedAt", receivedAt).put("data", e.getJsonObject("data"));
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, now, utf8(key), stamped.toBuffer().getBytes());
        record.headers().add("type", utf8(e.getString("type"))).add("source", utf8(source == null ? "" : source)).add("id", utf8(id));
        int index = i;
        pending.incrementAndGet();
        try {
          producer.send(record, (meta, err) -> {
            if (err == null) {
              results[index] = new JsonObject().put("index", index).put("status", "accepted").put("id", id)
                  .put("partition", meta.partition()).put("offset", Long.toString(meta.offset()));
              accepted.incrementAndGet();
            } else {
              results[index] = rejected(index, "delivery_failed", "", String.valueOf(err.getMessage())).put("retriable", true);
            }
            done.run();
          });
        } catch (RuntimeException err) {
          results[index] = rejected(index, "delivery_failed", "", String.valueOf(err.getMessage())).put("retriable", true);
          done.run();
        }
      }
      done.run();
    }

    /** The path of the first field that fails the contract check, "" for a non-object, null when the event passes. */
    static String problem(Object item) {
      if (!(item instanceof JsonObject e)) return "";
      if (!(e.getValue("type") instanceof String t) || t.isEmpty() || t.length() > 256) return "type";
      if (!(e.getValue("data") instanceof JsonObject)) return "data";
      for (String f : new String[] {"source", "key", "id", "timestamp"}) {
        Object v = e.getValue(f);
        if (v != null && !(v instanceof String)) return f;
      }
      return null;
    }

    static JsonObject rejected(int index, String code, String path, String message) {
      return new JsonObject().put("index", index).put("status", "rejected").put("code", code).put("path", path).put("message", message);
    }

    /** 202 when all were accepted, 207 when some were, 400 when none (503 when every one failed on delivery), as the edge. */
    static void reply(RoutingContext ctx, JsonObject[] results, int accepted) {
      int rejected = results.length - accepted;
      boolean allRetriable = true;
      for (JsonObject r : results) allRetriable &= r.getBoolean("retriable", false);
      int status = rejected == 0 ? 202 : accepted > 0 ? 207 : allRetriable ? 503 : 400;
      JsonObject receipt = new JsonObject().put("accepted", accepted).put("rejected", rejected).put("ack", "kafka").put("results", new JsonArray(java.util.Arrays.asList((Object[]) results)));
      ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(receipt.toBuffer());
    }

    static void refuse(RoutingContext ctx, String code, String path, String message) {
      JsonObject error = new JsonObject().put("code", code).put("path", path).put("message", message);
      ctx.response().setStatusCode(400).putHeader("content-type", "application/json").end(new JsonObject().put("error", error).toBuffer());
    }

    static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    /** RFC 9562 UUIDv7: 48-bit Unix ms, version 7, variant 10, the rest random. */
    static String uuidv7(long now) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      long msb = (now << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
      long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
      return new UUID(msb, lsb).toString();
    }
  }
}

package dev.quiver.materializer;

import dev.quiver.materializer.internal.BadRecordException;
import dev.quiver.materializer.internal.CrashPoint;
import dev.quiver.materializer.internal.EventReader;
import dev.quiver.materializer.internal.Positions;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.OfflineSink;
import dev.quiver.registry.OffsetRange;
import dev.quiver.registry.OnlineSink;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes feature events from Kafka and writes them to the online store (latest value per entity)
 * and the offline store (full history, Parquet), exactly once per store, across crashes and
 * rebalances.
 *
 * <p>How exactly-once holds: each sink keeps its own position, per source (topic, partition), in
 * its own durable state. The online store receives each poll's events in one atomic write
 * together with the {@link Positions} of the partitions they came from (online next, and the
 * dead letters a restart may read again). Offline events are buffered per (view, topic) and
 * flushed (one atomic {@link OfflineSink#append} per buffer, on a flush thread of its own while
 * consumption goes on, at most one in flight) by size, by age, and on revocation or shutdown;
 * each append carries the view's offline positions on that topic (every record below them is
 * decided for the view), and a view whose position moved without events of its own commits the
 * positions alone (at flush age, revocation and shutdown). On assignment each partition is sought
 * to the lowest of the online next and the offline positions of the views that read its topic,
 * not to Kafka's group offset, so a sink that is new, moved or behind is caught up from Kafka;
 * replayed records already in the online store (offset below its position) are not rewritten,
 * and those below a view's offline position or in a committed offline range are not appended
 * again. Kafka group offsets are committed too, but only so that lag shows in the usual tools.
 *
 * <p>A record's fate is decided once. The checks depend on the record itself (its times against
 * its own Kafka timestamp, its topic against the one its view reads) and on the registry; before
 * a record with a fingerprint no snapshot knows is dead-lettered, the registry is read afresh
 * ({@link MaterializerConfig#freshRegistry()}). The dead letters at or above a partition's resume
 * point are remembered with the online position, so a record dead-lettered before a crash is
 * skipped by both sinks when read again, even if the registry has learnt its fingerprint since,
 * and is not sent to the dead-letter topic twice. With the positions go the dead-letter topic's
 * offsets acknowledged so far ({@link Positions.DeadLetterMarks}); on assignment the letters past
 * them that name an assigned partition (sent after its last online write, just before a crash)
 * are read back and count as remembered too. What remains: a sink rebuilt from Kafka (a new
 * or moved store) re-decides the records below the other sink's position against the registry of
 * the day, since their decisions were only remembered for the replay window.
 *
 * <p>Records that cannot be stored go to the dead-letter topic ({@link DeadLetters}); the
 * materializer never stops on bad data. It does stop, without committing, when a sink fails:
 * {@link #failure()} tells why; restarting resumes where the sinks left off.
 *
 * <p>Metrics (Micrometer): {@code quiver.materializer.records} (counter per view),
 * {@code quiver.materializer.dead.letters} (counter per reason), {@code quiver.materializer.lag}
 * (gauge per topic and partition), {@code quiver.materializer.freshness} (gauge per view: seconds
 * between now and the newest event time stored), {@code quiver.materializer.flush} and
 * {@code quiver.materializer.online.write} (timers).
 *
 * <p>The sinks belong to the caller: the materializer never closes them.
 */
public final class Materializer implements AutoCloseable {
  /**
   * Optional record header naming where a record goes: {@code online}, {@code offline} or
   * {@code online_and_offline} (the default when absent), as Feast's push {@code to} does. Any
   * other value sends the record to the dead-letter topic.
   */
  public static final String TARGET_HEADER = "quiver.to";

  private static final Logger LOG = LoggerFactory.getLogger(Materializer.class);
  /** A buffer this many times the flush size waits for the flush in flight (bounds memory). */
  private static final int BACK_PRESSURE_FACTOR = 4;

  private final MaterializerConfig config;
  private final MeterRegistry meters;
  private final OnlineSink online;
  private final OfflineSink offline;
  private final long maxSkewMicros;

  private volatile boolean running;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile Set<String> ownedView = Set.of();
  private Thread thread;

  // Poll-thread state.
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> deadLetterProducer;
  /** Reads back the dead letters sent after a partition's last online write (assigned, no group). */
  private KafkaConsumer<byte[], byte[]> deadLetterReader;
  /**
   * Per dead-letter partition, an offset at or above which every letter sent from now on lies (the
   * topic's end offsets when taken, raised by every acknowledgement); null while unknown (the
   * topic could not be read): positions then record no marks.
   */
  private Map<Integer, Long> deadLetterNext;
  private long deadLetterMarksTriedNanos;
  private long deadLetterMarksRefreshedMillis;
  /** How often the marks are raised to the topic's end (letters of other members), bounding a read-back. */
  private static final long MARKS_REFRESH_MILLIS = 60_000;
  private RegistrySnapshot snapshot;
  private EventReader reader;
  private Set<String> topics = Set.of();
  private final Map<TopicPartition, PartitionState> owned = new HashMap<>();
  /** The Kafka topic of every view with a Kafka source in the snapshot (selected or not). */
  private Map<String, String> topicOfView = Map.of();
  private final Map<BufferKey, Buffer> buffers = new LinkedHashMap<>();
  /** When positions alone were last committed per (view, topic). */
  private final Map<BufferKey, Long> positionsCommittedMillis = new HashMap<>();
  private final java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
  private final ExecutorService flusher = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "quiver-offline-flush");
    t.setDaemon(true);
    return t;
  });
  /** Dead letters not yet acknowledged by the broker (poll thread). */
  private List<PendingDeadLetter> pendingDeadLetters = new ArrayList<>();
  /** Why the materializer is retrying now (a sink or the dead-letter topic fails), or null. */
  private volatile String retrying;
  private long lastCommitMillis;

  // Metrics state, read by gauges from any thread.
  private final Map<TopicPartition, AtomicLong> lag = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> newestEventMicros = new ConcurrentHashMap<>();
  private final Map<String, Counter> recordCounters = new ConcurrentHashMap<>();
  private final Map<DeadLetters.Reason, Counter> deadLetterCounters = new ConcurrentHashMap<>();
  private final AtomicLong deadLettered = new AtomicLong();
  private final Counter retries;
  private final Timer onlineWriteTimer;

  private Materializer(MaterializerConfig config) {
    this.config = config;
    this.meters = config.meters();
    this.online = config.online();
    this.offline = config.offline();
    this.maxSkewMicros = config.maxFutureSkew().toNanos() / 1000L;
    this.onlineWriteTimer = Timer.builder("quiver.materializer.online.write").register(meters);
    this.retries = Counter.builder("quiver.materializer.retries")
        .description("Failed writes to a sink or the dead-letter topic, retried with backoff").register(meters);
    Gauge.builder("quiver.materializer.retrying", this, m -> m.retrying == null ? 0 : 1)
        .description("1 while a write is being retried").register(meters);
    for (DeadLetters.Reason r : DeadLetters.Reason.values()) {
      deadLetterCounters.put(r, Counter.builder("quiver.materializer.dead.letters").tag("reason", r.name()).register(meters));
    }
  }

  public static Materializer create(MaterializerConfig config) {
    return new Materializer(config);
  }

  /** Starts consuming in a thread of its own; returns at once. */
  public synchronized Materializer start() {
    if (thread != null) {
      throw new IllegalStateException("Cannot start materializer: already started");
    }
    running = true;
    thread = new Thread(this::runLoop, "quiver-materializer-" + config.groupId());
    thread.start();
    return this;
  }

  /** Consumes in the calling thread until {@link #shutdown()} (from another thread) or a sink failure. */
  public void run() {
    synchronized (this) {
      if (thread != null) {
        throw new IllegalStateException("Cannot run materializer: already started");
      }
      running = true;
      thread = Thread.currentThread();
    }
    runLoop();
  }

  /**
   * Stops: flushes the offline buffers, writes the positions, commits group offsets and closes the
   * Kafka clients; returns when done (at most {@code timeout}). Safe to call more than once and
   * from a shutdown hook (SIGTERM).
   */
  public boolean shutdown(Duration timeout) {
    running = false;
    try {
      return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || thread == null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** {@link #shutdown(Duration)} with 60 s. */
  public void shutdown() {
    shutdown(Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    shutdown();
  }

  /** Why the materializer stopped on its own, if it did. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Whether it consumes: false once shut down or failed (even while it still closes its clients). */
  public boolean isRunning() {
    return running && stopped.getCount() > 0 && failure.get() == null;
  }

  /** The partitions this instance owns now, as {@code <topic>-<partition>} (a copy; any thread). */
  public Set<String> assignment() {
    return ownedView;
  }

  /**
   * What the materializer does now (any thread): running, retrying a failed write (and why),
   * failed (and why) or stopped, with its total lag, its dead letters and its partitions.
   */
  public MaterializerStatus status() {
    Throwable f = failure.get();
    long total = -1;
    for (AtomicLong l : lag.values()) {
      if (l.get() >= 0) {
        total = Math.max(total, 0) + l.get();
      }
    }
    MaterializerStatus.State state;
    String detail = null;
    if (f != null) {
      state = MaterializerStatus.State.FAILED;
      detail = f.getMessage() == null ? f.toString() : f.getMessage();
    } else if (thread == null) {
      state = MaterializerStatus.State.STARTING;
    } else if (!isRunning()) {
      state = MaterializerStatus.State.STOPPED;
    } else if (retrying != null) {
      state = MaterializerStatus.State.RETRYING;
      detail = retrying;
    } else {
      state = MaterializerStatus.State.RUNNING;
    }
    return new MaterializerStatus(state, detail, total, deadLettered.get(), ownedView);
  }

  /** Records sent to the dead-letter topic since start. */
  public long deadLetterCount() {
    return deadLettered.get();
  }

  // ---------------------------------------------------------------------------------- the loop

  private void runLoop() {
    try {
      open();
      while (running) {
        refreshRegistry();
        if (topics.isEmpty()) {
          sleep(config.pollTimeout());
          continue;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(config.pollTimeout());
        process(records);
      }
      finish();
    } catch (Throwable t) {
      // Shut down while retrying (directly, or in a rebalance callback, which the consumer wraps).
      Abandoned a = t instanceof Abandoned x ? x : t.getCause() instanceof Abandoned y ? y : null;
      if (a != null) {
        LOG.warn("Materializer of group {} stopped while retrying ({}); it resumes from its stores' positions",
            config.groupId(), a.getMessage());
        closeQuietly(false);
        return;
      }
      if (t instanceof org.apache.kafka.common.errors.FencedInstanceIdException) {
        t = new IllegalStateException("Cannot consume as member " + config.instanceId().orElse("?") + " of group "
            + config.groupId() + ": another consumer joined with the same instance id (each instance needs its own)", t);
      }
      failure.set(t);
      LOG.error("Materializer of group {} stopped: {}", config.groupId(), t.toString(), t);
      closeQuietly(false);
    } finally {
      running = false;
      stopped.countDown();
    }
  }

  private void open() {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    config.instanceId().ifPresent(id -> c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    c.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "3000");
    c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    c.putAll(config.consumerProperties());
    consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());

    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "quiver-dlq-" + config.groupId());
    // A missing topic fails a send after this long (then retried with backoff), not after 60 s.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    deadLetterProducer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());

    Properties r = new Properties();
    r.putAll(config.consumerProperties());
    r.remove(ConsumerConfig.GROUP_ID_CONFIG);
    r.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    r.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    r.put(ConsumerConfig.CLIENT_ID_CONFIG, "quiver-dlq-reader-" + config.groupId());
    r.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    r.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    r.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    r.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    r.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    deadLetterReader = new KafkaConsumer<>(r, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    takeDeadLetterMarks();
    lastCommitMillis = config.clock().millis();
  }

  private void refreshRegistry() {
    useRegistry(config.registry().get());
  }

  /** Switches to {@code s} unless it is the current snapshot or older (a cached supplier lagging a fresh read). */
  private boolean useRegistry(RegistrySnapshot s) {
    if (s == snapshot || s == null || (snapshot != null && s.version() < snapshot.version())) {
      return false;
    }
    config.onRegistryChange().accept(s);
    snapshot = s;
    reader = new EventReader(s, maxSkewMicros);
    Set<String> next = new TreeSet<>();
    Map<String, String> viewTopics = new HashMap<>();
    for (FeatureView v : s.definitions().views().values()) {
      Source src = s.source(v.name());
      if (src.kind() == Source.Kind.KAFKA) {
        viewTopics.put(v.name(), src.topicFor(v.name()));
        if (selected(v.name())) {
          next.add(src.topicFor(v.name()));
          // Every materialized view shows on /metrics from the start (0 records, no freshness yet).
          newestEventMicros.computeIfAbsent(v.name(), this::freshnessGauge);
          recordCounters.computeIfAbsent(v.name(),
              k -> Counter.builder("quiver.materializer.records").tag("view", k).register(meters));
        }
      }
    }
    topicOfView = viewTopics;
    if (!next.equals(topics)) {
      LOG.info("Materializer of group {} subscribes to {}", config.groupId(), next);
      topics = next;
      if (next.isEmpty()) {
        consumer.unsubscribe();
      } else {
        consumer.subscribe(next, new Listener());
      }
    }
    return true;
  }

  /**
   * Before a batch holding a record whose fingerprint (or view) the snapshot does not know is
   * decided, reads the registry afresh once: a version applied a moment ago is then known and
   * the record is not dead-lettered for want of a cache refresh. The switch happens before any
   * record of the batch is decided, as at the top of the loop.
   */
  private void freshRegistryIfUnknown(ConsumerRecords<byte[], byte[]> records) {
    for (ConsumerRecord<byte[], byte[]> r : records) {
      byte[] v = r.value();
      if (v == null || v.length < 10 || v[0] != (byte) 0xC3 || v[1] != (byte) 0x01) {
        continue;
      }
      FeatureViewVersion writer = reader.writerOf(v);
      if (writer == null || !snapshot.definitions().views().containsKey(writer.view())) {
        if (useRegistry(config.freshRegistry().get())) {
          LOG.info("Materializer of group {} read registry version {} afresh for a record of an unknown schema",
              config.groupId(), snapshot.version());
        }
        return;
      }
    }
  }

  private boolean selected(String view) {
    return config.views().isEmpty() || config.views().contains(view);
  }

  private void process(ConsumerRecords<byte[], byte[]> records) {
    if (!records.isEmpty()) {
      freshRegistryIfUnknown(records);
    }
    List<FeatureEvent> onlineBatch = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> onlineRecords = new ArrayList<>();
    Map<String, Integer> perView = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      PartitionState ps = owned.get(tp);
      if (ps == null) {
        continue;
      }
      long offset = r.offset();
      if (Positions.contains(ps.decided, offset)) {
        continue; // dead-lettered before a restart: its fate stays, whatever the registry says now
      }
      FeatureEvent event;
      boolean toOnline;
      boolean toOffline;
      try {
        byte[] to = header(r, TARGET_HEADER);
        String target = to == null ? "online_and_offline" : new String(to, StandardCharsets.UTF_8);
        toOnline = target.equals("online") || target.equals("online_and_offline");
        toOffline = target.equals("offline") || target.equals("online_and_offline");
        if (!toOnline && !toOffline) {
          throw new BadRecordException(DeadLetters.Reason.SCHEMA_VIOLATION, "Cannot route record: header "
              + TARGET_HEADER + " is \"" + target + "\" (expected online, offline or online_and_offline)");
        }
        event = reader.read(r.key(), r.value(), header(r, EventEncoder.CREATED_TS_HEADER), r.timestamp(),
            r.partition(), offset);
        String reads = topicOfView.get(event.view());
        if (!r.topic().equals(reads)) {
          throw new BadRecordException(DeadLetters.Reason.WRONG_TOPIC, "Cannot accept event of " + event.view()
              + " from topic " + r.topic() + ": the view reads " + (reads == null ? "no Kafka topic" : "topic " + reads));
        }
      } catch (BadRecordException e) {
        if (offset >= ps.deadLetterFrom) {
          deadLetter(r, e);
          ps.deadLetters = Positions.add(ps.deadLetters, offset);
        } else {
          // Below a sink's position and not remembered as a dead letter: it was stored before and
          // the registry changed since; the sink that is behind goes without it.
          LOG.debug("Skipping {}-{}@{}, stored before a restart but not decodable now: {}", r.topic(), r.partition(),
              offset, e.getMessage());
        }
        continue;
      } catch (RuntimeException e) {
        // A defect met while reading one record must not stop the materializer on it at every restart.
        LOG.warn("Cannot read {}-{}@{}: {}", r.topic(), r.partition(), offset, e.toString(), e);
        if (offset >= ps.deadLetterFrom) {
          deadLetter(r, DeadLetters.Reason.NOT_DECODABLE, "Cannot read record: " + e);
          ps.deadLetters = Positions.add(ps.deadLetters, offset);
        }
        continue;
      }
      String view = event.view();
      if (!selected(view)) {
        continue;
      }
      FeatureView def = snapshot.definitions().views().get(view);
      if (toOnline && def.online() && offset >= ps.start.onlineNext()) {
        onlineBatch.add(event);
        onlineRecords.add(r);
      }
      if (toOffline && def.offline() && offline != null && offset >= ps.offlineStart.getOrDefault(view, 0L)
          && !ps.inCommittedRange(view, offset)) {
        buffer(view, tp.topic()).add(event, config.clock().millis());
      }
      perView.merge(view, 1, Integer::sum);
      newestEventMicros.computeIfAbsent(view, this::freshnessGauge).accumulateAndGet(event.eventMicros(), Math::max);
    }
    perView.forEach((v, n) -> recordCounters.computeIfAbsent(v,
        k -> Counter.builder("quiver.materializer.records").tag("view", k).register(meters)).increment(n));
    if (flushDeadLetters() > 0) {
      CrashPoint.reached(CrashPoint.AFTER_DEAD_LETTER_FLUSH);
    }
    // The online write (with the dead letters to remember) goes before any offline position past
    // this batch is handed over: no sink may pass a dead letter the online meta does not remember.
    // An event the online store refuses becomes a dead letter there and leaves the offline buffer
    // before that buffer goes to a flush.
    if (writeOnline(onlineBatch, onlineRecords)) {
      CrashPoint.reached(CrashPoint.AFTER_ONLINE_WRITE);
    }
    flushDueBuffers(false);
    for (TopicPartition tp : owned.keySet()) {
      consumer.currentLag(tp).ifPresent(l -> lagGauge(tp).set(l));
    }
    maybeCommitGroupOffsets(false);
    maybeRefreshDeadLetterMarks();
  }

  /**
   * Raises the marks to the dead-letter topic's end offsets now and then: the letters other
   * members sent meanwhile lie below them, so a read-back after a crash reads only what came
   * after. The ends now bound every letter sent later, so the marks stay valid. A failure keeps
   * the marks as they are.
   */
  private void maybeRefreshDeadLetterMarks() {
    long now = config.clock().millis();
    if (deadLetterNext == null || now - deadLetterMarksRefreshedMillis < MARKS_REFRESH_MILLIS) {
      return;
    }
    deadLetterMarksRefreshedMillis = now;
    String topic = config.deadLetterTopic();
    try {
      List<PartitionInfo> infos = deadLetterReader.partitionsFor(topic, Duration.ofSeconds(5));
      if (infos == null || infos.isEmpty()) {
        return;
      }
      List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      deadLetterReader.endOffsets(tps, Duration.ofSeconds(5))
          .forEach((tp, end) -> deadLetterNext.merge(tp.partition(), end, Math::max));
    } catch (RuntimeException e) {
      LOG.debug("Cannot read the end offsets of dead-letter topic {} (marks kept): {}", topic, e.toString());
    }
  }

  private void finish() {
    flushDueBuffers(true);
    writeOnline(List.of()); // forgets the dead letters the final offline positions passed
    maybeCommitGroupOffsets(true);
    closeQuietly(true);
  }

  // -------------------------------------------------------------------------------- dead letters

  private void deadLetter(ConsumerRecord<byte[], byte[]> r, BadRecordException e) {
    deadLetter(r, e.reason(), e.getMessage());
  }

  /** Queues a dead letter; {@link #flushDeadLetters()} sends it and waits until it is stored. */
  private void deadLetter(ConsumerRecord<byte[], byte[]> r, DeadLetters.Reason reason, String message) {
    pendingDeadLetters.add(new PendingDeadLetter(r, reason, message));
    deadLettered.incrementAndGet();
    deadLetterCounters.computeIfAbsent(reason, k -> Counter.builder("quiver.materializer.dead.letters")
        .tag("reason", k.name()).register(meters)).increment();
    LOG.debug("Dead-lettered {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), message);
  }

  /**
   * Makes the queued dead letters durable before any position past them is written. A dead letter
   * too big for the producer or the topic goes again without its value, then without its key,
   * then without the original headers ({@link DeadLetters#DROPPED} says what is missing); any
   * other failure (a topic that does not exist or cannot be written, a broker away) is retried
   * with backoff until it succeeds or the materializer is shut down, reported by {@link #status()}.
   * Each acknowledgement raises the dead-letter marks the next positions record.
   *
   * @return how many dead letters were stored
   */
  private int flushDeadLetters() {
    int attempt = 0;
    int stored = 0;
    while (!pendingDeadLetters.isEmpty()) {
      Exception failed = null;
      for (PendingDeadLetter d : pendingDeadLetters) {
        if (d.sent == null) {
          d.sent = deadLetterProducer.send(d.record());
          if (d.sent.isDone() && failed(d.sent) != null && !(failed(d.sent) instanceof RecordTooLargeException)) {
            break; // e.g. no metadata for the topic: the rest would wait just as long
          }
        }
      }
      deadLetterProducer.flush();
      List<PendingDeadLetter> again = new ArrayList<>();
      for (PendingDeadLetter d : pendingDeadLetters) {
        Exception ex = d.sent == null ? null : failed(d.sent);
        if (d.sent == null) {
          again.add(d);
        } else if (ex instanceof RecordTooLargeException && d.stripped < PendingDeadLetter.MOST_STRIPPED) {
          d.stripped++;
          d.sent = null;
          again.add(d);
          LOG.warn("Dead letter of {}-{}@{} is too large for topic {} ({}); sending it without its {}",
              d.source.topic(), d.source.partition(), d.source.offset(), config.deadLetterTopic(), ex.getMessage(),
              d.droppedParts());
        } else if (ex != null) {
          d.sent = null;
          again.add(d);
          failed = ex;
        } else {
          stored++;
          acknowledged(d.sent);
        }
      }
      pendingDeadLetters = again;
      if (failed != null) {
        retry(++attempt, "Cannot write to dead-letter topic " + config.deadLetterTopic() + ": " + failed.getMessage());
      }
    }
    if (attempt > 0) {
      recovered();
    }
    if (stored > 0 && deadLetterNext == null
        && System.nanoTime() - deadLetterMarksTriedNanos > TimeUnit.SECONDS.toNanos(30)) {
      takeDeadLetterMarks(); // the topic is reachable now
    }
    return stored;
  }

  private void acknowledged(Future<RecordMetadata> sent) {
    try {
      RecordMetadata md = sent.get();
      if (deadLetterNext != null && md.hasOffset()) {
        deadLetterNext.merge(md.partition(), md.offset() + 1, Math::max);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("Cannot happen: a failed send counted as stored", e);
    }
  }

  /**
   * Takes the dead-letter topic's end offsets as the marks (a topic that does not exist yet: no
   * partition, every one read from its start). When the topic cannot be read, the marks stay
   * unknown and the positions record none (a warning says so): never a reason to stop.
   */
  private void takeDeadLetterMarks() {
    deadLetterMarksTriedNanos = System.nanoTime();
    String topic = config.deadLetterTopic();
    try {
      Map<Integer, Long> next = new HashMap<>();
      List<PartitionInfo> infos = deadLetterReader.partitionsFor(topic);
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
        deadLetterReader.endOffsets(tps).forEach((tp, end) -> next.put(tp.partition(), end));
      }
      if (deadLetterNext != null) {
        deadLetterNext.forEach((part, o) -> next.merge(part, o, Math::max));
      }
      deadLetterNext = next;
      deadLetterMarksRefreshedMillis = config.clock().millis();
    } catch (RuntimeException e) {
      LOG.warn("Cannot read the end offsets of dead-letter topic {}: {}; until it can be read, a record dead-lettered"
          + " just before a crash may be dead-lettered again after it", topic, e.toString());
    }
  }

  /**
   * Reads the dead-letter topic from the marks recorded with the assigned partitions' positions to
   * its end; a letter of this group naming one of them makes its record remembered: decided, not
   * stored by either sink, not sent again. Partitions whose positions hold no marks (or marks of
   * another dead-letter topic) read nothing. A failure is logged and reads nothing more.
   */
  private void readBackDeadLetters(Map<TopicPartition, PartitionState> assigned) {
    String topic = config.deadLetterTopic();
    Map<Integer, Long> from = new HashMap<>();
    List<PartitionState> reading = new ArrayList<>();
    for (Map.Entry<TopicPartition, PartitionState> e : assigned.entrySet()) {
      Positions.DeadLetterMarks marks = e.getValue().start.marks();
      if (e.getValue().start.equals(Positions.START)) {
        continue; // no positions yet: nothing was decided (a run writes them before it decides a record)
      } else if (marks == null) {
        LOG.info("Positions of {} record no dead-letter offsets (written by an older version): no dead letter is read"
            + " back for it", e.getKey());
      } else if (!marks.topic().equals(topic)) {
        LOG.warn("Positions of {} record offsets of dead-letter topic {}, not of {}: no dead letter is read back for it",
            e.getKey(), marks.topic(), topic);
      } else {
        reading.add(e.getValue());
      }
    }
    if (reading.isEmpty()) {
      return;
    }
    int found = 0;
    try {
      List<PartitionInfo> infos = deadLetterReader.partitionsFor(topic);
      if (infos == null || infos.isEmpty()) {
        return; // no such topic: nothing was dead-lettered
      }
      List<TopicPartition> tps = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      Map<TopicPartition, Long> ends = deadLetterReader.endOffsets(tps);
      Map<TopicPartition, Long> begins = deadLetterReader.beginningOffsets(tps);
      Map<TopicPartition, Long> starts = new HashMap<>();
      for (TopicPartition tp : tps) {
        long start = Long.MAX_VALUE;
        for (PartitionState ps : reading) {
          start = Math.min(start, ps.start.marks().next().getOrDefault(tp.partition(), 0L));
        }
        start = Math.max(start, begins.getOrDefault(tp, 0L));
        if (start < ends.getOrDefault(tp, 0L)) {
          starts.put(tp, start);
        }
      }
      if (starts.isEmpty()) {
        return;
      }
      deadLetterReader.assign(starts.keySet());
      starts.forEach(deadLetterReader::seek);
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (starts.keySet().stream().anyMatch(tp -> deadLetterReader.position(tp) < ends.get(tp))) {
        if (System.nanoTime() > giveUp) {
          throw new IllegalStateException("no progress for 30 s");
        }
        for (ConsumerRecord<byte[], byte[]> letter : deadLetterReader.poll(Duration.ofMillis(200))) {
          if (letter.offset() >= ends.get(new TopicPartition(letter.topic(), letter.partition()))) {
            continue;
          }
          byte[] group = header(letter, DeadLetters.SOURCE_GROUP);
          byte[] srcTopic = header(letter, DeadLetters.SOURCE_TOPIC);
          byte[] srcPartition = header(letter, DeadLetters.SOURCE_PARTITION);
          byte[] srcOffset = header(letter, DeadLetters.SOURCE_OFFSET);
          if (srcTopic == null || srcPartition == null || srcOffset == null
              || (group != null && !new String(group, StandardCharsets.UTF_8).equals(config.groupId()))) {
            continue;
          }
          PartitionState ps;
          long offset;
          try {
            ps = assigned.get(new TopicPartition(new String(srcTopic, StandardCharsets.UTF_8),
                Integer.parseInt(new String(srcPartition, StandardCharsets.UTF_8))));
            offset = Long.parseLong(new String(srcOffset, StandardCharsets.UTF_8));
          } catch (NumberFormatException bad) {
            continue; // not one of ours
          }
          if (ps != null && offset >= 0 && !Positions.contains(ps.decided, offset)) {
            ps.decided = Positions.add(ps.decided, offset);
            ps.deadLetters = Positions.add(ps.deadLetters, offset);
            found++;
          }
        }
      }
      if (found > 0) {
        LOG.info("Materializer of group {} read back {} dead letters sent after the last online write of {}",
            config.groupId(), found, assigned.keySet());
      }
    } catch (RuntimeException e) {
      LOG.warn("Cannot read back dead-letter topic {} ({} letters read): {}; a record dead-lettered just before a"
          + " crash may be dead-lettered again", topic, found, e.toString());
    } finally {
      deadLetterReader.assign(List.of());
    }
  }

  private static Exception failed(Future<?> f) {
    if (!f.isDone()) {
      return null;
    }
    try {
      f.get();
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause() instanceof Exception ex ? ex : e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    }
  }

  /** A dead letter until the broker acknowledged it; how much of the source record it leaves out. */
  private final class PendingDeadLetter {
    static final int MOST_STRIPPED = 3;
    final ConsumerRecord<byte[], byte[]> source;
    final DeadLetters.Reason reason;
    final String message;
    int stripped;
    Future<RecordMetadata> sent;

    PendingDeadLetter(ConsumerRecord<byte[], byte[]> source, DeadLetters.Reason reason, String message) {
      this.source = source;
      this.reason = reason;
      this.message = message == null ? "" : message.length() > 2_000 ? message.substring(0, 2_000) + "..." : message;
    }

    String droppedParts() {
      return switch (stripped) {
        case 1 -> "value";
        case 2 -> "value and key";
        default -> "value, key and original headers";
      };
    }

    ProducerRecord<byte[], byte[]> record() {
      byte[] key = stripped >= 2 ? null : source.key();
      byte[] value = stripped >= 1 ? null : source.value();
      ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(config.deadLetterTopic(), null, key, value);
      if (stripped < 3) {
        for (Header h : source.headers()) {
          out.headers().add(h.key(), h.value());
        }
      }
      out.headers().add(DeadLetters.ERROR_CLASS, utf8(reason.name()));
      out.headers().add(DeadLetters.ERROR_MESSAGE, utf8(message));
      out.headers().add(DeadLetters.SOURCE_TOPIC, utf8(source.topic()));
      out.headers().add(DeadLetters.SOURCE_PARTITION, utf8(String.valueOf(source.partition())));
      out.headers().add(DeadLetters.SOURCE_OFFSET, utf8(String.valueOf(source.offset())));
      out.headers().add(DeadLetters.SOURCE_GROUP, utf8(config.groupId()));
      if (stripped > 0) {
        out.headers().add(DeadLetters.DROPPED, utf8(droppedParts() + " (value " + source.serializedValueSize()
            + " bytes, key " + source.serializedKeySize() + " bytes): too large for the dead-letter topic"));
      }
      return out;
    }
  }

  // ------------------------------------------------------------------------------------ retrying

  /**
   * Reports a failed write and waits before the next attempt: 100 ms doubling to 30 s. Gives up
   * only when the materializer is shut down meanwhile ({@link Abandoned}: nothing past the failed
   * write is recorded, so a restart resumes before it).
   */
  private void retry(int attempt, String why) {
    retries.increment();
    long waitMillis = Math.min(30_000L, 100L << Math.min(attempt - 1, 20));
    String report = why + " (attempt " + attempt + ", next in " + waitMillis + " ms)";
    if (retrying == null || attempt == 1 || Long.bitCount(attempt) == 1) {
      LOG.warn("Materializer of group {}: {}", config.groupId(), report);
    }
    retrying = report;
    long until = System.nanoTime() + waitMillis * 1_000_000L;
    while (running && System.nanoTime() < until) {
      sleep(Duration.ofMillis(Math.min(100, waitMillis)));
    }
    if (!running) {
      throw new Abandoned(why);
    }
  }

  private void recovered() {
    if (retrying != null) {
      LOG.info("Materializer of group {} recovered: {}", config.groupId(), "the retried write succeeded");
      retrying = null;
    }
  }

  /** Shutdown requested while a write was being retried. */
  private static final class Abandoned extends RuntimeException {
    Abandoned(String why) {
      super(why, null, false, false);
    }
  }

  // ------------------------------------------------------------------------------------- offline

  private Buffer buffer(String view, String topic) {
    return buffers.computeIfAbsent(new BufferKey(view, topic), k -> new Buffer());
  }

  /** The selected views with an offline side that read {@code topic}. */
  private List<String> offlineViewsOf(String topic) {
    List<String> out = new ArrayList<>();
    if (offline == null) {
      return out;
    }
    topicOfView.forEach((view, t) -> {
      if (t.equals(topic) && selected(view) && snapshot.definitions().views().get(view).offline()) {
        out.add(view);
      }
    });
    return out;
  }

  /**
   * Hands due buffers to the flush thread, so Parquet is written while the next records are
   * consumed. At most one flush is in flight: a buffer that comes due meanwhile keeps filling and
   * goes next, and only a buffer grown to {@value #BACK_PRESSURE_FACTOR} times the flush size waits
   * for it (back-pressure, timed as {@code quiver.materializer.flush.wait});
   * {@code all} (revocation, shutdown) flushes everything and waits. Each flush carries the view's
   * positions on its topic: the consumer's position of every owned partition, since every record
   * consumed so far is in this buffer, in an earlier flush (the flush thread keeps their order)
   * or needs no offline row. A view whose positions moved with nothing buffered commits them
   * alone, at flush age or with {@code all}.
   */
  private void flushDueBuffers(boolean all) {
    if (offline == null) {
      return;
    }
    reapFlushes(false);
    long now = config.clock().millis();
    Map<BufferKey, Map<Integer, Long>> moved = movedPositions();
    Set<BufferKey> keys = new java.util.LinkedHashSet<>(buffers.keySet());
    keys.addAll(moved.keySet());
    for (BufferKey key : keys) {
      Buffer b = buffers.get(key);
      boolean due;
      if (b != null && !b.events.isEmpty()) {
        due = all || b.events.size() >= config.flushSize() || now - b.firstAddedMillis >= config.flushAge().toMillis();
      } else {
        buffers.remove(key);
        b = null;
        Map<Integer, Long> m = moved.get(key);
        due = m != null && !m.isEmpty() && (all
            || now - positionsCommittedMillis.getOrDefault(key, 0L) >= config.flushAge().toMillis());
      }
      if (!due) {
        continue;
      }
      if (!inFlight.isEmpty()) {
        if (!all && (b == null || b.events.size() < BACK_PRESSURE_FACTOR * (long) config.flushSize())) {
          // Keep consuming (and writing online) while the previous flush runs; this buffer goes next.
          continue;
        }
        Timer.Sample waited = Timer.start(meters);
        reapFlushes(true);
        waited.stop(Timer.builder("quiver.materializer.flush.wait").register(meters));
      }
      String view = key.view();
      String topic = key.topic();
      List<FeatureEvent> events = b == null ? List.of() : b.events;
      Map<Integer, Long> positions = new HashMap<>();
      Map<TopicPartition, Long> byTp = new HashMap<>();
      for (Map.Entry<TopicPartition, PartitionState> e : owned.entrySet()) {
        if (e.getKey().topic().equals(topic)) {
          long pos = Math.max(consumer.position(e.getKey()), e.getValue().offlineStart.getOrDefault(view, 0L));
          positions.put(e.getKey().partition(), pos);
          byTp.put(e.getKey(), pos);
          e.getValue().offlineSubmitted.merge(view, pos, Math::max);
        }
      }
      Future<?> done = flusher.submit(() -> {
        if (events.isEmpty()) {
          appendRetrying(view, topic, events, positions); // positions alone: not a flush to time
          return;
        }
        Timer.Sample sample = Timer.start(meters);
        appendRetrying(view, topic, events, positions);
        long nanos = sample.stop(Timer.builder("quiver.materializer.flush").tag("view", view).register(meters));
        LOG.debug("Flushed {} events of view {} (topic {}) to the offline store in {} ms", events.size(), view, topic,
            nanos / 1_000_000);
      });
      inFlight.add(new InFlight(view, byTp, done));
      positionsCommittedMillis.put(key, now);
      buffers.remove(key);
    }
    if (all) {
      reapFlushes(true);
    }
  }

  /** Per (view, topic) with an offline side: the owned partitions whose position is past what was handed over. */
  private Map<BufferKey, Map<Integer, Long>> movedPositions() {
    Map<BufferKey, Map<Integer, Long>> out = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, PartitionState> e : owned.entrySet()) {
      TopicPartition tp = e.getKey();
      PartitionState ps = e.getValue();
      long pos = consumer.position(tp);
      for (String view : offlineViewsOf(tp.topic())) {
        if (pos > ps.offlineSubmitted.getOrDefault(view, 0L)) {
          out.computeIfAbsent(new BufferKey(view, tp.topic()), k -> new HashMap<>()).put(tp.partition(), pos);
        }
      }
    }
    return out;
  }

  /** An offline append, retried with backoff (a failed append leaves nothing behind). */
  private void appendRetrying(String view, String topic, List<FeatureEvent> events, Map<Integer, Long> positions) {
    for (int attempt = 1; ; attempt++) {
      try {
        offline.append(view, topic, events, positions);
        if (attempt > 1) {
          recovered();
        }
        return;
      } catch (RuntimeException e) {
        retry(attempt, "Cannot flush view " + view + " to the offline store: " + e.getMessage());
      }
    }
  }

  /** Collects finished flushes (all of them, waiting, when {@code wait}); rethrows a flush failure. */
  private void reapFlushes(boolean wait) {
    while (!inFlight.isEmpty() && (wait || inFlight.peekFirst().done().isDone())) {
      InFlight f = inFlight.peekFirst();
      try {
        f.done().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot flush to the offline store: interrupted", e);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof Abandoned a) {
          throw a;
        }
        throw new IllegalStateException("Cannot flush to the offline store: " + e.getCause().getMessage(), e.getCause());
      }
      inFlight.removeFirst();
      f.positions().forEach((tp, pos) -> {
        PartitionState ps = owned.get(tp);
        if (ps != null) {
          ps.offlineCommitted.merge(f.view(), pos, Math::max);
        }
      });
    }
  }

  // -------------------------------------------------------------------------------------- online

  private boolean writeOnline(List<FeatureEvent> batch) {
    return writeOnline(batch, List.of());
  }

  /**
   * Writes the batch and the changed positions (with the dead letters to remember) in one atomic
   * step; whether there was anything to write. When the store refuses the batch (a
   * {@link UserInputException}: an event it cannot store), the events are written one by one, those
   * it refuses go to the dead-letter topic ({@link DeadLetters.Reason#STORE_REJECTED}), are
   * remembered as dead letters and leave the offline buffers, then the positions are written. Any
   * other failure is retried with backoff.
   *
   * @param records the records of {@code batch}, index by index (empty: none is refused)
   */
  private boolean writeOnline(List<FeatureEvent> batch, List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, byte[]> meta = changedPositions();
    if (batch.isEmpty() && meta.isEmpty()) {
      return false;
    }
    Timer.Sample sample = Timer.start(meters);
    for (int attempt = 1; ; attempt++) {
      try {
        online.write(batch, meta);
        if (attempt > 1) {
          recovered();
        }
        break;
      } catch (UserInputException e) {
        if (batch.isEmpty() || records.size() != batch.size()) {
          retry(attempt, "Cannot write to the online store: " + e.getMessage());
        } else {
          isolateRefused(batch, records);
          batch = List.of();
          meta = changedPositions(); // now with the refused events among the dead letters
        }
      } catch (RuntimeException e) {
        retry(attempt, "Cannot write to the online store: " + e.getMessage());
      }
    }
    long nanos = sample.stop(onlineWriteTimer);
    LOG.debug("Wrote {} events and {} positions to the online store in {} ms", batch.size(), meta.size(), nanos / 1_000_000);
    for (PartitionState ps : owned.values()) {
      if (ps.pending != null) {
        ps.written = ps.pending;
        ps.pending = null;
      }
    }
    return true;
  }

  /** The positions (online next and dead letters to remember) that differ from those written. */
  private Map<String, byte[]> changedPositions() {
    Map<String, byte[]> meta = new HashMap<>();
    Positions.DeadLetterMarks marks = deadLetterMarks();
    for (Map.Entry<TopicPartition, PartitionState> e : owned.entrySet()) {
      TopicPartition tp = e.getKey();
      PartitionState ps = e.getValue();
      long onlineNext = Math.max(consumer.position(tp), ps.start.onlineNext());
      // Dead letters below every sink's position are never read again: forget them.
      ps.deadLetters = Positions.prune(ps.deadLetters, Math.min(onlineNext, ps.offlineFloor()));
      Positions p = new Positions(onlineNext, ps.deadLetters, marks);
      ps.pending = null;
      if (!p.equals(ps.written)) {
        meta.put(ps.metaKey, p.encode());
        ps.pending = p;
      }
    }
    return meta;
  }

  /** The marks to record with the positions now (null: unknown). */
  private Positions.DeadLetterMarks deadLetterMarks() {
    return deadLetterNext == null ? null : new Positions.DeadLetterMarks(config.deadLetterTopic(), deadLetterNext);
  }

  /** Writes the events one by one (no positions); dead-letters (and remembers) those the store refuses. */
  private void isolateRefused(List<FeatureEvent> batch, List<ConsumerRecord<byte[], byte[]>> records) {
    for (int i = 0; i < batch.size(); i++) {
      FeatureEvent e = batch.get(i);
      try {
        online.write(List.of(e), Map.of());
      } catch (UserInputException refused) {
        ConsumerRecord<byte[], byte[]> r = records.get(i);
        deadLetter(r, DeadLetters.Reason.STORE_REJECTED, refused.getMessage());
        PartitionState ps = owned.get(new TopicPartition(r.topic(), r.partition()));
        if (ps != null) {
          ps.deadLetters = Positions.add(ps.deadLetters, r.offset());
        }
        Buffer b = buffers.get(new BufferKey(e.view(), r.topic()));
        if (b != null) {
          b.events.removeIf(x -> x.partition() == e.partition() && x.offset() == e.offset());
        }
      }
    }
    flushDeadLetters();
  }

  private void maybeCommitGroupOffsets(boolean sync) {
    long now = config.clock().millis();
    if (!sync && now - lastCommitMillis < config.commitInterval().toMillis()) {
      return;
    }
    lastCommitMillis = now;
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    owned.forEach((tp, ps) -> {
      if (ps.written != null) {
        offsets.put(tp, new OffsetAndMetadata(Math.min(ps.written.onlineNext(), ps.offlineFloor())));
      }
    });
    if (offsets.isEmpty()) {
      return;
    }
    try {
      if (sync) {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
      } else {
        consumer.commitAsync(offsets, (o, ex) -> {
          if (ex != null) {
            LOG.debug("Group offset commit failed (lag only): {}", ex.toString());
          }
        });
      }
    } catch (RuntimeException e) {
      // Group offsets only feed lag monitoring; positions live in the sinks.
      LOG.debug("Group offset commit failed (lag only): {}", e.toString());
    }
  }

  // ------------------------------------------------------------------------------------ rebalance

  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      flushDueBuffers(true);
      writeOnline(List.of());
      maybeCommitGroupOffsets(true);
      drop(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Flushes started while we owned them finish first (as they would have done synchronously).
      reapFlushes(true);
      // Another member may own them already: write nothing; unflushed events are simply replayed.
      buffers.forEach((key, b) -> b.removePartitions(key.topic(), partitions));
      drop(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      Map<TopicPartition, PartitionState> assigned = new HashMap<>();
      for (TopicPartition tp : partitions) {
        String key = Positions.metaKey(config.groupId(), tp.topic(), tp.partition());
        Positions start = online.readMeta(key).map(b -> Positions.decode(key, b)).orElse(Positions.START);
        PartitionState ps = new PartitionState(key, start);
        for (String view : offlineViewsOf(tp.topic())) {
          long next = offline.position(view, tp.topic(), tp.partition());
          List<OffsetRange> ranges = offline.committedRanges(view, tp.topic(), tp.partition());
          if (next == 0 && !ranges.isEmpty() && start.v1OfflineNext() > 0) {
            // An offline store of commit-format version 1 keeps no positions; the online meta of
            // version 1 held its offline next.
            next = start.v1OfflineNext();
          }
          ps.offlineStart.put(view, next);
          if (!ranges.isEmpty()) {
            ps.ranges.put(view, ranges);
          }
        }
        ps.started();
        owned.put(tp, ps);
        assigned.put(tp, ps);
        long resume = Math.min(start.onlineNext(), ps.offlineFloor());
        consumer.seek(tp, resume);
        LOG.info("Materializer of group {} owns {} from offset {} (online next {}, offline next {})",
            config.groupId(), tp, resume, start.onlineNext(), new java.util.TreeMap<>(ps.offlineStart));
      }
      if (!assigned.isEmpty()) {
        readBackDeadLetters(assigned);
        // Before any record is decided: the letters read back become durable, and every partition
        // records marks from which its next dead letters can be read back after a crash.
        writeOnline(List.of());
      }
      ownedView = owned.keySet().stream().map(TopicPartition::toString).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    private void drop(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        owned.remove(tp);
        AtomicLong l = lag.get(tp);
        if (l != null) {
          l.set(-1);
        }
      }
      ownedView = owned.keySet().stream().map(TopicPartition::toString).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }
  }

  // ------------------------------------------------------------------------------------- helpers

  private AtomicLong lagGauge(TopicPartition tp) {
    return lag.computeIfAbsent(tp, k -> {
      AtomicLong a = new AtomicLong();
      Gauge.builder("quiver.materializer.lag", a, AtomicLong::get)
          .tag("topic", k.topic()).tag("partition", String.valueOf(k.partition())).register(meters);
      return a;
    });
  }

  private AtomicLong freshnessGauge(String view) {
    AtomicLong newest = new AtomicLong(Long.MIN_VALUE);
    Gauge.builder("quiver.materializer.freshness", newest, a -> a.get() == Long.MIN_VALUE ? Double.NaN
            : (Timestamps.toMicros(config.clock().instant()) - a.get()) / 1e6)
        .tag("view", view).baseUnit("seconds").register(meters);
    return newest;
  }

  private static byte[] header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : (h.value() == null ? new byte[0] : h.value());
  }

  private static byte[] utf8(String s) {
    return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
  }

  private void closeQuietly(boolean commitOnClose) {
    flusher.shutdown();
    try {
      if (consumer != null) {
        if (!commitOnClose) {
          // Leave without running the revocation callback's flush: the failure may be the sink.
          owned.clear();
          buffers.clear();
          inFlight.clear();
        }
        consumer.close(Duration.ofSeconds(10));
      }
    } catch (RuntimeException e) {
      LOG.warn("Cannot close consumer cleanly: {}", e.toString());
    }
    try {
      if (deadLetterProducer != null) {
        deadLetterProducer.close(Duration.ofSeconds(10));
      }
    } catch (RuntimeException e) {
      LOG.warn("Cannot close dead-letter producer cleanly: {}", e.toString());
    }
    try {
      if (deadLetterReader != null) {
        deadLetterReader.close(Duration.ofSeconds(5));
      }
    } catch (RuntimeException e) {
      LOG.warn("Cannot close dead-letter reader cleanly: {}", e.toString());
    }
    ownedView = Set.of();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What this instance knows about one partition it owns. */
  private static final class PartitionState {
    final String metaKey;
    /** The online state read at assignment (online next, remembered dead letters). */
    final Positions start;
    /** Per view reading this topic with an offline side: its committed offline position at assignment. */
    final Map<String, Long> offlineStart = new HashMap<>();
    /** Per such view: the highest position handed to the flush thread, and the highest committed. */
    final Map<String, Long> offlineSubmitted = new HashMap<>();
    final Map<String, Long> offlineCommitted = new HashMap<>();
    final Map<String, List<OffsetRange>> ranges = new HashMap<>();
    /** Records at or above this offset have not been decided before (no sink's position passed them). */
    long deadLetterFrom;
    /** Dead letters at or above the resume point, to remember with the next online write. */
    List<Positions.Range> deadLetters;
    /** Records decided as dead letters before this assignment (remembered or read back): skipped. */
    List<Positions.Range> decided;
    Positions written;
    Positions pending;

    PartitionState(String metaKey, Positions start) {
      this.metaKey = metaKey;
      this.start = start;
      this.deadLetters = start.deadLetters();
      this.decided = start.deadLetters();
      this.written = start;
    }

    /** Called once the offline positions at assignment are known. */
    void started() {
      offlineSubmitted.putAll(offlineStart);
      offlineCommitted.putAll(offlineStart);
      // Any sink position past a bad record implies it was dead-lettered (flushed before writing).
      long max = start.onlineNext();
      for (long v : offlineStart.values()) {
        max = Math.max(max, v);
      }
      deadLetterFrom = max;
    }

    /** The lowest committed offline position of the views reading this topic (MAX_VALUE: none). */
    long offlineFloor() {
      long min = Long.MAX_VALUE;
      for (long v : offlineCommitted.values()) {
        min = Math.min(min, v);
      }
      return min;
    }

    boolean inCommittedRange(String view, long offset) {
      List<OffsetRange> rs = ranges.get(view);
      if (rs == null) {
        return false;
      }
      int lo = 0;
      int hi = rs.size() - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        OffsetRange r = rs.get(mid);
        if (offset < r.firstOffset()) {
          hi = mid - 1;
        } else if (offset > r.lastOffset()) {
          lo = mid + 1;
        } else {
          return true;
        }
      }
      return false;
    }
  }

  /** Offline events are buffered per view and source topic: one append never mixes topics. */
  private record BufferKey(String view, String topic) {}

  /** A flush handed to the flush thread: the view's positions it commits. */
  private record InFlight(String view, Map<TopicPartition, Long> positions, Future<?> done) {}

  /** Buffered offline events of one view from one topic. */
  private static final class Buffer {
    final List<FeatureEvent> events = new ArrayList<>();
    long firstAddedMillis;

    void add(FeatureEvent e, long nowMillis) {
      if (events.isEmpty()) {
        firstAddedMillis = nowMillis;
      }
      events.add(e);
    }

    /** Drops the events of these partitions of {@code topic} (lost to another member). */
    void removePartitions(String topic, Collection<TopicPartition> tps) {
      Set<Integer> parts = new HashSet<>();
      for (TopicPartition tp : tps) {
        if (tp.topic().equals(topic)) {
          parts.add(tp.partition());
        }
      }
      if (!parts.isEmpty()) {
        events.removeIf(e -> parts.contains(e.partition()));
      }
    }
  }
}

package dev.quiver.materializer;

import dev.quiver.registry.OfflineSink;
import dev.quiver.registry.OnlineSink;
import dev.quiver.registry.RegistrySnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The options of a {@link Materializer}, each with its name (as the CLI and {@code quiver.yaml}
 * spell it), default and validation. Immutable; build one with {@link #builder()}.
 */
public final class MaterializerConfig {
  /** {@code materializer.group-id}: the Kafka consumer group. */
  public static final String DEFAULT_GROUP_ID = "quiver-materializer";
  /** {@code materializer.flush-size}: buffered events of one view that trigger an offline flush. */
  public static final int DEFAULT_FLUSH_SIZE = 100_000;
  /** {@code materializer.flush-age}: the oldest buffered event of a view triggers a flush at this age. */
  public static final Duration DEFAULT_FLUSH_AGE = Duration.ofSeconds(60);
  /** {@code materializer.dead-letter-topic}. */
  public static final String DEFAULT_DEAD_LETTER_TOPIC = DeadLetters.DEFAULT_TOPIC;
  /**
   * {@code materializer.max-future-skew}: how far an event or created time may lie past the
   * record's Kafka timestamp (the time it was produced), not past the time it is read, so the
   * verdict is the same on every re-read.
   */
  public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofSeconds(5);
  /** {@code materializer.poll-timeout}. */
  public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(200);
  /** {@code materializer.commit-interval}: how often Kafka group offsets are committed (lag only). */
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);

  private final String bootstrapServers;
  private final String groupId;
  private final String instanceId;
  private final Supplier<RegistrySnapshot> registry;
  private final Supplier<RegistrySnapshot> freshRegistry;
  private final Set<String> views;
  private final OnlineSink online;
  private final OfflineSink offline;
  private final int flushSize;
  private final Duration flushAge;
  private final String deadLetterTopic;
  private final Duration maxFutureSkew;
  private final Duration pollTimeout;
  private final Duration commitInterval;
  private final Clock clock;
  private final MeterRegistry meters;
  private final Map<String, String> consumerProperties;
  private final Consumer<RegistrySnapshot> onRegistryChange;

  private MaterializerConfig(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.groupId = b.groupId;
    this.instanceId = b.instanceId;
    this.registry = b.registry;
    this.freshRegistry = b.freshRegistry != null ? b.freshRegistry : b.registry;
    this.views = Set.copyOf(b.views);
    this.online = b.online;
    this.offline = b.offline;
    this.flushSize = b.flushSize;
    this.flushAge = b.flushAge;
    this.deadLetterTopic = b.deadLetterTopic;
    this.maxFutureSkew = b.maxFutureSkew;
    this.pollTimeout = b.pollTimeout;
    this.commitInterval = b.commitInterval;
    this.clock = b.clock;
    this.meters = b.meters != null ? b.meters : new SimpleMeterRegistry();
    this.consumerProperties = Map.copyOf(b.consumerProperties);
    this.onRegistryChange = b.onRegistryChange;
  }

  public static Builder builder() {
    return new Builder();
  }

  public String bootstrapServers() { return bootstrapServers; }
  public String groupId() { return groupId; }
  /** The static member id in the group ({@code group.instance.id}), if any. */
  public java.util.Optional<String> instanceId() { return java.util.Optional.ofNullable(instanceId); }
  public Supplier<RegistrySnapshot> registry() { return registry; }
  /** Reads the registry bypassing any cache (default: {@link #registry()}). */
  public Supplier<RegistrySnapshot> freshRegistry() { return freshRegistry; }
  /** The views to materialize; empty = every view with a Kafka source. */
  public Set<String> views() { return views; }
  public OnlineSink online() { return online; }
  public OfflineSink offline() { return offline; }
  public int flushSize() { return flushSize; }
  public Duration flushAge() { return flushAge; }
  public String deadLetterTopic() { return deadLetterTopic; }
  public Duration maxFutureSkew() { return maxFutureSkew; }
  public Duration pollTimeout() { return pollTimeout; }
  public Duration commitInterval() { return commitInterval; }
  public Clock clock() { return clock; }
  public MeterRegistry meters() { return meters; }
  public Map<String, String> consumerProperties() { return consumerProperties; }
  public Consumer<RegistrySnapshot> onRegistryChange() { return onRegistryChange; }

  /** Builder of a {@link MaterializerConfig}; {@link #build()} validates. */
  public static final class Builder {
    private String bootstrapServers;
    private String groupId = DEFAULT_GROUP_ID;
    private String instanceId;
    private Supplier<RegistrySnapshot> registry;
    private Supplier<RegistrySnapshot> freshRegistry;
    private Set<String> views = new TreeSet<>();
    private OnlineSink online;
    private OfflineSink offline;
    private int flushSize = DEFAULT_FLUSH_SIZE;
    private Duration flushAge = DEFAULT_FLUSH_AGE;
    private String deadLetterTopic = DEFAULT_DEAD_LETTER_TOPIC;
    private Duration maxFutureSkew = DEFAULT_MAX_FUTURE_SKEW;
    private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
    private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry meters;
    private final Map<String, String> consumerProperties = new LinkedHashMap<>();
    private Consumer<RegistrySnapshot> onRegistryChange = s -> { };

    private Builder() {}

    public Builder withBootstrapServers(String servers) { this.bootstrapServers = servers; return this; }
    public Builder withGroupId(String groupId) { this.groupId = groupId; return this; }

    /**
     * {@code materializer.instance-id}: static group membership. A restarted instance with the
     * same id takes its partitions back at once, instead of waiting for the session of its killed
     * predecessor to time out ({@code session.timeout.ms}, 45 s by default). Each instance of a
     * group needs its own id, stable across its restarts; default none (dynamic membership).
     */
    public Builder withInstanceId(String instanceId) { this.instanceId = instanceId; return this; }

    /** Read every loop: a newly applied view starts flowing, a new version is decoded. */
    public Builder withRegistry(Supplier<RegistrySnapshot> registry) { this.registry = registry; return this; }

    public Builder withRegistry(RegistrySnapshot snapshot) {
      Objects.requireNonNull(snapshot, "snapshot");
      return withRegistry(() -> snapshot);
    }

    /**
     * How to read the registry now, bypassing the cache the {@link #withRegistry(Supplier)}
     * supplier may keep (e.g. {@code FeatureStore::refreshRegistry}): asked before a record whose
     * fingerprint no snapshot knows is dead-lettered, so a version applied a moment ago is not
     * missed. Default: the registry supplier.
     */
    public Builder withFreshRegistry(Supplier<RegistrySnapshot> fresh) { this.freshRegistry = fresh; return this; }

    /** Only these views (default: all views with a Kafka source, including ones applied later). */
    public Builder withViews(Set<String> views) { this.views = new TreeSet<>(views); return this; }
    public Builder withOnlineSink(OnlineSink online) { this.online = online; return this; }
    public Builder withOfflineSink(OfflineSink offline) { this.offline = offline; return this; }
    public Builder withFlushSize(int events) { this.flushSize = events; return this; }
    public Builder withFlushAge(Duration age) { this.flushAge = age; return this; }
    public Builder withDeadLetterTopic(String topic) { this.deadLetterTopic = topic; return this; }
    public Builder withMaxFutureSkew(Duration skew) { this.maxFutureSkew = skew; return this; }
    public Builder withPollTimeout(Duration timeout) { this.pollTimeout = timeout; return this; }
    public Builder withCommitInterval(Duration interval) { this.commitInterval = interval; return this; }
    public Builder withClock(Clock clock) { this.clock = clock; return this; }
    public Builder withMeterRegistry(MeterRegistry meters) { this.meters = meters; return this; }

    /** Any other Kafka consumer property (e.g. {@code group.instance.id}, {@code session.timeout.ms}). */
    public Builder withConsumerProperty(String key, String value) { consumerProperties.put(key, value); return this; }

    /**
     * Called in the consumer thread with each new snapshot before any event decoded with it is
     * written, e.g. {@code onlineStore::useRegistry} so the store knows a newly applied view.
     */
    public Builder withOnRegistryChange(Consumer<RegistrySnapshot> hook) {
      this.onRegistryChange = Objects.requireNonNull(hook, "hook");
      return this;
    }

    public MaterializerConfig build() {
      require(bootstrapServers != null && !bootstrapServers.isBlank(), "bootstrap servers are not set");
      require(groupId != null && !groupId.isBlank(), "group id is not set");
      require(instanceId == null || (!instanceId.isBlank() && instanceId.length() <= 249),
          "instance id must be 1 to 249 characters, got \"" + instanceId + "\"");
      require(registry != null, "registry is not set");
      require(online != null, "online sink is not set (it also holds the consumed positions)");
      require(flushSize > 0, "flush size must be positive, got " + flushSize);
      require(flushAge != null && !flushAge.isNegative(), "flush age must not be negative, got " + flushAge);
      require(deadLetterTopic != null && !deadLetterTopic.isBlank(), "dead-letter topic is not set");
      require(maxFutureSkew != null && !maxFutureSkew.isNegative(), "max future skew must not be negative, got " + maxFutureSkew);
      require(pollTimeout != null && !pollTimeout.isNegative() && !pollTimeout.isZero(), "poll timeout must be positive, got " + pollTimeout);
      require(commitInterval != null && !commitInterval.isNegative(), "commit interval must not be negative");
      require(clock != null, "clock is not set");
      return new MaterializerConfig(this);
    }

    private static void require(boolean ok, String reason) {
      if (!ok) {
        throw new IllegalArgumentException("Cannot build materializer config: " + reason);
      }
    }
  }
}

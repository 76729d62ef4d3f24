package dev.quiver.materializer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.materializer.DeadLetters.Reason;
import dev.quiver.materializer.EventEncoder;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.Entity;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.FeatureViewVersion;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.UserInputException;
import dev.quiver.registry.ValueType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventReaderTest {
  static final Instant T = Instant.parse("2026-01-05T10:00:00Z");
  /** The Kafka timestamp (ms) of the records read in these tests: an hour after their event time. */
  static final long RECORD_MILLIS = T.plusSeconds(3600).toEpochMilli();

  static Definitions defs(boolean v2) {
    FeatureView.Builder v = FeatureView.builder("rides").withEntity("driver").withSource("s")
        .withFeature("trips", ValueType.INT64).withFeature("tags", ValueType.STRING_LIST);
    if (v2) {
      v.withFeature("rating", ValueType.FLOAT64);
    }
    return Definitions.builder().withEntity(Entity.builder("driver").withJoinKey("driver_id", ValueType.INT64).build())
        .withSource(Source.kafka("s", null)).withView(v.build()).build();
  }

  static final RegistrySnapshot S1 = RegistrySnapshot.empty().withDefinitions(defs(false), T, "v1");
  static final RegistrySnapshot S2 = S1.withDefinitions(defs(true), T, "v2");

  static Map<String, Object> row(long id) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("driver_id", id);
    r.put("event_timestamp", T);
    r.put("trips", 7L);
    r.put("tags", List.of("a", "b"));
    return r;
  }

  @Test
  void shouldWriteSingleObjectEncodingWithTheLittleEndianFingerprint() {
    FeatureViewVersion v1 = S1.currentVersion("rides");
    byte[] value = EventEncoder.of(v1).value(row(5));
    assertThat(value[0]).isEqualTo((byte) 0xC3);
    assertThat(value[1]).isEqualTo((byte) 0x01);
    assertThat(ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(v1.fingerprint());
    // Body: driver_id 5 (zigzag 0x0A), event micros, union 1 + trips 7 (0x0E), union 1 + array of 2 strings.
    String body = HexFormat.of().formatHex(value, 10, value.length);
    assertThat(body).startsWith("0a").endsWith("020e0204026102620" + "0");
    assertThat(EventEncoder.createdHeader(Timestamps.fromMicros(0x0102030405060708L)))
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
  }

  @Test
  void shouldDecodeAnOlderVersionIntoTheCurrentOne() throws Exception {
    FeatureViewVersion v1 = S2.version("rides", 1);
    EventEncoder enc = EventEncoder.of(v1);
    FeatureEvent e = new EventReader(S2, 60_000_000L).read(enc.key(row(5)), enc.value(row(5)), null, RECORD_MILLIS, 2, 40);
    assertThat(e.view()).isEqualTo("rides");
    assertThat(e.schemaVersion()).isEqualTo(2);
    assertThat(e.keys()).containsExactly(5L);
    assertThat(e.eventMicros()).isEqualTo(Timestamps.toMicros(T));
    assertThat(e.createdMicros()).as("the Kafka timestamp, without a header").isEqualTo(RECORD_MILLIS * 1000);
    assertThat(e.values()).containsExactly(7L, List.of("a", "b"), null);
    assertThat(e.partition()).isEqualTo(2);
    assertThat(e.offset()).isEqualTo(40);
  }

  @Test
  void shouldTakeTheCreatedTimeFromTheHeaderWhenPresent() throws Exception {
    EventEncoder enc = EventEncoder.of(S1.currentVersion("rides"));
    FeatureEvent e = new EventReader(S1, 0).read(enc.key(row(5)), enc.value(row(5)),
        EventEncoder.createdHeader(T.plusSeconds(1)), RECORD_MILLIS, 0, 0);
    assertThat(e.createdMicros()).isEqualTo(Timestamps.toMicros(T.plusSeconds(1)));
  }

  @Test
  void shouldClassifyEveryKindOfBadRecord() {
    EventEncoder enc = EventEncoder.of(S1.currentVersion("rides"));
    byte[] key = enc.key(row(5));
    byte[] value = enc.value(row(5));
    EventReader reader = new EventReader(S1, 60_000_000L);
    byte[] unknown = value.clone();
    unknown[5] ^= 0x55;
    byte[] badUnion = value.clone();
    badUnion[badUnion.length - 9] = 0x09; // the trips union index
    Map<String, Object> future = row(5);
    future.put("event_timestamp", T.plusSeconds(3600 + 120));
    Map<String, Object> before1970 = row(5);
    before1970.put("event_timestamp", Instant.parse("1969-07-20T20:17:00Z"));

    assertReason(reader, key, null, null, Reason.NOT_DECODABLE, "no value");
    assertReason(reader, key, new byte[] {(byte) 0xC3, 1, 0}, null, Reason.NOT_DECODABLE, "shorter");
    assertReason(reader, key, "{\"json\":1}".getBytes(), null, Reason.NOT_DECODABLE, "not the single-object marker");
    assertReason(reader, key, Arrays.copyOf(value, value.length - 2), null, Reason.NOT_DECODABLE, "truncated");
    assertReason(reader, key, unknown, null, Reason.UNKNOWN_FINGERPRINT, "not a registered version");
    assertReason(reader, key, Arrays.copyOf(value, value.length + 2), null, Reason.SCHEMA_VIOLATION, "trailing bytes");
    assertReason(reader, key, badUnion, null, Reason.SCHEMA_VIOLATION, "does not match its schema");
    assertReason(reader, key, value, new byte[0], Reason.MISSING_TIMESTAMP, "present but empty");
    assertReason(reader, key, value, new byte[3], Reason.SCHEMA_VIOLATION, "expected 8");
    assertReason(reader, key, enc.value(future), null, Reason.TIMESTAMP_OUT_OF_RANGE,
        "more than 60000 ms after the record's Kafka timestamp");
    assertReason(reader, key, enc.value(before1970), null, Reason.TIMESTAMP_OUT_OF_RANGE, "before 1970");
    assertReason(reader, enc.key(row(6)), value, null, Reason.KEY_MISMATCH, "not the entity key");
    assertReason(reader, null, value, null, Reason.KEY_MISMATCH, "no key");
  }

  @Test
  void shouldRejectACorruptLengthWithoutAllocatingIt() {
    EventEncoder enc = EventEncoder.of(S1.currentVersion("rides"));
    byte[] value = enc.value(row(5));
    // Replace the tags array block count (after union index 0x02) with a huge varint.
    byte[] corrupt = Arrays.copyOf(value, value.length + 4);
    int at = value.length - 6; // the array block count 0x04
    assertThat(value[at]).isEqualTo((byte) 0x04);
    byte[] huge = {(byte) 0x80, (byte) 0x94, (byte) 0xEB, (byte) 0xDC, 0x03}; // 500 million items
    System.arraycopy(huge, 0, corrupt, at, huge.length);
    System.arraycopy(value, at + 1, corrupt, at + huge.length, value.length - at - 1);
    assertReason(new EventReader(S1, 0), enc.key(row(5)), corrupt, null, Reason.NOT_DECODABLE, "truncated");
  }

  @Test
  void shouldRejectRowsThatDoNotFitTheViewWithMessagesNamingTheColumn() {
    EventEncoder enc = EventEncoder.of(S1.currentVersion("rides"));
    Map<String, Object> unknown = row(5);
    unknown.put("speed", 3);
    assertThatThrownBy(() -> enc.value(unknown)).isInstanceOf(UserInputException.class)
        .hasMessageContaining("Cannot encode event of feature view rides@v1: unknown column speed");
    Map<String, Object> noTs = row(5);
    noTs.remove("event_timestamp");
    assertThatThrownBy(() -> enc.value(noTs)).hasMessageContaining("event_timestamp is missing");
    Map<String, Object> badType = row(5);
    badType.put("trips", "many");
    assertThatThrownBy(() -> enc.value(badType)).hasMessageContaining("column trips");
    Map<String, Object> noKey = row(5);
    noKey.remove("driver_id");
    assertThatThrownBy(() -> enc.key(noKey)).hasMessageContaining("driver_id");
  }

  @Test
  void shouldJudgeFutureTimesAgainstTheRecordsOwnKafkaTimestampSoEveryReReadAgrees() throws Exception {
    EventEncoder enc = EventEncoder.of(S1.currentVersion("rides"));
    EventReader reader = new EventReader(S1, 5_000_000L);
    Map<String, Object> r = row(5);
    byte[] key = enc.key(r);
    byte[] value = enc.value(r);
    long eventMillis = T.toEpochMilli();
    // Produced 5 s before its event time: accepted, however late it is read.
    assertThat(reader.read(key, value, null, eventMillis - 5_000, 0, 0).eventMicros()).isEqualTo(Timestamps.toMicros(T));
    // Produced 5.001 s before: refused, today as on any later re-read (no wall clock involved).
    assertThatThrownBy(() -> reader.read(key, value, null, eventMillis - 5_001, 0, 0))
        .isInstanceOfSatisfying(BadRecordException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.TIMESTAMP_OUT_OF_RANGE));
    // The created time too.
    assertThatThrownBy(() -> reader.read(key, value, EventEncoder.createdHeader(T.plusSeconds(60)), eventMillis, 0, 0))
        .isInstanceOfSatisfying(BadRecordException.class, e -> assertThat(e.getMessage()).contains("created_ts"));
    // A record without a Kafka timestamp has nothing to be ahead of.
    assertThat(reader.read(key, value, null, -1, 0, 0).createdMicros()).isEqualTo(FeatureEvent.NO_CREATED_TIME);
  }

  @Test
  void shouldEncodePositionsInTheDocumentedLayoutAndReadVersion1() {
    Positions p = new Positions(0x0102L, List.of(new Positions.Range(0x10, 0x12), new Positions.Range(0x20, 0x20)),
        new Positions.DeadLetterMarks("dlq", Map.of(1, 0x30L, 0, 0x31L)));
    assertThat(HexFormat.of().formatHex(p.encode())).isEqualTo("03" + "0000000000000102" + "00000002"
        + "0000000000000010" + "0000000000000012" + "0000000000000020" + "0000000000000020"
        + "0003" + "646c71" + "00000002" + "00000000" + "0000000000000031" + "00000001" + "0000000000000030");
    assertThat(Positions.decode("k", p.encode())).isEqualTo(p);
    // No marks recorded (the dead-letter topic could not be read): length -1, nothing follows.
    Positions unmarked = new Positions(7, List.of());
    assertThat(HexFormat.of().formatHex(unmarked.encode())).isEqualTo("03" + "0000000000000007" + "00000000" + "ffff");
    assertThat(Positions.decode("k", unmarked.encode())).isEqualTo(unmarked);
    // Version 2: online next and dead-letter ranges, no marks.
    Positions v2 = Positions.decode("k", HexFormat.of().parseHex("02" + "0000000000000102" + "00000001"
        + "0000000000000010" + "0000000000000012"));
    assertThat(v2).isEqualTo(new Positions(0x0102L, List.of(new Positions.Range(0x10, 0x12))));
    assertThat(v2.marks()).isNull();
    assertThatThrownBy(() -> Positions.decode("k", HexFormat.of().parseHex("03" + "0000000000000102" + "00000000"
        + "0003" + "646c71" + "00000001" + "00000000"))).hasMessageContaining("dead-letter mark count 1 not matching");
    assertThatThrownBy(() -> Positions.decode("k", HexFormat.of().parseHex("03" + "0000000000000102" + "00000000"
        + "0003" + "646c"))).hasMessageContaining("Cannot read materializer position k: truncated at 17 bytes");
    assertThatThrownBy(() -> Positions.decode("k", HexFormat.of().parseHex("03" + "0000000000000102" + "00000000"
        + "ffff" + "00"))).hasMessageContaining("1 bytes after the end of version 3");
    assertThat(p.deadLettered(0x11)).isTrue();
    assertThat(p.deadLettered(0x13)).isFalse();
    assertThat(p.deadLettered(0x20)).isTrue();
    assertThat(Positions.decode("k", new Positions(7, List.of()).encode())).isEqualTo(new Positions(7, List.of()));
    // Version 1: online next and the offline next it used to hold.
    Positions v1 = Positions.decode("k", HexFormat.of().parseHex("01" + "0000000000000102" + "0000000000000304"));
    assertThat(v1.onlineNext()).isEqualTo(0x0102L);
    assertThat(v1.v1OfflineNext()).isEqualTo(0x0304L);
    assertThat(v1.deadLetters()).isEmpty();
    assertThatThrownBy(() -> Positions.decode("k", new byte[] {2, 0})).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Cannot read materializer position k");
    assertThatThrownBy(() -> Positions.decode("k", HexFormat.of().parseHex("02" + "0000000000000102" + "00000001"
        + "0000000000000010" + "0000000000000001"))).hasMessageContaining("dead-letter range 16..1");
    assertThat(Positions.metaKey("g", "quiver.v", 3)).isEqualTo("quiver.materializer/g/quiver.v/3");
  }

  @Test
  void shouldRememberDeadLettersAsRangesAndForgetThoseBelowTheResumePoint() {
    List<Positions.Range> r = List.of();
    for (long o : new long[] {3, 4, 5, 9, 10, 10}) {
      r = Positions.add(r, o);
    }
    assertThat(r).containsExactly(new Positions.Range(3, 5), new Positions.Range(9, 10));
    // Letters read back after a crash may come in any order: added anywhere, merged with neighbours.
    assertThat(Positions.add(r, 7)).containsExactly(new Positions.Range(3, 5), new Positions.Range(7, 7),
        new Positions.Range(9, 10));
    assertThat(Positions.add(Positions.add(r, 7), 6)).containsExactly(new Positions.Range(3, 7), new Positions.Range(9, 10));
    assertThat(Positions.add(Positions.add(r, 1), 2)).containsExactly(new Positions.Range(1, 5), new Positions.Range(9, 10));
    assertThat(Positions.add(r, 8)).containsExactly(new Positions.Range(3, 5), new Positions.Range(8, 10));
    assertThat(Positions.prune(r, 4)).containsExactly(new Positions.Range(4, 5), new Positions.Range(9, 10));
    assertThat(Positions.prune(r, 6)).containsExactly(new Positions.Range(9, 10));
    assertThat(Positions.prune(r, 11)).isEmpty();
  }

  private static void assertReason(EventReader reader, byte[] key, byte[] value, byte[] created, Reason reason,
                                   String messagePart) {
    assertThatThrownBy(() -> reader.read(key, value, created, RECORD_MILLIS, 0, 0))
        .isInstanceOfSatisfying(BadRecordException.class, e -> {
          assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
          assertThat(e.getMessage()).startsWith("Cannot ").contains(messagePart);
        });
  }
}

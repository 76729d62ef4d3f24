package dev.quiver.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.offline.OfflineStore;
import dev.quiver.offline.Spine;
import dev.quiver.offline.TrainingSetExport;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.online.OnlineFeatures;
import dev.quiver.online.OnlineStore;
import dev.quiver.registry.Definitions;
import dev.quiver.registry.FeatureEvent;
import dev.quiver.registry.FeatureView;
import dev.quiver.registry.RegistrySnapshot;
import dev.quiver.registry.Source;
import dev.quiver.registry.Timestamps;
import dev.quiver.registry.ValueType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events accepted ahead of the writer's clock, late events and ties, written to both stores in
 * batches at an advancing clock: at every {@code now} from the last write on, each entity's online
 * value is the export's at {@code t = now} (value, and null exactly where online is not PRESENT).
 */
class FutureEventsOnlineMatchesExportTest {
  static final Instant T = Fixtures.BASE;
  static final String VIEW = "future_rides";
  static final int ENTITIES = 40;

  @TempDir
  Path dir;

  static final class SettableClock extends Clock {
    volatile Instant now = T;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void shouldServeOnlineWhatTheExportGivesAtTEqualsNowWithEventsStillAhead() throws Exception {
    Definitions defs = Definitions.builder().withEntity(Fixtures.driver()).withSource(Source.kafka("future_src", null))
        .withView(FeatureView.builder(VIEW).withEntity("driver").withSource("future_src").withTtl(Duration.ofSeconds(10))
            .withFeature("trips", ValueType.INT64).build())
        .build();
    RegistrySnapshot reg = Fixtures.apply(RegistrySnapshot.empty(), defs);
    SettableClock clock = new SettableClock();
    Random random = new Random(11);
    try (OfflineStore offline = OfflineStore.open(dir.resolve("offline"), reg);
         OnlineStore online = OnlineStore.builder(dir.resolve("online"), reg).withClock(clock).open()) {
      long offset = 0;
      long clockSeconds = 0;
      for (int batch = 0; batch < 30; batch++) {
        clockSeconds += random.nextInt(2);
        clock.now = T.plusSeconds(clockSeconds);
        List<FeatureEvent> events = new ArrayList<>();
        for (int k = random.nextInt(20); k >= 0; k--) {
          // from 6 s late to 5 s ahead of the writer's clock, on whole seconds so that ties are common
          long eventSeconds = Math.max(0, clockSeconds + random.nextInt(12) - 6);
          long created = random.nextBoolean() ? FeatureEvent.NO_CREATED_TIME : Timestamps.toMicros(T) + random.nextInt(2);
          events.add(new FeatureEvent(VIEW, 1, List.of((long) random.nextInt(ENTITIES)),
              Timestamps.toMicros(T.plusSeconds(eventSeconds)), created, 0, offset, List.of(offset)));
          offset++;
        }
        online.write(events, Map.of());
        offline.append(VIEW, events);
      }

      List<Long> ids = LongStream.range(0, ENTITIES).boxed().toList();
      for (long later : new long[] {0, 1, 2, 4, 6, 9, 14, 30}) {
        Instant now = clock.now.plusSeconds(later);
        Spine.Builder spine = Spine.builder().withColumn("driver_id", ValueType.INT64)
            .withColumn("event_timestamp", ValueType.TIMESTAMP);
        ids.forEach(id -> spine.addRow(id, now));
        Path out = dir.resolve("at-" + later + ".parquet");
        TrainingSetExport.builder(reg).withStore(offline).withSpine(spine.build())
            .withFeatures(List.of(VIEW + ":trips")).withOutput(out).withProgressBar(false).withManifest(false)
            .build().run();
        List<Object> exported = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT trips FROM read_parquet('" + out
                 + "', file_row_number = true) ORDER BY file_row_number")) {
          while (rs.next()) {
            exported.add(rs.getObject(1));
          }
        }

        OnlineFeatures got = online.get(List.of(VIEW + ":trips"), Map.of("driver_id", ids), now);
        int present = 0;
        for (int i = 0; i < ENTITIES; i++) {
          FeatureValue v = got.value(i, 0);
          if (exported.get(i) == null) {
            assertThat(v.status()).as("driver %d at %s", i, now).isIn(FeatureStatus.NOT_FOUND, FeatureStatus.OUTSIDE_MAX_AGE);
          } else {
            present++;
            assertThat(v.status()).as("driver %d at %s", i, now).isEqualTo(FeatureStatus.PRESENT);
            assertThat(v.value()).as("driver %d at %s", i, now).isEqualTo(exported.get(i));
          }
        }
        if (later == 0) {
          assertThat(present).as("entities with a value at the last write").isGreaterThan(ENTITIES / 2);
        }
      }
    }
  }
}

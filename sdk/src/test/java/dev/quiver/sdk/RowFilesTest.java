package dev.quiver.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.internal.RowFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rows `quiver push --file` reads: CSV as text, Parquet as typed Java values. */
class RowFilesTest {
  @TempDir
  Path tmp;

  @Test
  void shouldReadParquetRowsAsJavaValuesWithInstantsForTimestamps() throws Exception {
    Schema micros = org.apache.avro.LogicalTypes.timestampMicros().addToSchema(Schema.create(Schema.Type.LONG));
    Schema schema = SchemaBuilder.record("events").fields()
        .requiredLong("driver_id")
        .name("event_timestamp").type(micros).noDefault()
        .optionalFloat("conv_rate")
        .optionalString("city")
        .endRecord();
    Path file = tmp.resolve("events.parquet");
    try (ParquetWriter<GenericRecord> w = AvroParquetWriter.<GenericRecord>builder(new LocalOutputFile(file))
        .withSchema(schema).withDataModel(GenericData.get())
        .withCompressionCodec(CompressionCodecName.UNCOMPRESSED).build()) {
      GenericRecord a = new GenericData.Record(schema);
      a.put("driver_id", 1001L);
      a.put("event_timestamp", 1_714_557_600_123_456L);
      a.put("conv_rate", 0.5f);
      a.put("city", "Lyon");
      w.write(a);
      GenericRecord b = new GenericData.Record(schema);
      b.put("driver_id", 1002L);
      b.put("event_timestamp", 1_714_557_600_000_000L);
      w.write(b);
    }
    List<Map<String, Object>> rows = RowFiles.read(file);
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0)).containsExactly(Map.entry("driver_id", 1001L),
        Map.entry("event_timestamp", Instant.parse("2024-05-01T10:00:00.123456Z")),
        Map.entry("conv_rate", 0.5f), Map.entry("city", "Lyon"));
    assertThat(rows.get(1).get("conv_rate")).isNull();
    assertThat(rows.get(1).get("city")).isNull();
  }

  @Test
  void shouldReadCsvWithQuotesAndEmptyFieldsAsNull() throws Exception {
    Path file = Files.writeString(tmp.resolve("e.csv"), "driver_id,note,conv_rate\n1001,\"a, \"\"quoted\"\" note\",\n");
    List<Map<String, Object>> rows = RowFiles.read(file);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0)).containsExactly(Map.entry("driver_id", "1001"),
        Map.entry("note", "a, \"quoted\" note"), new java.util.AbstractMap.SimpleEntry<>("conv_rate", null));
  }

  @Test
  void shouldNameTheFileAndLineOfARaggedCsvAndANonParquetFile() throws Exception {
    Path ragged = Files.writeString(tmp.resolve("r.csv"), "a,b\n1,2\n3\n");
    assertThatThrownBy(() -> RowFiles.read(ragged)).isInstanceOf(UserInputException.class)
        .hasMessage("Cannot read rows from " + ragged + ": line 3 has 1 fields but the header has 2");
    Path text = Files.writeString(tmp.resolve("events.parquet"), "not parquet");
    assertThatThrownBy(() -> RowFiles.read(text)).isInstanceOf(UserInputException.class)
        .hasMessageStartingWith("Cannot read rows from " + text + ":")
        .hasMessageEndingWith("(is it a Parquet file? use a .csv name for CSV)");
  }
}

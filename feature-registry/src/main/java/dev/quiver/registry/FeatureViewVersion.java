package dev.quiver.registry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.JsonProperties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * One schema version of a feature view: its join keys (resolved from its entities, in entity
 * order then key order) and its features. Every change of either makes the next version; all
 * versions stay readable.
 *
 * <p>The event schema (Avro record named {@code quiver.events.<view>}, the same name in every
 * version so that Avro schema resolution maps one onto another): the join keys (non-null), then
 * {@code event_timestamp} as timestamp-micros, then each feature as a union of null and its type
 * with default null. The fingerprint is the CRC-64-AVRO of the schema's parsing canonical form.
 */
public record FeatureViewVersion(String view, int version, List<JoinKey> joinKeys,
                                 List<Feature> features, Instant appliedAt) {
  public static final String EVENT_NAMESPACE = "quiver.events";
  public static final String EVENT_TIMESTAMP = "event_timestamp";

  public FeatureViewVersion {
    Objects.requireNonNull(view, "view");
    joinKeys = List.copyOf(joinKeys);
    features = List.copyOf(features);
  }

  /** The Avro event schema of this version (see the class comment). */
  public Schema eventSchema() {
    List<Schema.Field> fields = new ArrayList<>();
    for (JoinKey k : joinKeys) {
      fields.add(new Schema.Field(k.name(), k.type().avroSchema(), null, (Object) null));
    }
    fields.add(new Schema.Field(EVENT_TIMESTAMP, ValueType.TIMESTAMP.avroSchema(), null, (Object) null));
    for (Feature f : features) {
      fields.add(new Schema.Field(f.name(), nullable(f.type().avroSchema()), null, JsonProperties.NULL_VALUE));
    }
    return Schema.createRecord(view, null, EVENT_NAMESPACE, false, fields);
  }

  /**
   * The Avro schema of the features alone (a record {@code quiver.features.<view>} of nullable
   * features), used where keys and times are stored beside the values (the online store).
   */
  public Schema featureSchema() {
    List<Schema.Field> fields = new ArrayList<>();
    for (Feature f : features) {
      fields.add(new Schema.Field(f.name(), nullable(f.type().avroSchema()), null, JsonProperties.NULL_VALUE));
    }
    return Schema.createRecord(view, null, "quiver.features", false, fields);
  }

  /** CRC-64-AVRO fingerprint of {@link #eventSchema()}'s parsing canonical form. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(eventSchema());
  }

  public Optional<Feature> feature(String name) {
    return features.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /** Whether two versions have the same schema (join keys and features, names and types). */
  public boolean sameSchema(List<JoinKey> keys, List<Feature> feats) {
    return joinKeys.equals(keys) && schemaOf(features).equals(schemaOf(feats));
  }

  private static List<String> schemaOf(List<Feature> fs) {
    return fs.stream().map(f -> f.name() + ":" + f.type().typeName()).toList();
  }

  private static Schema nullable(Schema s) {
    return Schema.createUnion(Schema.create(Schema.Type.NULL), s);
  }
}

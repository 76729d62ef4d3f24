package dev.quiver.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.online.FeatureStatus;
import dev.quiver.online.FeatureValue;
import dev.quiver.registry.UserInputException;
import dev.quiver.sdk.FeatureStore;
import dev.quiver.sdk.OnlineFeatureLookup;
import dev.quiver.sdk.OnlineResult;
import dev.quiver.sdk.RemoteFeatureStore;
import dev.quiver.sdk.internal.ServeState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quiver get}: an online lookup, printed as a table or JSON. */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = "Look up online features for entities. Reads RocksDB in this process, or, while `quiver serve` "
        + "runs on the repo (it holds RocksDB) or with --url, asks the HTTP server. A value that is not "
        + "present shows its status (NOT_FOUND, OUTSIDE_MAX_AGE, NULL_VALUE).",
    footer = {
        "",
        "Examples:",
        "  quiver get -r demo --service driver_ranking \\",
        "      --entity driver_id=1001 --entity driver_id=1002",
        "  quiver get -r demo --entity driver_id=1001 \\",
        "      --features driver_hourly_stats:conv_rate,driver_hourly_stats:acc_rate",
        "  quiver get --url http://127.0.0.1:6566 --service driver_ranking \\",
        "      --entity driver_id=1001 --json",
    })
final class GetCommand implements Callable<Integer> {
  @Mixin
  RepoOption repo;

  @ArgGroup(exclusive = true, multiplicity = "1")
  What what;

  static final class What {
    @Option(names = "--features", paramLabel = "VIEW:FEATURE", split = ",", description = "Feature references.")
    List<String> features;

    @Option(names = "--service", paramLabel = "SERVICE", description = "A feature service.")
    String service;
  }

  @Option(names = "--entity", required = true, paramLabel = "KEY=VALUE[,KEY=VALUE]",
      description = "One entity's join keys; repeat for more entities.")
  List<String> entities;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Option(names = "--url", paramLabel = "URL", description = "Ask this feature server instead (e.g. http://127.0.0.1:6566).")
  String url;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, List<Object>> columns = parseEntities(entities);
    OnlineResult r;
    if (url != null) {
      r = lookup(RemoteFeatureStore.connect(url), columns);
    } else {
      try (FeatureStore store = FeatureStore.open(repo.repo())) {
        Optional<ServeState> serving = ServeState.read(store.config().stateDir());
        if (serving.isPresent() && serving.get().url() != null) {
          // typed by the local registry, so the JSON carries numbers for numeric keys
          r = lookup(RemoteFeatureStore.connect(serving.get().url()), coerce(store.registry(), columns));
        } else {
          r = lookup(store, columns);
        }
      }
    }
    if (json) {
      printJson(r, out);
    } else {
      printTable(r, out);
    }
    return 0;
  }

  private OnlineResult lookup(OnlineFeatureLookup lookup, Map<String, List<Object>> columns) {
    return what.service != null ? lookup.getOnlineFeatures(what.service, columns)
        : lookup.getOnlineFeatures(what.features, columns);
  }

  static Map<String, List<Object>> coerce(dev.quiver.registry.RegistrySnapshot reg, Map<String, List<Object>> cols) {
    Map<String, List<Object>> out = new LinkedHashMap<>();
    cols.forEach((name, values) -> {
      dev.quiver.registry.ValueType type = null;
      for (var e : reg.definitions().entities().values()) {
        for (var k : e.joinKeys()) {
          if (k.name().equals(name)) {
            type = k.type();
          }
        }
      }
      List<Object> col = new ArrayList<>();
      for (Object v : values) {
        try {
          col.add(type == null ? v : type.coerce(v));
        } catch (IllegalArgumentException e) {
          throw new UserInputException("Cannot read --entity " + name + "=" + v + ": " + e.getMessage());
        }
      }
      out.put(name, col);
    });
    return out;
  }

  static Map<String, List<Object>> parseEntities(List<String> specs) {
    Map<String, List<Object>> cols = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      Map<String, String> one = new LinkedHashMap<>();
      for (String pair : specs.get(i).split(",")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new UserInputException("Cannot read --entity \"" + specs.get(i) + "\": expected KEY=VALUE, e.g. driver_id=1001");
        }
        one.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
      if (i == 0) {
        one.keySet().forEach(k -> cols.put(k, new ArrayList<>()));
      } else if (!one.keySet().equals(cols.keySet())) {
        throw new UserInputException("Cannot read --entity \"" + specs.get(i) + "\": it gives join keys " + one.keySet()
            + " but the first --entity gives " + cols.keySet());
      }
      one.forEach((k, v) -> cols.get(k).add(v));
    }
    return cols;
  }

  private static String cell(FeatureValue v) {
    if (v.status() == FeatureStatus.PRESENT) {
      // JSON carries FLOAT32 widened to a double: print it as the float it is
      if (v.value() instanceof Double d && (double) d.floatValue() == d) {
        return Float.toString(d.floatValue());
      }
      return String.valueOf(v.value());
    }
    return "(" + v.status() + ")";
  }

  static void printTable(OnlineResult r, PrintWriter out) {
    List<String> header = new ArrayList<>(r.joinKeys());
    header.addAll(r.featureNames());
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      List<String> row = new ArrayList<>();
      for (String k : r.joinKeys()) {
        row.add(String.valueOf(r.joinKey(i, k)));
      }
      for (int j = 0; j < r.featureNames().size(); j++) {
        row.add(cell(r.value(i, j)));
      }
      rows.add(row);
    }
    int[] width = new int[header.size()];
    for (int c = 0; c < header.size(); c++) {
      width[c] = header.get(c).length();
      for (List<String> row : rows) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    out.println(line(header, width));
    for (List<String> row : rows) {
      out.println(line(row, width));
    }
  }

  private static String line(List<String> cells, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      if (c > 0) {
        sb.append("  ");
      }
      sb.append(String.format("%-" + width[c] + "s", cells.get(c)));
    }
    return sb.toString().stripTrailing();
  }

  static void printJson(OnlineResult r, PrintWriter out) throws Exception {
    ObjectMapper m = new ObjectMapper();
    ArrayNode arr = m.createArrayNode();
    for (int i = 0; i < r.size(); i++) {
      ObjectNode o = arr.addObject();
      for (String k : r.joinKeys()) {
        o.set(k, m.valueToTree(r.joinKey(i, k)));
      }
      ObjectNode features = o.putObject("features");
      for (int j = 0; j < r.featureNames().size(); j++) {
        FeatureValue v = r.value(i, j);
        ObjectNode f = features.putObject(r.featureNames().get(j));
        f.set("value", m.valueToTree(v.value() instanceof java.time.Instant t ? t.toString() : v.value()));
        f.put("status", v.status().name());
        f.put("event_timestamp", v.eventTime() == null ? null : v.eventTime().toString());
      }
    }
    out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
  }
}

package io.github.sshcontainer.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Rows of figures for three paths, printed as a Markdown table with ratios and kept as JSON. */
final class Report {
  /** One figure. {@code anchor} is what the ratio divides by; higher is better unless lower. */
  record Row(String scenario, String metric, String unit, boolean lowerIsBetter, double first,
      double anchor, double ours, String target) {
    double ratio() {
      return ours / anchor;
    }

    boolean met() {
      if (target.isEmpty()) {
        return true;
      }
      double bound = Double.parseDouble(target.replaceAll("[^0-9.]", ""));
      return target.startsWith("<=") ? ratio() <= bound : ratio() >= bound;
    }
  }

  private final String[] columns;
  private final boolean quick;
  private final List<Row> rows = new ArrayList<>();

  /** @param columns names of the first, anchor and our column */
  Report(boolean quick, String... columns) {
    this.quick = quick;
    this.columns = columns;
  }

  void add(String scenario, String metric, String unit, boolean lower, double first,
      double anchor, double ours, String target) {
    Row r = new Row(scenario, metric, unit, lower, first, anchor, ours, target);
    rows.add(r);
    System.out.println(line(r));
  }

  private static String line(Row r) {
    return String.format(Locale.ROOT,
        "| %-8s | %-36s | %-5s | %10.1f | %10.1f | %10.1f | %5.2fx | %-6s | %-4s |",
        r.scenario(), r.metric(), r.unit(), r.first(), r.anchor(), r.ours(), r.ratio(),
        r.target(), r.met() ? "met" : "MISS");
  }

  String table(String note) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "| %-8s | %-36s | %-5s | %10s | %10s | %10s | %6s | %-6s | %-4s |%n", "network",
        "figure", "unit", columns[0], columns[1], columns[2], "ratio", "target", ""));
    sb.append("|---|---|---|---:|---:|---:|---:|---|---|\n");
    for (Row r : rows) {
      sb.append(line(r)).append('\n');
    }
    sb.append(note).append(" Machine: ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores, Java ").append(System.getProperty("java.version")).append(", ")
        .append(System.getProperty("os.name")).append(' ')
        .append(System.getProperty("os.version")).append(quick ? " (quick run)" : "");
    return sb.toString();
  }

  void writeJson(Path out) throws IOException {
    StringBuilder sb = new StringBuilder("{\n  \"when\": \"" + Instant.now() + "\",\n");
    sb.append("  \"cores\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
    sb.append("  \"java\": \"").append(System.getProperty("java.version")).append("\",\n");
    sb.append("  \"quick\": ").append(quick).append(",\n  \"columns\": [\"").append(columns[0])
        .append("\", \"").append(columns[1]).append("\", \"").append(columns[2])
        .append("\"],\n  \"rows\": [\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      sb.append(String.format(Locale.ROOT, "    {\"network\": \"%s\", \"figure\": \"%s\", "
          + "\"unit\": \"%s\", \"lowerIsBetter\": %s, \"values\": [%.2f, %.2f, %.2f], "
          + "\"ratio\": %.3f, \"target\": \"%s\", \"met\": %s}%s%n",
          r.scenario(), r.metric(), r.unit(), r.lowerIsBetter(), r.first(), r.anchor(), r.ours(),
          r.ratio(), r.target(), r.met(), i + 1 < rows.size() ? "," : ""));
    }
    sb.append("  ]\n}\n");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, sb.toString(), StandardCharsets.UTF_8);
    System.out.println("JSON written to " + out);
  }
}

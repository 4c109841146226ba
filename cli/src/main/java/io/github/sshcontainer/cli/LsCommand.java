package io.github.sshcontainer.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ls", mixinStandardHelpOptions = true,
    description = {"List the tunnels 'up' started: state (up, reconnecting, down), destination,",
        "remote socket, uptime and open connections."})
final class LsCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    KeptTunnels kept = KeptTunnels.fromEnvironment();
    ArrayNode all = KeptTunnels.JSON.createArrayNode();
    for (String name : kept.names()) {
      ObjectNode s = kept.state(name).orElse(null);
      if (s == null) {
        continue;
      }
      boolean running = kept.running(name)
          && ProcessHandle.of(s.path("pid").asLong()).map(ProcessHandle::isAlive).orElse(false);
      ObjectNode row = all.addObject();
      row.put("name", name);
      row.put("state", !running ? "down" : s.path("connected").asBoolean(false) ? "up"
          : "reconnecting");
      row.put("kind", s.path("kind").asText());
      row.put("destination", s.path("destination").asText());
      row.put("remoteSocket", s.path("remoteSocket").asText());
      row.put("socket", s.path("socket").asText());
      row.put("pid", running ? s.path("pid").asLong() : 0);
      row.put("uptimeSeconds", running
          ? (System.currentTimeMillis() - s.path("started").asLong()) / 1000 : 0);
      row.put("connections", running ? s.path("connections").asInt() : 0);
      row.put("reconnects", s.path("reconnects").asInt());
    }
    if (json) {
      System.out.println(KeptTunnels.JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsString(all));
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "STATE", "DESTINATION", "REMOTE SOCKET", "UPTIME",
        "CONNECTIONS"});
    all.forEach(r -> rows.add(new String[] {r.path("name").asText(), r.path("state").asText(),
        r.path("destination").asText(), r.path("remoteSocket").asText(),
        r.path("state").asText().equals("down") ? "-"
            : uptime(Duration.ofSeconds(r.path("uptimeSeconds").asLong())),
        String.valueOf(r.path("connections").asInt())}));
    int[] width = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], r[i].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        line.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + (width[i] + 2)
            + "s", r[i]));
      }
      System.out.println(line.toString().stripTrailing());
    }
    return 0;
  }

  private static String uptime(Duration d) {
    long s = d.toSeconds();
    return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + (s % 60) + "s"
        : (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }
}

package io.github.sshcontainer.containerd.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.sshcontainer.containerd.ExecSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds an OCI runtime spec on the client, as containerd's Go client does with its default
 * spec: the process from the image config and the caller, the usual Linux mounts, new pid, ipc,
 * uts, mount and network namespaces (no network), Docker's default capabilities, masked and
 * read-only kernel paths, and all devices denied but the basic ones runc adds itself.
 */
final class OciSpec {
  /** The type URL containerd uses for a spec carried in an Any (its value is the JSON). */
  static final String TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

  private static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE",
      "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
      "CAP_AUDIT_WRITE");
  private static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore",
      "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug", "/sys/firmware", "/proc/scsi");
  private static final List<String> READONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq",
      "/proc/sys", "/proc/sysrq-trigger");

  private OciSpec() {}

  /** The type URL of a process spec carried in an Any, as Tasks.Exec takes it. */
  static final String PROCESS_TYPE_URL =
      "types.containerd.io/opencontainers/runtime-spec/1/Process";

  /** A process: on a terminal of columns x rows when columns > 0. */
  static JsonObject process(List<String> args, List<String> env, String cwd, int uid, int gid,
      int columns, int rows) {
    JsonObject process = new JsonObject();
    process.addProperty("terminal", columns > 0);
    if (columns > 0) {
      JsonObject size = new JsonObject();
      size.addProperty("width", columns);
      size.addProperty("height", rows);
      process.add("consoleSize", size);
    }
    JsonObject user = new JsonObject();
    user.addProperty("uid", uid);
    user.addProperty("gid", gid);
    process.add("user", user);
    process.add("args", strings(args));
    process.add("env", strings(env));
    process.addProperty("cwd", cwd);
    JsonObject caps = new JsonObject();
    for (String set : new String[] {"bounding", "effective", "permitted"}) {
      caps.add(set, strings(CAPABILITIES));
    }
    process.add("capabilities", caps);
    JsonArray rlimits = new JsonArray();
    JsonObject nofile = new JsonObject();
    nofile.addProperty("type", "RLIMIT_NOFILE");
    nofile.addProperty("hard", 1024);
    nofile.addProperty("soft", 1024);
    rlimits.add(nofile);
    process.add("rlimits", rlimits);
    process.addProperty("noNewPrivileges", true);
    return process;
  }

  /**
   * The process for {@code Tasks.Exec}: the task's own {@code process} with the command,
   * terminal, environment (added to the task's, replacing a variable of the same name),
   * directory and user of {@code spec}.
   */
  static JsonObject execProcess(JsonObject taskProcess, ExecSpec spec) {
    JsonObject process = taskProcess.deepCopy();
    process.add("args", strings(spec.args()));
    process.addProperty("terminal", spec.tty());
    process.remove("consoleSize");
    if (spec.tty()) {
      JsonObject size = new JsonObject();
      size.addProperty("width", spec.ttyColumns());
      size.addProperty("height", spec.ttyRows());
      process.add("consoleSize", size);
    }
    JsonArray env = process.has("env") ? process.getAsJsonArray("env") : new JsonArray();
    spec.env().forEach((k, v) -> {
      for (int i = env.size() - 1; i >= 0; i--) {
        if (env.get(i).getAsString().startsWith(k + "=")) {
          env.remove(i);
        }
      }
      env.add(k + "=" + v);
    });
    process.add("env", env);
    spec.workingDir().ifPresent(d -> process.addProperty("cwd", d));
    spec.user().ifPresent(u -> {
      JsonObject user = new JsonObject();
      String[] p = u.split(":");
      user.addProperty("uid", Integer.parseInt(p[0]));
      user.addProperty("gid", p.length > 1 ? Integer.parseInt(p[1]) : 0);
      process.add("user", user);
    });
    return process;
  }

  static byte[] build(String namespace, String id, JsonObject process) {
    JsonObject spec = new JsonObject();
    spec.addProperty("ociVersion", "1.0.2-dev");
    spec.add("process", process);
    JsonObject root = new JsonObject();
    root.addProperty("path", "rootfs");
    spec.add("root", root);
    spec.addProperty("hostname", id.length() > 63 ? id.substring(0, 63) : id);
    JsonArray mounts = new JsonArray();
    mounts.add(mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"));
    mounts.add(mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755",
        "size=65536k"));
    mounts.add(mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
        "ptmxmode=0666", "mode=0620", "gid=5"));
    mounts.add(mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777",
        "size=65536k"));
    mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"));
    mounts.add(mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"));
    mounts.add(mount("/run", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755",
        "size=65536k"));
    spec.add("mounts", mounts);
    JsonObject linux = new JsonObject();
    JsonObject resources = new JsonObject();
    JsonArray devices = new JsonArray();
    JsonObject denyAll = new JsonObject();
    denyAll.addProperty("allow", false);
    denyAll.addProperty("access", "rwm");
    devices.add(denyAll);
    resources.add("devices", devices);
    linux.add("resources", resources);
    linux.addProperty("cgroupsPath", "/" + namespace + "/" + id);
    JsonArray namespaces = new JsonArray();
    for (String ns : new String[] {"pid", "ipc", "uts", "mount", "network"}) {
      JsonObject o = new JsonObject();
      o.addProperty("type", ns);
      namespaces.add(o);
    }
    linux.add("namespaces", namespaces);
    linux.add("maskedPaths", strings(MASKED));
    linux.add("readonlyPaths", strings(READONLY));
    spec.add("linux", linux);
    return spec.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject mount(String destination, String type, String source,
      String... options) {
    JsonObject m = new JsonObject();
    m.addProperty("destination", destination);
    m.addProperty("type", type);
    m.addProperty("source", source);
    m.add("options", strings(List.of(options)));
    return m;
  }

  private static JsonArray strings(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }
}

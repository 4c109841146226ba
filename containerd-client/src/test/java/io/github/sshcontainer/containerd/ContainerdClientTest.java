package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import io.github.sshcontainer.containerd.api.containers.ContainersGrpc;
import io.github.sshcontainer.containerd.api.containers.ListContainersRequest;
import io.github.sshcontainer.containerd.api.images.CreateImageRequest;
import io.github.sshcontainer.containerd.api.images.DeleteImageRequest;
import io.github.sshcontainer.containerd.api.images.GetImageRequest;
import io.github.sshcontainer.containerd.api.images.ImagesGrpc;
import io.github.sshcontainer.containerd.api.images.ListImagesRequest;
import io.github.sshcontainer.containerd.api.leases.LeasesGrpc;
import io.github.sshcontainer.containerd.api.leases.ListRequest;
import io.github.sshcontainer.containerd.api.namespaces.CreateNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.DeleteNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.GetNamespaceRequest;
import io.github.sshcontainer.containerd.api.namespaces.ListNamespacesRequest;
import io.github.sshcontainer.containerd.api.namespaces.Namespace;
import io.github.sshcontainer.containerd.api.namespaces.NamespacesGrpc;
import io.github.sshcontainer.containerd.api.snapshots.ListSnapshotsRequest;
import io.github.sshcontainer.containerd.api.snapshots.SnapshotsGrpc;
import io.github.sshcontainer.containerd.api.tasks.ListTasksRequest;
import io.github.sshcontainer.containerd.api.tasks.TasksGrpc;
import io.github.sshcontainer.containerd.api.transfer.TransferGrpc;
import io.github.sshcontainer.containerd.api.transfer.TransferRequest;
import io.github.sshcontainer.containerd.api.version.VersionGrpc;
import io.github.sshcontainer.containerd.internal.Rpc;
import io.github.sshcontainer.lab.ContainerdDaemon;
import io.github.sshcontainer.lab.Keys;
import io.github.sshcontainer.lab.Lab;
import io.github.sshcontainer.lab.Sshd;
import io.github.sshcontainer.tunnel.SshTarget;
import io.github.sshcontainer.tunnel.TunnelException;
import io.github.sshcontainer.tunnel.TunnelOptions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The containerd client through the tunnel against the lab's real containerd 1.6. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ContainerdClientTest {
  static final String IMAGE = "docker.io/sshc-lab/busybox:1";
  private static ContainerdClient ctr;
  private static String ns;

  static TunnelOptions.Builder options() {
    Lab lab = Lab.shared();
    return TunnelOptions.builder(lab.destination()).identityFile(lab.clientKey())
        .knownHosts(lab.knownHosts()).noSshConfig().useAgent(false)
        .remoteSocket(lab.containerd().socket().toString());
  }

  @BeforeAll
  static void importOnce() throws Exception {
    ns = "sshc-" + UUID.randomUUID().toString().substring(0, 8);
    ctr = SshContainerd.connect(options().build(), ns);
    try (InputStream tar = Files.newInputStream(Lab.shared().busyboxTar())) {
      List<ImportedImage> imported = ctr.importImage(tar);
      assertEquals(IMAGE, imported.get(0).name());
    }
  }

  @AfterAll
  static void close() {
    ctr.close();
  }

  /** Connecting warns about nothing, through JUL or through SLF4J (gRPC's Netty uses either). */
  @Test
  void connectLogsNoGrpcWarnings() {
    List<LogRecord> warnings = new CopyOnWriteArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(r);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(h);
    // with an SLF4J provider present (slf4j-simple here) Netty logs through SLF4J to stderr
    PrintStream err = System.err;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try (ContainerdClient c = SshContainerd.connect(options().build(), ns)) {
      assertTrue(c.serverVersion().length() > 0);
    } finally {
      System.setErr(err);
      root.removeHandler(h);
    }
    String stderr = printed.toString(StandardCharsets.UTF_8);
    err.print(stderr);
    assertTrue(warnings.isEmpty(), "gRPC warned: " + warnings.stream()
        .map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());
    assertTrue(!stderr.contains("Unknown channel option") && !stderr.contains("WARN"),
        "warnings while connecting: " + stderr);
  }

  @Test
  void versionIsTheDaemonsOwn() {
    String v = ctr.serverVersion();
    assertTrue(ContainerdDaemon.version().contains(v), v + " vs " + ContainerdDaemon.version());
  }

  @Test
  void namespacesAreCreatedWithLabelsListedAndDeleted() {
    String name = "sshc-ns-" + UUID.randomUUID().toString().substring(0, 8);
    ctr.stub(NamespacesGrpc::newBlockingStub)
        .create(CreateNamespaceRequest.newBuilder().setNamespace(
        Namespace.newBuilder().setName(name).putLabels("team", "qa")).build());
    assertEquals("qa", ctr.stub(NamespacesGrpc::newBlockingStub)
        .get(GetNamespaceRequest.newBuilder().setName(name)
        .build()).getNamespace().getLabelsOrThrow("team"));
    assertTrue(ctr.stub(NamespacesGrpc::newBlockingStub)
        .list(ListNamespacesRequest.getDefaultInstance())
        .getNamespacesList().stream().anyMatch(n -> n.getName().equals(name)));
    ctr.stub(NamespacesGrpc::newBlockingStub)
        .delete(DeleteNamespaceRequest.newBuilder().setName(name).build());
    assertFalse(ctr.stub(NamespacesGrpc::newBlockingStub)
        .list(ListNamespacesRequest.getDefaultInstance())
        .getNamespacesList().stream().anyMatch(n -> n.getName().equals(name)));
  }

  @Test
  void importedImageIsListedInItsNamespaceOnly() {
    assertTrue(ctr.stub(ImagesGrpc::newBlockingStub)
        .list(ListImagesRequest.getDefaultInstance()).getImagesList().stream()
        .anyMatch(i -> i.getName().equals(IMAGE)));
    ContainerdClient other = ctr.withNamespace("sshc-empty-" + UUID.randomUUID().toString()
        .substring(0, 6));
    assertEquals(0, other.stub(ImagesGrpc::newBlockingStub).list(ListImagesRequest.getDefaultInstance())
        .getImagesCount());
    other.close(); // a view: the shared connection stays open
    assertEquals(ns, ctr.namespace());
    assertTrue(ctr.serverVersion().length() > 0);
  }

  /** The internal call context the client's operations use, to test its translations. */
  private static Rpc rpc() {
    return new Rpc(ctr.channel(), ctr.tunnel(), ctr.namespace(), Duration.ofSeconds(60));
  }

  @Test
  void aCallWithoutANamespaceIsRefusedClearly() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
        ImagesGrpc.newBlockingStub(ctr.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
            .list(ListImagesRequest.getDefaultInstance()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    ContainerdException translated = rpc().translate("listing images", e);
    assertEquals(ContainerdException.Reason.INVALID, translated.reason());
    assertTrue(translated.getMessage().contains("namespace"), translated.getMessage());
  }

  @Test
  void runReturnsOutputAndExitStatusAndLeavesNothingBehind() throws Exception {
    RunSpec spec = RunSpec.of(IMAGE).id("run-" + UUID.randomUUID().toString().substring(0, 8))
        .args("sh", "-c", "echo out; echo err >&2; echo $GREETING; exit 3")
        .env("GREETING", "hello").build();
    TaskResult r = ctr.run(spec);
    assertEquals(3, r.exitStatus());
    // stdout and stderr share one log; containerd copies them on separate pipes, so only the
    // order within each stream is kept
    List<String> lines = List.of(r.output().split("\n"));
    assertEquals(3, lines.size(), r.output());
    assertTrue(lines.contains("err"), r.output());
    assertEquals(List.of("out", "hello"), lines.stream().filter(l -> !l.equals("err")).toList());
    assertNothingLeft(spec.id().orElseThrow());
  }

  /**
   * 1 MiB on each stream written at once, then an immediate exit: run() returns every byte of
   * both. (containerd's own file logging loses the end of stderr whenever the stdout copy ends
   * first: its stdout copy closes the file both share.)
   */
  @Test
  void runReturnsEveryByteOfBothStreams() throws Exception {
    String id = "bytes-" + UUID.randomUUID().toString().substring(0, 8);
    TaskResult r = ctr.run(RunSpec.of(IMAGE).id(id).args("sh", "-c", KnownOutput.BOTH_STREAMS)
        .build());
    assertEquals(0, r.exitStatus());
    KnownOutput.assertBothIn(r.output());
    assertNothingLeft(id);
  }

  /** Hardened hosts remove the sftp subsystem; task output comes back over exec channels. */
  @Test
  void runWorksOnAnSshdWithoutSftp(@TempDir Path tmp) throws Exception {
    Lab lab = Lab.shared();
    try (Sshd noSftp = lab.startSshd("nosftp-" + System.nanoTime(), lab.hostKey(),
        List.of("Subsystem none /bin/false"))) {
      Path kh = Files.writeString(tmp.resolve("kh"),
          Keys.knownHostsLine(lab.hostKey(), noSftp.port()) + "\n");
      Process sftp = new ProcessBuilder("sftp", "-b", "-", "-P", String.valueOf(noSftp.port()),
          "-i", lab.clientKey().toString(), "-o", "UserKnownHostsFile=" + kh,
          "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", lab.user() + "@127.0.0.1")
          .redirectErrorStream(true).start();
      sftp.getOutputStream().close();
      String said = new String(sftp.getInputStream().readAllBytes());
      assertTrue(sftp.waitFor(30, TimeUnit.SECONDS));
      assertTrue(sftp.exitValue() != 0, "this sshd must refuse sftp, but: " + said);
      String id = "nosftp-" + UUID.randomUUID().toString().substring(0, 8);
      try (ContainerdClient c = SshContainerd.connect(options().knownHosts(kh)
          .target(SshTarget.of(lab.user(), "127.0.0.1", noSftp.port())).build(), ns)) {
        TaskResult r = c.run(RunSpec.of(IMAGE).id(id)
            .args("sh", "-c", "echo no-sftp-needed; exit 2").build());
        assertEquals(2, r.exitStatus());
        assertEquals("no-sftp-needed", r.output().trim());
      }
      assertNothingLeft(id);
    }
  }

  @Test
  void imageCmdIsUsedWhenNoArgsAreGiven() {
    // the lab image's CMD is /bin/sh, which ends at once without input
    TaskResult r = ctr.run(RunSpec.of(IMAGE).build());
    assertEquals(0, r.exitStatus());
  }

  @Test
  void aLongRunningTaskIsKilledWithASignal() throws Exception {
    String id = "kill-" + UUID.randomUUID().toString().substring(0, 8);
    try (RunningTask t = ctr.start(RunSpec.of(IMAGE).id(id).args("sleep", "600").build())) {
      assertTrue(t.pid() > 0);
      t.kill(9);
      assertEquals(128 + 9, t.await(Duration.ofSeconds(30)).exitStatus());
    }
    assertNothingLeft(id);
  }

  @Test
  void taskEventsAreStreamed() throws Exception {
    List<TaskEvent> events = Collections.synchronizedList(new ArrayList<>());
    String id = "events-" + UUID.randomUUID().toString().substring(0, 8);
    try (AutoCloseable sub = ctr.subscribeTaskEvents(events::add)) {
      Thread.sleep(1000); // the subscription is in place before the task starts
      ctr.run(RunSpec.of(IMAGE).id(id).args("sh", "-c", "exit 5").build());
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (events.stream().noneMatch(e -> e.topic().equals("/tasks/exit")
          && e.containerId().equals(id)) && System.nanoTime() < end) {
        Thread.sleep(20);
      }
    }
    assertTrue(events.stream().anyMatch(e -> e.topic().equals("/tasks/start")
        && e.containerId().equals(id) && e.pid() > 0), events.toString());
    assertTrue(events.stream().anyMatch(e -> e.topic().equals("/tasks/exit")
        && e.containerId().equals(id) && e.exitStatus() == 5), events.toString());
  }

  @Test
  void aFailingStartCleansUpToo() throws Exception {
    String id = "fail-" + UUID.randomUUID().toString().substring(0, 8);
    ContainerdException e = assertThrows(ContainerdException.class, () -> ctr.run(
        RunSpec.of(IMAGE).id(id).args("/no/such/binary").build()));
    assertTrue(e.getMessage().contains(id), e.getMessage());
    assertNothingLeft(id);
  }

  @Test
  void transferIsUnimplementedOn16AndSaidSo() {
    assumeContainerd16();
    ContainerdException e = assertThrows(ContainerdException.class, () -> rpc().call("transfer",
        () -> ctr.stub(TransferGrpc::newBlockingStub)
            .transfer(TransferRequest.getDefaultInstance())));
    assertEquals(ContainerdException.Reason.UNIMPLEMENTED, e.reason());
    assertTrue(e.getMessage().contains("1.7"), e.getMessage());
  }

  /** The lab's containerd is Debian 12's 1.6; on a newer one this test would be wrong. */
  private static void assumeContainerd16() {
    String v = ctr.serverVersion();
    assertTrue(v.startsWith("1.6"), "this test checks containerd 1.6 behaviour; got " + v);
  }

  @Test
  void unknownImageIsNotFound() {
    ContainerdException e = assertThrows(ContainerdException.class,
        () -> ctr.run(RunSpec.of("docker.io/library/absent:1").build()));
    assertEquals(ContainerdException.Reason.NOT_FOUND, e.reason());
  }

  @Test
  void missingSocketIsReportedByTheTunnel() {
    TunnelException e = assertThrows(TunnelException.class, () -> SshContainerd.connect(
        options().remoteSocket("/tmp/sshc-no-containerd/containerd.sock").build(), "default"));
    assertEquals(TunnelException.Reason.REMOTE_SOCKET_UNAVAILABLE, e.reason());
  }

  @Test
  void closeEndsEveryThreadOfTheClient() throws Exception {
    ContainerdClient c = SshContainerd.connect(options().build(), "default");
    String prefix = "ssh-container-" + c.tunnel().id() + "-";
    c.stub(VersionGrpc::newBlockingStub).version(Empty.getDefaultInstance());
    c.close();
    c.close();
    assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive()
        && t.getName().startsWith(prefix)), "threads left after close");
    assertFalse(c.tunnel().isOpen());
  }

  @Test
  void deletingTheImageWorks() throws Exception {
    String name = "docker.io/sshc-lab/busybox:copy";
    ContainerdClient view = ctr;
    view.stub(ImagesGrpc::newBlockingStub)
        .create(CreateImageRequest.newBuilder().setImage(view.stub(ImagesGrpc::newBlockingStub)
            .get(GetImageRequest.newBuilder().setName(IMAGE).build()).getImage().toBuilder()
            .setName(name)).build());
    view.stub(ImagesGrpc::newBlockingStub)
        .delete(DeleteImageRequest.newBuilder().setName(name).build());
    assertFalse(view.stub(ImagesGrpc::newBlockingStub)
        .list(ListImagesRequest.getDefaultInstance()).getImagesList()
        .stream().anyMatch(i -> i.getName().equals(name)));
  }

  /** Asserts that containerd has no task, container or snapshot named {@code id}. */
  static void assertNoTask(ContainerdClient c, String id) {
    assertFalse(c.stub(TasksGrpc::newBlockingStub)
        .list(ListTasksRequest.getDefaultInstance()).getTasksList().stream()
        .anyMatch(t -> t.getId().equals(id) || t.getContainerId().equals(id)), "task left");
    assertFalse(c.stub(ContainersGrpc::newBlockingStub)
        .list(ListContainersRequest.getDefaultInstance())
        .getContainersList().stream().anyMatch(k -> k.getId().equals(id)), "container left");
    var snaps = c.stub(SnapshotsGrpc::newBlockingStub).list(ListSnapshotsRequest.newBuilder()
        .setSnapshotter("overlayfs").build());
    while (snaps.hasNext()) {
      assertFalse(snaps.next().getInfoList().stream().anyMatch(s -> s.getName().equals(id)),
          "snapshot left");
    }
  }

  private static void assertNothingLeft(String id) throws Exception {
    assertNoTask(ctr, id);
    assertFalse(ctr.stub(LeasesGrpc::newBlockingStub)
        .list(ListRequest.getDefaultInstance()).getLeasesList().stream()
        .anyMatch(l -> l.getId().startsWith("ssh-container-")), "lease left");
    assertFalse(Files.exists(Path.of("/tmp/ssh-container-" + ns + "-" + id + ".log")),
        "log file left");
  }
}

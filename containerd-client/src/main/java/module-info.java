/**
 * A ready gRPC client for a containerd on a remote host over SSH. Exported: {@code
 * io.github.sshcontainer.containerd} and the classes generated from containerd's API under
 * {@code io.github.sshcontainer.containerd.api} (messages and stubs for {@code stub(...)}); the
 * task, image and transport machinery in {@code ….internal} is hidden.
 *
 * <p>The tunnel underneath reaches package-private JSch members; on the module path run with
 * {@code --add-opens com.jcraft.jsch/com.jcraft.jsch=io.github.sshcontainer.tunnel}, as for the
 * tunnel itself.
 */
module io.github.sshcontainer.containerd {
  requires transitive io.github.sshcontainer.tunnel; // SocketTunnel: connect(...), tunnel()
  requires transitive io.github.sshcontainer.registry; // RegistryAuth etc. in PullOptions
  requires transitive io.grpc; // ManagedChannel, Channel: channel(), stub(...)
  requires transitive io.grpc.stub; // AbstractStub, and the generated stubs extend its types
  requires transitive io.grpc.protobuf; // the generated stubs' marshallers
  requires transitive com.google.protobuf; // the generated messages
  requires transitive com.google.common; // the generated future stubs return ListenableFuture
  requires io.grpc.netty.shaded;
  requires com.google.gson;
  requires org.apache.commons.compress;
  requires org.slf4j;
  requires java.net.http; // registry pulls

  exports io.github.sshcontainer.containerd;
  exports io.github.sshcontainer.containerd.api.containers;
  exports io.github.sshcontainer.containerd.api.content;
  exports io.github.sshcontainer.containerd.api.diff;
  exports io.github.sshcontainer.containerd.api.events;
  exports io.github.sshcontainer.containerd.api.images;
  exports io.github.sshcontainer.containerd.api.introspection;
  exports io.github.sshcontainer.containerd.api.leases;
  exports io.github.sshcontainer.containerd.api.namespaces;
  exports io.github.sshcontainer.containerd.api.snapshots;
  exports io.github.sshcontainer.containerd.api.task;
  exports io.github.sshcontainer.containerd.api.tasks;
  exports io.github.sshcontainer.containerd.api.transfer;
  exports io.github.sshcontainer.containerd.api.types;
  exports io.github.sshcontainer.containerd.api.version;
}

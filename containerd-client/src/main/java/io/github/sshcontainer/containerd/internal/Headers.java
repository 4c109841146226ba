package io.github.sshcontainer.containerd.internal;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/** The gRPC metadata containerd reads: the namespace of every call, and a lease. */
final class Headers {
  private static final Metadata.Key<String> NAMESPACE =
      Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> LEASE =
      Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

  private Headers() {}

  static ClientInterceptor namespace(String namespace) {
    Metadata m = new Metadata();
    m.put(NAMESPACE, namespace);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }

  static ClientInterceptor namespaceAndLease(String namespace, String lease) {
    Metadata m = new Metadata();
    m.put(NAMESPACE, namespace);
    m.put(LEASE, lease);
    return MetadataUtils.newAttachHeadersInterceptor(m);
  }
}

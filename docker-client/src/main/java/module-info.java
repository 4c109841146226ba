/**
 * A ready docker-java {@code DockerClient} for a Docker daemon on a remote host over SSH. Only
 * {@code io.github.sshcontainer.docker} is exported; the transport, hijacking and Docker
 * endpoint discovery in {@code ….internal} are hidden.
 */
module io.github.sshcontainer.docker {
  requires transitive io.github.sshcontainer.tunnel;
  requires transitive io.github.sshcontainer.registry; // RegistryAuth in ContainerSpec
  requires transitive com.github.dockerjava.api; // DockerClient and its models are the API
  requires com.github.dockerjava.core;
  requires com.github.dockerjava.transport;
  requires com.github.dockerjava.transport.httpclient5;
  requires org.apache.httpcomponents.core5.httpcore5;
  requires com.fasterxml.jackson.databind;
  requires org.slf4j;

  exports io.github.sshcontainer.docker;
}

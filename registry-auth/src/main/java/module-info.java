/** Registry credentials as the Docker CLI finds them; no transport of its own. */
module io.github.sshcontainer.registry {
  requires com.fasterxml.jackson.databind;

  exports io.github.sshcontainer.registry;
}

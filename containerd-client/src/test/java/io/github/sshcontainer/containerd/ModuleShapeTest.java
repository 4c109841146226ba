package io.github.sshcontainer.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The client is a named module, as a module-path user gets it (the tests run on the module
 * path): it exports its public package and the generated API, not its internals, and brings no
 * second module with the package javax.annotation.
 */
class ModuleShapeTest {
  @Test
  void exportsThePublicPackageAndTheGeneratedApiOnly() {
    Module module = ContainerdClient.class.getModule();
    assertTrue(module.isNamed(), "the tests run on the module path");
    ModuleDescriptor descriptor = module.getDescriptor();
    assertEquals("io.github.sshcontainer.containerd", descriptor.name());
    Set<String> exported = descriptor.exports().stream().map(ModuleDescriptor.Exports::source)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> expected = new TreeSet<>(List.of("io.github.sshcontainer.containerd"));
    for (String api : List.of("containers", "content", "diff", "events", "images",
        "introspection", "leases", "namespaces", "snapshots", "task", "tasks", "transfer",
        "types", "version")) {
      expected.add("io.github.sshcontainer.containerd.api." + api);
    }
    assertEquals(expected, exported);
    assertTrue(module.getPackages().contains("io.github.sshcontainer.containerd.internal"));
    assertTrue(descriptor.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
  }

  @Test
  void bringsNoModuleWithJavaxAnnotation() {
    List<String> holders = ModuleLayer.boot().modules().stream()
        .filter(m -> m.getPackages().contains("javax.annotation")).map(Module::getName)
        .sorted().toList();
    assertEquals(List.of(), holders, "modules with javax.annotation on the module path");
  }
}

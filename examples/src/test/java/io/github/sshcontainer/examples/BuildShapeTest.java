package io.github.sshcontainer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * What Maven Central and a library user see of the reactor: the BOM pins exactly the published
 * artifacts, the internal modules are not deployed, and every published artifact has its
 * metadata, sources and javadoc.
 */
class BuildShapeTest {
  private static final Path ROOT = Path.of("..");

  private static Document pom(Path path) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(path.toFile());
  }

  /** The text of the first direct child {@code name} of {@code parent}, or "". */
  private static String child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e.getTextContent().trim();
      }
    }
    return "";
  }

  private static List<String> modules() throws Exception {
    List<String> out = new ArrayList<>();
    NodeList list = pom(ROOT.resolve("pom.xml")).getElementsByTagName("module");
    for (int i = 0; i < list.getLength(); i++) {
      out.add(list.item(i).getTextContent().trim());
    }
    return out;
  }

  private record Module(String dir, String artifactId, String packaging, boolean deployed,
      Element root) {}

  private static List<Module> published() throws Exception {
    List<Module> out = new ArrayList<>();
    for (String dir : modules()) {
      Element root = pom(ROOT.resolve(dir).resolve("pom.xml")).getDocumentElement();
      String packaging = child(root, "packaging").isEmpty() ? "jar" : child(root, "packaging");
      boolean skip = root.getElementsByTagName("maven.deploy.skip").getLength() > 0
          && root.getElementsByTagName("maven.deploy.skip").item(0).getTextContent().trim()
              .equals("true");
      if (!skip) {
        out.add(new Module(dir, child(root, "artifactId"), packaging, true, root));
      }
    }
    return out;
  }

  @Test
  void theBomPinsExactlyThePublishedArtifacts() throws Exception {
    Set<String> jars = new TreeSet<>();
    for (Module m : published()) {
      if (m.packaging().equals("jar")) {
        jars.add(m.artifactId());
      }
    }
    Set<String> pinned = new TreeSet<>();
    NodeList deps = pom(ROOT.resolve("bom/pom.xml")).getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element dep = (Element) deps.item(i);
      if (child(dep, "groupId").equals("io.github.sshcontainer")) {
        pinned.add(child(dep, "artifactId"));
      }
    }
    assertEquals(jars, pinned, "the BOM must name every published jar and no other of ours");
    assertFalse(jars.contains("ssh-container-lab"), "the lab is internal");
    assertFalse(jars.contains("ssh-container-examples"));
    assertFalse(jars.contains("ssh-container-benchmark"));
  }

  /**
   * The third-party versions the BOM gives users are the ones the reactor is built and tested
   * with: the parent pom's dependencyManagement, its properties resolved.
   */
  @Test
  void theBomsThirdPartyVersionsAreTheBuildsOwn() throws Exception {
    Element parent = pom(ROOT.resolve("pom.xml")).getDocumentElement();
    Map<String, String> props = new HashMap<>();
    NodeList propNodes = ((Element) parent.getElementsByTagName("properties").item(0))
        .getChildNodes();
    for (int i = 0; i < propNodes.getLength(); i++) {
      if (propNodes.item(i) instanceof Element e) {
        props.put(e.getTagName(), e.getTextContent().trim());
      }
    }
    Map<String, String> built = new HashMap<>();
    NodeList managed = parent.getElementsByTagName("dependency");
    for (int i = 0; i < managed.getLength(); i++) {
      Element dep = (Element) managed.item(i);
      String version = child(dep, "version");
      if (version.startsWith("${")) {
        version = props.getOrDefault(version.substring(2, version.length() - 1), version);
      }
      built.put(child(dep, "groupId") + ":" + child(dep, "artifactId"), version);
    }
    int thirdParty = 0;
    NodeList deps = pom(ROOT.resolve("bom/pom.xml")).getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element dep = (Element) deps.item(i);
      String key = child(dep, "groupId") + ":" + child(dep, "artifactId");
      if (!child(dep, "groupId").equals("io.github.sshcontainer")) {
        thirdParty++;
        assertEquals(built.get(key), child(dep, "version"),
            "the BOM's " + key + " must be the version the parent pom builds with");
      }
    }
    assertTrue(thirdParty >= 7, "the BOM manages the libraries that diverge: " + thirdParty);
  }

  @Test
  void everyPublishedArtifactHasMetadataSourcesAndJavadoc() throws Exception {
    Element parent = pom(ROOT.resolve("pom.xml")).getDocumentElement();
    for (String required : new String[] {"url", "licenses", "developers", "scm"}) {
      assertFalse(child(parent, required).isEmpty(), "the parent pom needs <" + required + ">");
    }
    assertTrue(parent.getElementsByTagName("project.build.outputTimestamp").getLength() > 0,
        "reproducible jars need project.build.outputTimestamp");
    for (Module m : published()) {
      if (child(m.root(), "parent").isEmpty()) {
        for (String required : new String[] {"url", "licenses", "developers", "scm"}) {
          assertFalse(child(m.root(), required).isEmpty(), m.dir() + " inherits nothing and "
              + "needs <" + required + ">");
        }
      }
      assertFalse(child(m.root(), "name").isEmpty(), m.dir() + " needs <name>");
      assertFalse(child(m.root(), "description").isEmpty(), m.dir() + " needs <description>");
      if (m.packaging().equals("jar")) {
        Set<String> plugins = new TreeSet<>();
        NodeList ids = m.root().getElementsByTagName("artifactId");
        for (int i = 0; i < ids.getLength(); i++) {
          plugins.add(ids.item(i).getTextContent().trim());
        }
        assertTrue(plugins.contains("maven-source-plugin"), m.dir() + " must attach sources");
        assertTrue(plugins.contains("maven-javadoc-plugin"), m.dir() + " must attach javadoc");
      }
    }
  }
}

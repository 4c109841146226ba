package io.github.sshcontainer.docker;

import static io.github.sshcontainer.docker.LabDocker.busybox;
import static io.github.sshcontainer.docker.LabDocker.client;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Long-lived streams (logs, events, stats, wait, attach) each hold a connection for as long as
 * they run. With a hundred open, every other call on the same client must still go through at
 * once, as with docker-java's own transport: no pool cap makes it queue.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LongStreamsTest {

  @Test
  void aHundredFollowedLogStreamsLeaveOtherCallsFree() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    List<ResultCallback.Adapter<Frame>> streams = new ArrayList<>();
    try (DockerClient docker = client();
        OnDemandContainer box = OnDemandContainer.launch(docker, busybox().build())) {
      for (int i = 0; i < 100; i++) {
        streams.add(docker.logContainerCmd(box.id()).withFollowStream(true).withStdOut(true)
            .withStdErr(true).exec(new ResultCallback.Adapter<>()));
      }
      for (ResultCallback.Adapter<Frame> s : streams) {
        assertTrue(s.awaitStarted(60, TimeUnit.SECONDS), "a log stream did not start");
      }
      Future<Integer> calls = pool.submit(() -> {
        docker.pingCmd().exec();
        return docker.listContainersCmd().exec().size();
      });
      int listed = calls.get(10, TimeUnit.SECONDS); // with a 32-connection pool: minutes
      assertTrue(listed >= 1, "the launched container is listed");
      assertEquals(box.id(), docker.inspectContainerCmd(box.id()).exec().getId());
    } finally {
      for (ResultCallback.Adapter<Frame> s : streams) {
        s.close();
      }
      pool.shutdownNow();
    }
  }
}

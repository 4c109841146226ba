package io.github.sshcontainer.containerd.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.github.sshcontainer.containerd.TaskEvent;
import io.github.sshcontainer.containerd.api.events.SubscribeRequest;
import io.github.sshcontainer.containerd.api.events.TaskCreate;
import io.github.sshcontainer.containerd.api.events.TaskDelete;
import io.github.sshcontainer.containerd.api.events.TaskExit;
import io.github.sshcontainer.containerd.api.events.TaskStart;
import io.github.sshcontainer.containerd.api.types.Envelope;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Task events from the Events service, decoded from their Any by topic. */
public final class Events {
  private static final Logger log = LoggerFactory.getLogger(Events.class);

  private Events() {}

  /** Streams this namespace's task events to {@code listener} until the handle is closed. */
  public static AutoCloseable subscribe(Rpc client, Consumer<TaskEvent> listener) {
    Subscription subscription = new Subscription(listener);
    client.eventsAsync().subscribe(SubscribeRequest.newBuilder()
        .addFilters("namespace==" + client.namespace() + ",topic~=\"^/tasks/\"").build(),
        subscription);
    return subscription;
  }

  /** One Events.Subscribe call: events to the listener; closing cancels the call. */
  private static final class Subscription
      implements ClientResponseObserver<SubscribeRequest, Envelope>, AutoCloseable {
    private final Consumer<TaskEvent> listener;
    private volatile ClientCallStreamObserver<SubscribeRequest> call;

    Subscription(Consumer<TaskEvent> listener) {
      this.listener = listener;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> s) {
      call = s;
    }

    @Override
    public void onNext(Envelope e) {
      TaskEvent event = decode(e);
      if (event != null) {
        listener.accept(event);
      }
    }

    @Override
    public void onError(Throwable t) {
      log.debug("event subscription ended: {}", t.toString());
    }

    @Override
    public void onCompleted() {
      log.debug("event subscription completed");
    }

    @Override
    public void close() {
      call.cancel("unsubscribed", null);
    }
  }

  static TaskEvent decode(Envelope e) {
    try {
      ByteString value = e.getEvent().getValue();
      switch (e.getTopic()) {
        case "/tasks/create": {
          TaskCreate t = TaskCreate.parseFrom(value);
          return new TaskEvent(e.getTopic(), e.getNamespace(), t.getContainerId(), t.getPid(),
              -1);
        }
        case "/tasks/start": {
          TaskStart t = TaskStart.parseFrom(value);
          return new TaskEvent(e.getTopic(), e.getNamespace(), t.getContainerId(), t.getPid(),
              -1);
        }
        case "/tasks/exit": {
          TaskExit t = TaskExit.parseFrom(value);
          return new TaskEvent(e.getTopic(), e.getNamespace(), t.getContainerId(), t.getPid(),
              t.getExitStatus());
        }
        case "/tasks/delete": {
          TaskDelete t = TaskDelete.parseFrom(value);
          return new TaskEvent(e.getTopic(), e.getNamespace(), t.getContainerId(), t.getPid(),
              t.getExitStatus());
        }
        default:
          return new TaskEvent(e.getTopic(), e.getNamespace(), "", 0, -1);
      }
    } catch (InvalidProtocolBufferException ex) {
      log.debug("undecodable event on {}: {}", e.getTopic(), ex.toString());
      return null;
    }
  }
}

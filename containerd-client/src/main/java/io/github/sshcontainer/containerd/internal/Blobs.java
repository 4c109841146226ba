package io.github.sshcontainer.containerd.internal;

import com.google.protobuf.ByteString;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.api.content.ContentGrpc;
import io.github.sshcontainer.containerd.api.content.ReadContentRequest;
import io.github.sshcontainer.containerd.api.content.ReadContentResponse;
import io.github.sshcontainer.containerd.api.content.WriteAction;
import io.github.sshcontainer.containerd.api.content.WriteContentRequest;
import io.github.sshcontainer.containerd.api.content.WriteContentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Writes and reads blobs of containerd's content store over gRPC. */
public final class Blobs {
  private static final int CHUNK = 1 << 20;
  private static final long STALL_MILLIS = 120_000;

  /** A stored blob. */
  public record Blob(String digest, long size, boolean gzip) {}

  private Blobs() {}

  public static String sha256(byte[] data) {
    return "sha256:" + HexFormat.of().formatHex(digester().digest(data));
  }

  static MessageDigest digester() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Streams {@code in} into the content store under {@code lease} as ingest {@code ref},
   * computing its digest, and commits it with {@code labels}. Already stored content is fine.
   * Sends as fast as gRPC flow control allows, without a round trip per chunk.
   */
  public static Blob write(Rpc client, String lease, String ref, InputStream in,
      Map<String, String> labels) throws IOException {
    ContentGrpc.ContentStub stub = ContentGrpc.newStub(client.channel())
        .withInterceptors(Headers.namespaceAndLease(client.namespace(), lease));
    CompletableFuture<WriteContentResponse> committed = new CompletableFuture<>();
    Object ready = new Object();
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<WriteContentRequest>[] requests = new ClientCallStreamObserver[1];
    ClientResponseObserver<WriteContentRequest, WriteContentResponse> responses =
        new ClientResponseObserver<>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<WriteContentRequest> r) {
            requests[0] = r;
            r.setOnReadyHandler(() -> {
              synchronized (ready) {
                ready.notifyAll();
              }
            });
          }

          @Override
          public void onNext(WriteContentResponse value) {
            if (value.getAction() == WriteAction.COMMIT) {
              committed.complete(value);
            }
          }

          @Override
          public void onError(Throwable t) {
            committed.completeExceptionally(t);
            synchronized (ready) {
              ready.notifyAll();
            }
          }

          @Override
          public void onCompleted() {
            committed.completeExceptionally(new IOException("write stream ended before commit"));
          }
        };
    stub.write(responses);
    ClientCallStreamObserver<WriteContentRequest> out = requests[0];
    MessageDigest md = digester();
    byte[] buf = new byte[CHUNK];
    long offset = 0;
    boolean gzip = false;
    try {
      int n;
      while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
        if (offset == 0 && n >= 2) {
          gzip = (buf[0] & 0xff) == 0x1f && (buf[1] & 0xff) == 0x8b;
        }
        md.update(buf, 0, n);
        awaitReady(out, ready, committed);
        out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref)
            .setOffset(offset).setData(ByteString.copyFrom(buf, 0, n)).build());
        offset += n;
      }
      String digest = "sha256:" + HexFormat.of().formatHex(md.digest());
      awaitReady(out, ready, committed);
      out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref)
          .setOffset(offset).setTotal(offset).setExpected(digest).putAllLabels(labels).build());
      out.onCompleted();
      try {
        committed.get(STALL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (!(c instanceof StatusRuntimeException s
            && s.getStatus().getCode() == Status.Code.ALREADY_EXISTS)) {
          if (c instanceof StatusRuntimeException s) {
            throw client.translate("writing " + ref, s);
          }
          throw new IOException("writing " + ref + " failed: " + c, c);
        }
        if (!labels.isEmpty()) {
          Labels.set(client, digest, labels);
        }
      } catch (TimeoutException e) {
        throw new ContainerdException(ContainerdException.Reason.TIMED_OUT, "containerd did not "
            + "confirm the commit of " + ref + " within " + STALL_MILLIS + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted writing " + ref, e);
      }
      return new Blob(digest, offset, gzip);
    } catch (IOException | RuntimeException e) {
      out.cancel("aborted", e);
      throw e;
    }
  }

  private static void awaitReady(ClientCallStreamObserver<?> out, Object ready,
      CompletableFuture<?> done) throws IOException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
    synchronized (ready) {
      while (!out.isReady()) {
        if (done.isDone()) {
          return; // the error surfaces at commit
        }
        long left = end - System.nanoTime();
        if (left <= 0) {
          throw new IOException("containerd stopped taking content for " + STALL_MILLIS + " ms");
        }
        try {
          ready.wait(Math.max(1, Math.min(left / 1_000_000, 1000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  public static Blob writeBytes(Rpc client, String lease, String ref, byte[] data,
      Map<String, String> labels) throws IOException {
    return write(client, lease, ref, new java.io.ByteArrayInputStream(data), labels);
  }

  /** Reads a whole blob (for manifests and configs: small). */
  public static byte[] read(Rpc client, String digest) {
    return client.call("reading content " + digest, () -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Iterator<ReadContentResponse> it = client.content().read(
          ReadContentRequest.newBuilder().setDigest(digest).build());
      while (it.hasNext()) {
        byte[] chunk = it.next().getData().toByteArray();
        out.write(chunk, 0, chunk.length);
      }
      return out.toByteArray();
    });
  }

  /** Labels on content, set through Content.Update with a field mask per label. */
  static final class Labels {
    private Labels() {}

    static void set(Rpc client, String digest, Map<String, String> labels) {
      var info = io.github.sshcontainer.containerd.api.content.Info.newBuilder()
          .setDigest(digest).putAllLabels(labels);
      var mask = com.google.protobuf.FieldMask.newBuilder();
      labels.keySet().forEach(k -> mask.addPaths("labels." + k));
      client.call("labelling " + digest, () -> client.content().update(
          io.github.sshcontainer.containerd.api.content.UpdateRequest.newBuilder()
              .setInfo(info).setUpdateMask(mask).build()));
    }
  }

  /** Reads a stream fully into memory, refusing more than {@code max} bytes. */
  static byte[] readSmall(InputStream in, long size, int max) throws IOException {
    if (size > max) {
      throw new IOException("a " + size + " byte entry is larger than the " + max
          + " bytes a manifest or config may have");
    }
    return in.readNBytes((int) size);
  }
}

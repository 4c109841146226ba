package io.github.sshcontainer.containerd.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.github.sshcontainer.containerd.ContainerdException;
import io.github.sshcontainer.containerd.api.content.ContentGrpc;
import io.github.sshcontainer.containerd.api.content.Info;
import io.github.sshcontainer.containerd.api.content.ReadContentRequest;
import io.github.sshcontainer.containerd.api.content.ReadContentResponse;
import io.github.sshcontainer.containerd.api.content.UpdateRequest;
import io.github.sshcontainer.containerd.api.content.WriteAction;
import io.github.sshcontainer.containerd.api.content.WriteContentRequest;
import io.github.sshcontainer.containerd.api.content.WriteContentResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
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
final class Blobs {
  private static final int CHUNK = 1 << 20;
  private static final long STALL_MILLIS = 120_000;

  /** A stored blob. */
  record Blob(String digest, long size, boolean gzip) {}

  private Blobs() {}

  static String sha256(byte[] data) {
    return "sha256:" + HexFormat.of().formatHex(digester().digest(data));
  }

  /** True when {@code data} starts as gzip does. */
  static boolean isGzip(byte[] data) {
    return isGzip(data, data.length);
  }

  private static boolean isGzip(byte[] data, int length) {
    return length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
  }

  private static MessageDigest digester() {
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
  static Blob write(Rpc client, String lease, String ref, InputStream in,
      Map<String, String> labels) throws IOException {
    ContentGrpc.ContentStub stub = ContentGrpc.newStub(client.channel())
        .withInterceptors(Headers.namespaceAndLease(client.namespace(), lease));
    ContentWrite write = new ContentWrite();
    stub.write(write); // calls beforeStart, which hands over the request stream
    ClientCallStreamObserver<WriteContentRequest> out = write.requests;
    MessageDigest md = digester();
    byte[] buf = new byte[CHUNK];
    long offset = 0;
    boolean gzip = false;
    try {
      int n;
      while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
        if (offset == 0) {
          gzip = isGzip(buf, n);
        }
        md.update(buf, 0, n);
        write.awaitReady();
        out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.WRITE).setRef(ref)
            .setOffset(offset).setData(ByteString.copyFrom(buf, 0, n)).build());
        offset += n;
      }
      String digest = "sha256:" + HexFormat.of().formatHex(md.digest());
      write.awaitReady();
      out.onNext(WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT).setRef(ref)
          .setOffset(offset).setTotal(offset).setExpected(digest).putAllLabels(labels).build());
      out.onCompleted();
      try {
        write.committed.get(STALL_MILLIS, TimeUnit.MILLISECONDS);
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

  /**
   * One Content.Write call: its request stream (handed over before the call starts), whether
   * the stream can take more now, and the commit's answer.
   */
  private static final class ContentWrite
      implements ClientResponseObserver<WriteContentRequest, WriteContentResponse> {
    final CompletableFuture<WriteContentResponse> committed = new CompletableFuture<>();
    private final Object ready = new Object();
    volatile ClientCallStreamObserver<WriteContentRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<WriteContentRequest> r) {
      requests = r;
      r.setOnReadyHandler(this::wake);
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
      wake();
    }

    @Override
    public void onCompleted() {
      committed.completeExceptionally(new IOException("write stream ended before commit"));
    }

    private void wake() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    /** Waits until gRPC takes more (or the call has ended: its error surfaces at commit). */
    void awaitReady() throws IOException {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
      synchronized (ready) {
        while (!requests.isReady()) {
          if (committed.isDone()) {
            return;
          }
          long left = end - System.nanoTime();
          if (left <= 0) {
            throw new IOException("containerd stopped taking content for " + STALL_MILLIS
                + " ms");
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
  }

  static Blob writeBytes(Rpc client, String lease, String ref, byte[] data,
      Map<String, String> labels) throws IOException {
    return write(client, lease, ref, new ByteArrayInputStream(data), labels);
  }

  /** Reads a whole blob (for manifests and configs: small). */
  static byte[] read(Rpc client, String digest) {
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
      Info.Builder info = Info.newBuilder().setDigest(digest).putAllLabels(labels);
      FieldMask.Builder mask = FieldMask.newBuilder();
      labels.keySet().forEach(k -> mask.addPaths("labels." + k));
      client.call("labelling " + digest, () -> client.content().update(
          UpdateRequest.newBuilder().setInfo(info).setUpdateMask(mask).build()));
    }
  }
}

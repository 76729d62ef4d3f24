package dev.quiver.benchmarks.online;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * A constant-rate (open-loop) HTTP load: requests are due at fixed intervals whatever the
 * server's speed, and each latency is measured from when the request was due (so a slow server
 * cannot hide latency by slowing the load: no coordinated omission). wrk measures the most
 * throughput; this measures the latency at a given rate, which the targets ask for.
 *
 * <p>Usage: {@code OpenLoopLoad <url> <bodies-file> <rate/s> <seconds> <connections> [warmup-seconds=3]}; the
 * bodies file holds one JSON body per line, used in turn. Prints one line:
 * {@code rate=<achieved> ok=<n> errors=<n> p50_ms= p99_ms= p999_ms= max_ms=}.
 */
public final class OpenLoopLoad {
  private OpenLoopLoad() {}

  public static void main(String[] args) throws Exception {
    java.net.URI uri = java.net.URI.create(args[0]);
    List<Buffer> bodies = Files.readAllLines(Path.of(args[1])).stream().filter(l -> !l.isBlank())
        .map(Buffer::buffer).toList();
    double rate = Double.parseDouble(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int connections = Integer.parseInt(args[4]);

    int warmupSeconds = args.length > 5 ? Integer.parseInt(args[5]) : 3;

    Vertx vertx = Vertx.vertx();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost())
        .setPort(uri.getPort()).setURI(uri.getPath()).putHeader("content-type", "application/json");
    // the same load, unrecorded, so that both JVMs are compiled and the connections open
    phase(vertx, client, options, bodies, rate, warmupSeconds);
    Result r = phase(vertx, client, options, bodies, rate, seconds);
    Histogram hist = r.histogram();
    System.out.printf("rate=%.0f ok=%d errors=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f%s%n",
        r.ok() / r.elapsedSeconds(), r.ok(), r.errors(),
        hist.getValueAtPercentile(50) / 1e6, hist.getValueAtPercentile(99) / 1e6,
        hist.getValueAtPercentile(99.9) / 1e6, hist.getMaxValue() / 1e6, r.finished() ? "" : " (unfinished)");
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private record Result(Histogram histogram, long ok, long errors, double elapsedSeconds, boolean finished) {}

  private static Result phase(Vertx vertx, HttpClient client, RequestOptions options, List<Buffer> bodies,
                              double rate, int seconds) throws InterruptedException {
    Histogram hist = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long total = Math.max(1, (long) (rate * seconds));
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong completed = new AtomicLong();
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    double intervalNanos = 1e9 / rate;
    long[] sent = {0};
    vertx.setPeriodic(1, id -> {
      long now = System.nanoTime();
      while (sent[0] < total && start + (long) (sent[0] * intervalNanos) <= now) {
        long due = start + (long) (sent[0] * intervalNanos);
        Buffer body = bodies.get((int) (sent[0] % bodies.size()));
        sent[0]++;
        client.request(options)
            .compose(req -> req.send(body))
            .compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              long latency = System.nanoTime() - due;
              if (ar.succeeded() && ar.result() == 200) {
                ok.incrementAndGet();
                synchronized (hist) {
                  hist.recordValue(Math.min(latency, hist.getHighestTrackableValue()));
                }
              } else {
                errors.incrementAndGet();
              }
              if (completed.incrementAndGet() == total) {
                done.countDown();
              }
            });
      }
      if (sent[0] >= total) {
        vertx.cancelTimer(id);
      }
    });
    boolean finished = done.await(seconds + 60L, TimeUnit.SECONDS);
    return new Result(hist, ok.get(), errors.get(), (System.nanoTime() - start) / 1e9, finished);
  }
}

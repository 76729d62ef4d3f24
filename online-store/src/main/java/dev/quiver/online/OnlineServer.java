package dev.quiver.online;

import dev.quiver.online.internal.HttpRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP feature server over an {@link OnlineStore}, wire-compatible with Feast's:
 * {@code POST /get-online-features}, {@code POST /push}, {@code GET /health},
 * {@code GET /metrics} (Prometheus text), and {@code POST /sample-entities} (Quiver's, for
 * consistency checks). A lookup may carry {@code "now"} to judge the ttl at that time instead of
 * the server's {@link Builder#withClock clock}. Bad requests get a 4xx with
 * {@code {"error": ..., "detail": ...}} naming the field. Lookups run on Vert.x worker threads.
 * The server does not own the store: close the store after the server.
 */
public final class OnlineServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 6566;
  public static final int DEFAULT_MAX_ENTITIES = 1_000;
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  private final Vertx vertx;
  private final HttpServer server;
  private final HttpRoutes routes;

  private OnlineServer(Builder b) {
    vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(b.workerThreads));
    try {
      routes = new HttpRoutes(vertx, b.store, b.pushHandler, b.clock, b.maxEntities, b.maxBodyBytes,
          b.meters, b.health);
      server = vertx.createHttpServer(new HttpServerOptions().setHost(b.host).setPort(b.port))
          .requestHandler(routes.router())
          .listen()
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException | RuntimeException e) {
      vertx.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new dev.quiver.registry.QuiverException("Cannot start online server on " + b.host + ":" + b.port + ": "
          + cause.getMessage(), cause);
    }
  }

  public static Builder builder(OnlineStore store) {
    return new Builder(store);
  }

  /** The port the server listens on (the one chosen when built with port 0). */
  public int port() {
    return server.actualPort();
  }

  /** Stops listening and releases the server's threads; the store stays open. */
  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new dev.quiver.registry.QuiverException("Cannot stop online server: " + e.getMessage(), e);
    } finally {
      routes.close();
    }
  }

  /** Options of the server. */
  public static final class Builder {
    private final OnlineStore store;
    private String host = "127.0.0.1";
    private int port = DEFAULT_PORT;
    private int maxEntities = DEFAULT_MAX_ENTITIES;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int workerThreads = 2 * Runtime.getRuntime().availableProcessors() + 2;
    private Clock clock = Clock.systemUTC();
    private PushHandler pushHandler;
    private io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters;
    private final java.util.Map<String, java.util.function.Supplier<ComponentHealth>> health =
        new java.util.LinkedHashMap<>();

    private Builder(OnlineStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The address to bind; default 127.0.0.1. */
    public Builder withHost(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port; 0 picks a free one (see {@link OnlineServer#port()}); default {@value #DEFAULT_PORT}, Feast's. */
    public Builder withPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("Cannot set port: " + port + " is not in 0..65535");
      }
      this.port = port;
      return this;
    }

    /** The most entities one lookup may ask for; default {@value #DEFAULT_MAX_ENTITIES}. */
    public Builder withMaxEntities(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("Cannot set max entities: " + max + " is below 1");
      }
      this.maxEntities = max;
      return this;
    }

    /** The largest request body accepted (bigger: 413); default 1 MiB. */
    public Builder withMaxBodyBytes(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("Cannot set max body bytes: " + max + " is below 1");
      }
      this.maxBodyBytes = max;
      return this;
    }

    /** Threads doing lookups off the event loop; default 2 per core + 2. */
    public Builder withWorkerThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("Cannot set worker threads: " + threads + " is below 1");
      }
      this.workerThreads = threads;
      return this;
    }

    /** The clock giving "now" for ttl checks; default UTC system clock. */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The receiver of {@code POST /push}; without one that endpoint answers 501. */
    public Builder withPushHandler(PushHandler handler) {
      this.pushHandler = handler;
      return this;
    }

    /**
     * The registry {@code GET /metrics} shows, and where the server's own meters go, so that other
     * parts of the process (the materializer) show on the same page; the caller closes it. Default:
     * one of the server's own.
     */
    public Builder withMeterRegistry(io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry) {
      this.meters = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * A part whose health {@code GET /health} reports under {@code name} (asked on every request,
     * off the event loop); a {@code DOWN} part makes the answer 503.
     */
    public Builder withHealthCheck(String name, java.util.function.Supplier<ComponentHealth> check) {
      health.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(check, "check"));
      return this;
    }

    /** Starts the server; returns once it listens. */
    public OnlineServer start() {
      return new OnlineServer(this);
    }
  }
}

package dev.quiver.online.internal;

import dev.quiver.online.OnlineStore;
import dev.quiver.online.PushHandler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Set;

/** Assembles the HTTP router: the endpoints, body limits, metrics and the one error handler. */
public final class HttpRoutes {
  private static final Set<String> ENDPOINTS = Set.of("/get-online-features", "/push", "/health", "/metrics",
      "/sample-entities");

  private final ServerMetrics metrics;
  private final Router router;

  public HttpRoutes(Vertx vertx, OnlineStore store, PushHandler push, Clock clock, int maxEntities, long maxBodyBytes,
                    io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters,
                    java.util.Map<String, java.util.function.Supplier<dev.quiver.online.ComponentHealth>> health) {
    metrics = new ServerMetrics(meters);
    router = Router.router(vertx);
    ErrorHandler errors = new ErrorHandler(maxBodyBytes);
    router.route().handler(ctx -> {
      long start = System.nanoTime();
      String path = ctx.request().path();
      String endpoint = ENDPOINTS.contains(path) ? path : "other";
      ctx.addEndHandler(done -> metrics.request(endpoint, ctx.response().getStatusCode(), System.nanoTime() - start));
      ctx.next();
    });
    router.post("/get-online-features")
        .handler(new JsonBodyHandler(maxBodyBytes))
        .handler(new GetOnlineFeaturesHandler(vertx, store, clock, maxEntities, metrics));
    router.post("/sample-entities")
        .handler(new JsonBodyHandler(maxBodyBytes))
        .handler(new SampleEntitiesHandler(vertx, store, maxEntities));
    router.post("/push")
        .handler(new JsonBodyHandler(maxBodyBytes))
        .handler(new PushEndpointHandler(vertx, push));
    HealthReport report = new HealthReport(store, health);
    router.get("/health").handler(ctx -> vertx.executeBlocking(report::answer, false)
        .onSuccess(a -> ctx.response().setStatusCode(a.status()).putHeader("content-type", "application/json")
            .end(a.body().encode()))
        .onFailure(ctx::fail));
    router.get("/metrics").handler(ctx -> vertx.executeBlocking(metrics::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text))
        .onFailure(ctx::fail));
    router.route().failureHandler(errors);
    router.errorHandler(404, errors);
    router.errorHandler(405, errors);
    router.errorHandler(500, errors);
  }

  public Router router() {
    return router;
  }

  public void close() {
    metrics.close();
  }
}

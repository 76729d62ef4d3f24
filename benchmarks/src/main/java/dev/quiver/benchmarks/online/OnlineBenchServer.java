package dev.quiver.benchmarks.online;

import dev.quiver.online.OnlineServer;
import dev.quiver.online.OnlineStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server side of {@code benchmarks/online/http-bench.sh}: the feature server over the 1M
 * entity data set (see {@link BenchData}) on one port, and beside it a bare Vert.x JSON echo
 * ({@code POST /echo}: parse the JSON body, write it back) on another, the floor of an HTTP JSON
 * round trip on this machine. Both on loopback. Prints {@code READY} once both listen; runs until
 * killed.
 *
 * <p>Usage: {@code OnlineBenchServer <feature-port> <echo-port>}
 */
public final class OnlineBenchServer {
  private OnlineBenchServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 6566;
    int echoPort = args.length > 1 ? Integer.parseInt(args[1]) : 6567;
    Path dir = BenchData.ensure(BenchData.defaultDir(), BenchData.defaultEntities());
    OnlineStore store = OnlineStore.open(dir, BenchData.registry());
    OnlineServer server = OnlineServer.builder(store).withHost("127.0.0.1").withPort(port)
        .withClock(Clock.fixed(BenchData.NOW, ZoneOffset.UTC)).withMaxEntities(1000).start();

    Vertx echoVertx = Vertx.vertx();
    Router router = Router.router(echoVertx);
    router.post("/echo").handler(BodyHandler.create(false)).handler(ctx -> {
      JsonObject body = ctx.body().asJsonObject();
      ctx.response().putHeader("content-type", "application/json").end(body.toBuffer());
    });
    HttpServer echo = echoVertx.createHttpServer().requestHandler(router).listen(echoPort, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      echoVertx.close();
      store.close();
      stop.countDown();
    }));
    System.out.println("READY feature-port=" + server.port() + " echo-port=" + echo.actualPort());
    System.out.flush();
    stop.await();
  }
}

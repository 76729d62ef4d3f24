package dev.quiver.online.internal;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a POST body as raw bytes, whatever its content type, up to a limit (beyond it: 413), for
 * the endpoints' own JSON parsing ({@link #body(RoutingContext)}).
 *
 * <p>Why not Vert.x's {@code BodyHandler}: for {@code application/x-www-form-urlencoded}, curl's
 * default for {@code -d}, it hands the body to Netty's form decoder, which gives up on a field
 * longer than a few KB; a JSON document sent that way is then lost with a 500. The bodies here are
 * JSON whatever the header says, so no form decoder ever sees them.
 */
final class JsonBodyHandler implements Handler<RoutingContext> {
  private static final String BODY = "quiver.body";

  private final long maxBytes;

  JsonBodyHandler(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The body read by this handler; empty when there was none. */
  static byte[] body(RoutingContext ctx) {
    Buffer b = ctx.get(BODY);
    return b == null ? new byte[0] : b.getBytes();
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        ctx.fail(HttpError.badRequest("Cannot read request body: content-length \"" + length + "\" is not a number"));
        return;
      }
      if (declared > maxBytes) {
        ctx.fail(tooLarge());
        return;
      }
    }
    if (request.isEnded()) {
      ctx.put(BODY, Buffer.buffer());
      ctx.next();
      return;
    }
    if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue();
    }
    Buffer body = Buffer.buffer();
    boolean[] failed = {false};
    request.handler(chunk -> {
      if (failed[0]) {
        return;
      }
      if (body.length() + (long) chunk.length() > maxBytes) {
        failed[0] = true;
        ctx.fail(tooLarge());
        return;
      }
      body.appendBuffer(chunk);
    });
    request.exceptionHandler(e -> {
      if (!failed[0]) {
        failed[0] = true;
        ctx.fail(HttpError.badRequest("Cannot read request body: " + e.getMessage()));
      }
    });
    request.endHandler(v -> {
      if (!failed[0]) {
        ctx.put(BODY, body);
        ctx.next();
      }
    });
    request.resume();
  }

  private HttpError tooLarge() {
    return new HttpError(413, "payload_too_large",
        "Cannot read request body: it is larger than the limit of " + maxBytes + " bytes");
  }
}

package dev.quiver.online.internal;

import dev.quiver.online.StoreClosedException;
import dev.quiver.registry.NoSuchEntityException;
import dev.quiver.registry.NoSuchFeatureException;
import dev.quiver.registry.NoSuchFeatureServiceException;
import dev.quiver.registry.NoSuchFeatureViewException;
import dev.quiver.registry.UserInputException;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns failures into responses: a status and {@code {"error": kind,
 * "detail": message}}, never a stack trace. User errors are 4xx (unknown view, feature or
 * service 404, like Feast's not-found errors; other bad input 400; a too large body 413); only a
 * fault of the server itself is a 500, logged with its stack trace.
 */
final class ErrorHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorHandler.class);

  private final long maxBodyBytes;

  ErrorHandler(long maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
  }

  static int statusOf(UserInputException e) {
    if (e instanceof NoSuchFeatureViewException || e instanceof NoSuchFeatureException
        || e instanceof NoSuchFeatureServiceException || e instanceof NoSuchEntityException) {
      return 404;
    }
    return 400;
  }

  static String kindOf(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 413 -> "payload_too_large";
      case 501 -> "not_implemented";
      case 503 -> "unavailable";
      default -> status >= 500 ? "internal_error" : "bad_request";
    };
  }

  /** The detail of a status Vert.x assigned, with the failure's own message when it has one. */
  private String clientDetail(RoutingContext ctx, int status, String message) {
    String route = ctx.request().method() + " " + ctx.request().path();
    return switch (status) {
      case 404 -> "Cannot route " + route
          + ": no such endpoint (POST /get-online-features, POST /push, GET /health, GET /metrics)";
      case 405 -> "Cannot route " + route + ": method not allowed";
      case 413 -> "Cannot read request body: it is larger than the limit of " + maxBodyBytes + " bytes";
      case 400 -> "Cannot read request" + (message == null || message.isBlank() ? ": bad request" : ": " + message);
      default -> "Cannot serve " + route + ": status " + status
          + (message == null || message.isBlank() || status >= 500 ? "" : " (" + message + ")");
    };
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    Throwable f = ctx.failure();
    int status;
    String detail;
    String kind = null;
    if (f instanceof HttpError e) {
      status = e.status();
      kind = e.error();
      detail = e.getMessage();
    } else if (f instanceof UserInputException e) {
      status = statusOf(e);
      detail = e.getMessage();
    } else if (f instanceof StoreClosedException e) {
      status = 503;
      detail = e.getMessage();
    } else if (f instanceof HttpException e && e.getStatusCode() >= 400 && e.getStatusCode() < 500) {
      // a status a Vert.x handler chose for the request (e.g. 413, 400): keep it
      status = e.getStatusCode();
      detail = clientDetail(ctx, status, e.getPayload() != null ? e.getPayload() : e.getMessage());
    } else if (f != null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      status = ctx.statusCode();
      detail = clientDetail(ctx, status, f.getMessage());
    } else if (f != null) {
      status = 500;
      detail = "Cannot serve " + ctx.request().method() + " " + ctx.request().path() + ": internal error (see the server log)";
      LOG.error("Cannot serve {} {}", ctx.request().method(), ctx.request().path(), f);
    } else {
      status = ctx.statusCode() <= 0 ? 500 : ctx.statusCode();
      detail = clientDetail(ctx, status, null);
    }
    JsonObject body = new JsonObject().put("error", kind != null ? kind : kindOf(status)).put("detail", detail);
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}

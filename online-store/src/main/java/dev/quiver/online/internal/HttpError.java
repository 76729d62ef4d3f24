package dev.quiver.online.internal;

/** A request error with its HTTP status and the short error kind of the JSON body. */
public final class HttpError extends RuntimeException {
  private final int status;
  private final String error;

  public HttpError(int status, String error, String detail) {
    super(detail, null, false, false);
    this.status = status;
    this.error = error;
  }

  public static HttpError badRequest(String detail) {
    return new HttpError(400, "bad_request", detail);
  }

  public int status() {
    return status;
  }

  public String error() {
    return error;
  }
}

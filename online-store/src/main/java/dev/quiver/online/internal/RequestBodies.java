package dev.quiver.online.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Parsing of JSON request bodies into a tree, with errors that name what is wrong. */
final class RequestBodies {
  // a body is one JSON document: "{...} trailing" is refused, not read as its first value
  static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private RequestBodies() {}

  /** The body as a JSON object; a 400 when it is empty, malformed, or not an object. */
  static JsonNode object(byte[] body, String what) {
    if (body == null || body.length == 0) {
      throw HttpError.badRequest("Cannot " + what + ": the request body is empty, expected a JSON object");
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw HttpError.badRequest("Cannot " + what + ": malformed JSON: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr()));
    } catch (IOException e) {
      throw HttpError.badRequest("Cannot " + what + ": unreadable body: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw HttpError.badRequest("Cannot " + what + ": expected a JSON object but got "
          + (root == null ? "nothing" : root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
    }
    return root;
  }

  static String kind(JsonNode n) {
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}

package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Every module's tests run under a default timeout (the parent POM sets JUnit's
 * {@code junit.jupiter.execution.timeout.default} for each test JVM), so a stuck loop fails
 * instead of hanging the build.
 */
class TestTimeoutTest {
  @Test
  void shouldRunUnderADefaultTimeoutOfAFewMinutes() {
    String value = System.getProperty("junit.jupiter.execution.timeout.default");
    assertThat(value).as("junit.jupiter.execution.timeout.default").isNotBlank();
    String[] parts = value.trim().split("\\s+");
    assertThat(parts).hasSize(2);
    Duration d = switch (parts[1]) {
      case "s" -> Duration.ofSeconds(Long.parseLong(parts[0]));
      case "m" -> Duration.ofMinutes(Long.parseLong(parts[0]));
      default -> throw new AssertionError("unexpected unit in " + value);
    };
    assertThat(d).isBetween(Duration.ofSeconds(30), Duration.ofMinutes(10));
  }
}

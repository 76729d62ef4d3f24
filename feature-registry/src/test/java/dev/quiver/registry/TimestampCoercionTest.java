package dev.quiver.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Out-of-range times and versions are user errors naming the value, never a DateTimeException or overflow. */
class TimestampCoercionTest {
  @Test
  void shouldRefuseATimeBeyondWhatMicrosecondsHold() {
    assertThatThrownBy(() -> ValueType.TIMESTAMP.coerce("+300000-01-01T00:00:00Z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("timestamp \"+300000-01-01T00:00:00Z\" is outside the range of microsecond timestamps ("
            + Timestamps.MIN + " to " + Timestamps.MAX + ")");
    assertThatThrownBy(() -> ValueType.TIMESTAMP.coerce(Instant.MAX))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the range");
    assertThat(ValueType.TIMESTAMP.coerce(Timestamps.MAX.toString())).isEqualTo(Timestamps.MAX);
  }

  @Test
  void shouldRefuseEpochSecondsBeyondWhatAnInstantOrMicrosecondsHold() {
    assertThatThrownBy(() -> ValueType.TIMESTAMP.coerce(99_999_999_999_999_999L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("epoch seconds 99999999999999999 are outside the range");
    assertThatThrownBy(() -> ValueType.TIMESTAMP.coerce(Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ValueType.TIMESTAMP.coerce(BigInteger.TWO.pow(70)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRefuseAVersionBeyondIntRangeAsABadReference() {
    assertThatThrownBy(() -> FeatureRef.parse("driver_hourly_stats@v99999999999:conv_rate"))
        .isInstanceOf(UserInputException.class)
        .hasMessage("Cannot parse feature reference: \"driver_hourly_stats@v99999999999:conv_rate\" "
            + "(version 99999999999 is beyond the largest version number 2147483647)");
  }
}

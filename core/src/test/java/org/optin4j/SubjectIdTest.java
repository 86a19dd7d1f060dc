package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SubjectIdTest {

  @Test
  void tryParseWhenValidThenTheIdAndWhenInvalidOrAbsentThenEmptyWithoutThrowing() {
    SubjectId id = SubjectId.random(new SecureRandom());

    assertEquals(Optional.of(id), SubjectId.tryParse(id.value()));
    assertEquals(Optional.empty(), SubjectId.tryParse(id.value() + "x"));
    assertEquals(
        Optional.empty(), SubjectId.tryParse("not/an+id=================".substring(0, 22)));
    assertEquals(Optional.empty(), SubjectId.tryParse(""));
    assertEquals(Optional.empty(), SubjectId.tryParse(null));
    assertThrows(IllegalArgumentException.class, () -> new SubjectId(""));
  }
}

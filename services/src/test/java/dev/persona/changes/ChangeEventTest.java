package dev.persona.changes;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Event ids name a changelog position of one topology version; another version's id resumes nothing. */
class ChangeEventTest {

    @Test
    void shouldReadBackThePositionOfItsOwnVersion() {
        final ChangeEvent event = new ChangeEvent(3, 1_234, null);
        assertEquals("3-1234", event.id(""));
        assertEquals("3-1234.01234567", event.id("01234567"));
        assertEquals(Optional.of(new ChangeEvent.Position(3, 1_234)), ChangeEvent.position("3-1234", ""));
        assertEquals(Optional.of(new ChangeEvent.Position(3, 1_234)), ChangeEvent.position("3-1234.01234567", "01234567"));
    }

    @Test
    void shouldResumeNothingFromAnotherVersionsId() {
        assertEquals(Optional.empty(), ChangeEvent.position("3-1234", "01234567"), "an id of the first version, in a later one");
        assertEquals(Optional.empty(), ChangeEvent.position("3-1234.01234567", ""), "an id of a later version, in the first");
        assertEquals(Optional.empty(), ChangeEvent.position("3-1234.89abcdef", "01234567"), "an id of another later version");
        assertEquals(Optional.empty(), ChangeEvent.position("x-1", ""));
        assertEquals(Optional.empty(), ChangeEvent.position(null, ""));
    }
}

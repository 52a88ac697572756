package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** The routing decision of a read, with no Kafka Streams: which copies answer, in which order, for each hop. */
class ReadPlanTest {
    private static final HostInfo SELF = new HostInfo("10.0.0.1", 8080);
    private static final HostInfo OWNER = new HostInfo("10.0.0.2", 8080);
    private static final HostInfo STANDBY = new HostInfo("10.0.0.3", 8080);
    private static final KeyLocation LOCAL = new KeyLocation.Local(4, Set.of(SELF, STANDBY));
    private static final KeyLocation REMOTE = new KeyLocation.Remote(4, OWNER, Set.of(SELF, STANDBY));

    @Test
    void shouldAskTheActiveCopyThenThisStandbyThenOtherStandbysForAClient() {
        assertEquals(List.of(new ReadPlan.Copy.ActiveHere(4), new ReadPlan.Copy.StandbyHere(4), new ReadPlan.Copy.StandbyAt(STANDBY)),
                ReadPlan.of(LOCAL, Hop.FIRST, SELF).copies(), "this instance is never asked over HTTP");
        assertEquals(List.of(new ReadPlan.Copy.ActiveAt(OWNER), new ReadPlan.Copy.StandbyHere(4), new ReadPlan.Copy.StandbyAt(STANDBY)),
                ReadPlan.of(REMOTE, Hop.FIRST, SELF).copies());
    }

    /** The fast path's forward timed out: the route asks the standbys, not the hung owner a second time. */
    @Test
    void shouldAskOnlyStandbysOnceTheForwardToTheOwnerFailed() {
        final List<ReadPlan.Copy> copies = ReadPlan.of(REMOTE, Hop.FIRST_OWNER_FAILED, SELF).copies();
        assertEquals(UnavailableReason.OWNER_UNREACHABLE, assertInstanceOf(ReadPlan.Copy.Refused.class, copies.get(0)).failure().reason());
        assertEquals(List.of(new ReadPlan.Copy.StandbyHere(4), new ReadPlan.Copy.StandbyAt(STANDBY)), copies.subList(1, copies.size()));
        assertFalse(Hop.FIRST_OWNER_FAILED.forwarded(), "still a client's request: its failure is the owner's");
    }

    @Test
    void shouldNeverForwardAForwardedRequestAgain() {
        assertEquals(List.of(new ReadPlan.Copy.ActiveHere(4)), ReadPlan.of(LOCAL, Hop.FORWARDED, SELF).copies());
        final List<ReadPlan.Copy> moved = ReadPlan.of(REMOTE, Hop.FORWARDED, SELF).copies();
        assertEquals(1, moved.size());
        assertEquals(UnavailableReason.MOVED, assertInstanceOf(ReadPlan.Copy.Refused.class, moved.get(0)).failure().reason());
    }

    @Test
    void shouldLetAForwardedStandbyReadUseOnlyThisInstancesCopies() {
        assertEquals(List.of(new ReadPlan.Copy.ActiveHere(4), new ReadPlan.Copy.StandbyHere(4)),
                ReadPlan.of(LOCAL, Hop.FORWARDED_TO_STANDBY, SELF).copies());
        final List<ReadPlan.Copy> remote = ReadPlan.of(REMOTE, Hop.FORWARDED_TO_STANDBY, SELF).copies();
        assertInstanceOf(ReadPlan.Copy.Refused.class, remote.get(0));
        assertEquals(new ReadPlan.Copy.StandbyHere(4), remote.get(1));
    }

    @Test
    void shouldRefuseAKeyThatNobodyOwnsWhilePartitionsMove() {
        final List<ReadPlan.Copy> copies = ReadPlan.of(new KeyLocation.Unknown("no instance owns the key right now (REBALANCING)"), Hop.FIRST, SELF)
                .copies();
        final ReadPlan.Copy.Refused refused = assertInstanceOf(ReadPlan.Copy.Refused.class, copies.get(0));
        assertEquals(new StoredValue.Unavailable(UnavailableReason.REBALANCING, "no instance owns the key right now (REBALANCING)"), refused.failure());
        assertEquals(1, copies.size());
    }
}

package dev.persona.routing;

import org.apache.kafka.streams.state.HostInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * The routing decision of one read, apart from the reading: which copies of a key may answer, in the order they are
 * asked, from where the key lives and where the request stands. The first copy that answers wins; when none does,
 * a client's request reports the active copy's failure and a forwarded one its last copy's.
 *
 * @param copies the copies to ask, in order
 * @param hop    where the request stands
 */
record ReadPlan(List<Copy> copies, Hop hop) {

    /** One copy of the key that may answer. */
    sealed interface Copy {
        /** The active copy, on this instance. */
        record ActiveHere(int partition) implements Copy {
        }

        /** The active copy, on another instance: asked over HTTP. */
        record ActiveAt(HostInfo host) implements Copy {
        }

        /** This instance's standby copy, within the lag bound. */
        record StandbyHere(int partition) implements Copy {
        }

        /** Another instance's standby copy: asked over HTTP. */
        record StandbyAt(HostInfo host) implements Copy {
        }

        /** No copy can be asked: the answer is this failure. */
        record Refused(StoredValue.Unavailable failure) implements Copy {
        }
    }

    /** The plan for a key at {@code location} read by a request at {@code hop}; {@code self} is this instance. */
    static ReadPlan of(final KeyLocation location, final Hop hop, final HostInfo self) {
        final List<Copy> copies = new ArrayList<>();
        if (location instanceof KeyLocation.Unknown unknown) {
            copies.add(new Copy.Refused(new StoredValue.Unavailable(UnavailableReason.REBALANCING, unknown.reason())));
            return new ReadPlan(copies, hop);
        }
        final int partition;
        if (location instanceof KeyLocation.Local local) {
            partition = local.partition();
            copies.add(new Copy.ActiveHere(partition));
        } else {
            final KeyLocation.Remote remote = (KeyLocation.Remote) location;
            partition = remote.partition();
            // A forwarded request is never forwarded again: that is what stops loops between instances.
            if (hop == Hop.FIRST_OWNER_FAILED) {
                copies.add(new Copy.Refused(new StoredValue.Unavailable(UnavailableReason.OWNER_UNREACHABLE,
                        "the instance that owns the key did not answer")));
            } else {
                copies.add(hop.forwarded()
                        ? new Copy.Refused(new StoredValue.Unavailable(UnavailableReason.MOVED,
                                "the key moved to " + remote.host() + "; not forwarding a forwarded request"))
                        : new Copy.ActiveAt(remote.host()));
            }
        }
        if (hop != Hop.FORWARDED) {
            copies.add(new Copy.StandbyHere(partition));
        }
        if (!hop.forwarded()) {
            final var standbys = location instanceof KeyLocation.Local local ? local.standbys() : ((KeyLocation.Remote) location).standbys();
            standbys.stream().filter(host -> !host.equals(self)).forEach(host -> copies.add(new Copy.StandbyAt(host)));
        }
        return new ReadPlan(List.copyOf(copies), hop);
    }
}

package dev.persona.bench;

import java.util.concurrent.Flow;
import java.util.function.Consumer;

/** Hands each line of an HTTP response body (a Server-Sent Events stream) to a callback, as the lines come. */
record SseLines(Consumer<String> each) implements Flow.Subscriber<String> {
    @Override
    public void onSubscribe(final Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(final String line) {
        each.accept(line);
    }

    @Override
    public void onError(final Throwable throwable) {
        // The benchmark counts what arrived; a stream that broke shows as changes not seen.
    }

    @Override
    public void onComplete() {
    }
}

package dev.p2psuite.relay;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The relay's clock in tests: real time plus an offset that tests move forward, so that lifetimes and budgets of
 * an hour expire in a moment (the sweep runs every 200 ms in the test profile).
 */
@Alternative
@Priority(1)
@Singleton
public class AdjustableClock extends RelayClock {

    private final AtomicLong offsetMs = new AtomicLong();

    @Override
    public Instant instant() {
        return Instant.now().plusMillis(offsetMs.get());
    }

    void advance(Duration d) {
        offsetMs.addAndGet(d.toMillis());
    }
}

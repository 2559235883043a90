package dev.p2psuite.relay;

import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.InstantSource;

/** The relay's clock (reservation expiry, accept deadlines, circuit time budgets); tests replace it. */
@Singleton
public class RelayClock implements InstantSource {

    @Override
    public Instant instant() {
        return Instant.now();
    }
}

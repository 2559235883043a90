/**
 * A relay's rules as pure Java (no gRPC or Quarkus; time and randomness injected): {@link
 * dev.p2psuite.relay.core.RelayTable} (reservations with lifetime, renewal and quotas; circuits with accept
 * deadlines, quotas and {@link dev.p2psuite.relay.core.CircuitBudget byte and time budgets}), {@link
 * dev.p2psuite.relay.core.AddressPolicy} (no dialling into loopback, private, link-local, multicast, unspecified
 * or CGNAT ranges, IPv4-mapped forms included, unless configured), {@link dev.p2psuite.relay.core.DialBackPlan}
 * (AutoNAT's "dial only the observed IP") and {@link dev.p2psuite.relay.core.HolePunchResponder} (the DCUtR
 * exchange). relay-service adapts them to gRPC; the gateway's connection layer can use the address policy and
 * {@link dev.p2psuite.relay.core.HolePunchResponder#initiatorDialDelay} for its side.
 */
package dev.p2psuite.relay.core;

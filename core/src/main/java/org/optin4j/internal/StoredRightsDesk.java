package org.optin4j.internal;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.optin4j.Channel;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.Withdrawal;
import org.optin4j.rights.RightsDesk;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.ConsentStore;

/**
 * The implementation of {@link RightsDesk} over the consent store; see there. Not API.
 */
public final class StoredRightsDesk implements RightsDesk {
  private final OptIn optIn;
  private final ServiceCore core;

  public StoredRightsDesk(OptIn optIn, ServiceCore core) {
    this.optIn = optIn;
    this.core = core;
  }

  @Override
  public RightsRequest receive(SubjectId subjectId, RightsRequest.Type type, Instant receivedAt) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(receivedAt, "receivedAt");
    if (receivedAt.isAfter(core.clock().instant().plusSeconds(60))) {
      throw new IllegalArgumentException("receivedAt lies in the future: " + receivedAt);
    }
    RightsRequest r = RightsRequest.received(core.randomId(), subjectId, type, receivedAt);
    core.write(tx -> tx.registers().saveRightsRequest(r));
    return r;
  }

  @Override
  public Optional<RightsRequest> request(String id) {
    return core.store()
        .inTransaction(tx -> tx.registers().rightsRequest(Objects.requireNonNull(id, "id")));
  }

  @Override
  public List<RightsRequest> openRequests() {
    return core.store()
        .inTransaction((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests());
  }

  @Override
  public List<RightsRequest> overdue() {
    Instant now = core.clock().instant();
    return openRequests().stream().filter(r -> r.isOverdue(now)).toList();
  }

  @Override
  public RightsRequest extend(String id) {
    return update(id, RightsRequest::extendedDeadline);
  }

  @Override
  public RightsRequest erase(String id) {
    RightsRequest r = open(id, RightsRequest.Type.ERASURE);
    boolean erased = optIn.rights().erase(r.subjectId(), Channel.OPERATOR);
    return complete(r, erased ? "subject erased" : "no such subject (erased before)");
  }

  @Override
  public RightsRequest export(String id) {
    RightsRequest r = open(id, RightsRequest.Type.ACCESS, RightsRequest.Type.PORTABILITY);
    return optIn.rights().requestDataExport(r.subjectId())
        ? complete(r, "export mailed to the address on file")
        : r;
  }

  @Override
  public RightsRequest restrict(String id, PurposeId purpose, boolean restrict) {
    RightsRequest r = open(id, RightsRequest.Type.RESTRICTION);
    boolean changed = optIn.rights().restrict(r.subjectId(), purpose, restrict, Channel.OPERATOR);
    return complete(
        r,
        (restrict ? "restricted " : "restriction lifted for ")
            + purpose.value()
            + (changed ? "" : " (no change: not confirmed, or already so)"));
  }

  @Override
  public RightsRequest withdraw(String id, Set<PurposeId> purposes) {
    RightsRequest r = open(id, RightsRequest.Type.WITHDRAWAL);
    Withdrawal w = optIn.withdraw(r.subjectId(), purposes, Channel.OPERATOR, Evidence.NONE);
    return complete(
        r, "withdrawn: " + (w.withdrawn().isEmpty() ? "nothing active" : w.withdrawn().toString()));
  }

  @Override
  public RightsRequest rectify(String id, String newEmail, Locale locale) {
    RightsRequest r = open(id, RightsRequest.Type.RECTIFICATION);
    RequestResult result =
        optIn.rights().requestAddressChange(r.subjectId(), newEmail, locale, Evidence.NONE);
    if (result instanceof RequestResult.Accepted) {
      return complete(r, "confirmation mail queued to the new address");
    }
    if (result instanceof RequestResult.AlreadyConfirmed) {
      return complete(r, "no change needed");
    }
    return r;
  }

  @Override
  public RightsRequest complete(String id, String outcome) {
    return complete(open(id, RightsRequest.Type.values()), outcome);
  }

  private RightsRequest open(String id, RightsRequest.Type... types) {
    RightsRequest r =
        request(id).orElseThrow(() -> new IllegalArgumentException("unknown rights request " + id));
    if (!r.isOpen()) {
      throw new IllegalArgumentException("rights request " + id + " is completed already");
    }
    if (!List.of(types).contains(r.type())) {
      throw new IllegalArgumentException(
          "rights request " + id + " is about " + r.type() + ", not " + List.of(types));
    }
    return r;
  }

  private RightsRequest complete(RightsRequest r, String outcome) {
    return update(r.id(), x -> x.completed(core.clock().instant(), outcome));
  }

  private RightsRequest update(String id, UnaryOperator<RightsRequest> change) {
    return core.store()
        .inTransaction(
            tx -> {
              RightsRequest r =
                  tx.registers()
                      .rightsRequest(Objects.requireNonNull(id, "id"))
                      .orElseThrow(
                          () -> new IllegalArgumentException("unknown rights request " + id));
              RightsRequest updated = change.apply(r);
              tx.registers().saveRightsRequest(updated);
              return updated;
            });
  }
}

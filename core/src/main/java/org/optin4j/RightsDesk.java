package org.optin4j;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.optin4j.spi.ConsentStore;

/**
 * The operator's desk for data subjects' requests that reach the controller outside the preference center (a mail
 * to the privacy contact, a letter, a phone call): records each request with its Art. 12(3) deadline
 * ({@link RightsRequest}), runs the right on the subject's behalf with {@link Channel#OPERATOR} as channel, and marks
 * the request completed. Verifying the requester's identity (Art. 12(6)) is the operator's job before running a
 * right. Obtain it from {@link OptIn#rightsDesk()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class RightsDesk {
  private final OptIn optIn;
  private final ConsentStore store;
  private final Clock clock;
  private final java.util.function.Supplier<String> ids;

  RightsDesk(OptIn optIn, ConsentStore store, Clock clock, java.util.function.Supplier<String> ids) {
    this.optIn = optIn;
    this.store = store;
    this.clock = clock;
    this.ids = ids;
  }

  /**
   * Records a request received for a subject.
   *
   * @param subjectId whose right
   * @param type which right
   * @param receivedAt when it reached the controller; not in the future
   * @return the open request, due one month after receipt
   * @throws IllegalArgumentException if the time is in the future
   */
  public RightsRequest receive(SubjectId subjectId, RightsRequest.Type type, Instant receivedAt) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(receivedAt, "receivedAt");
    if (receivedAt.isAfter(clock.instant().plusSeconds(60))) {
      throw new IllegalArgumentException("receivedAt lies in the future: " + receivedAt);
    }
    RightsRequest r = RightsRequest.received(ids.get(), subjectId, type, receivedAt);
    store.inTransaction(tx -> {
      tx.saveRightsRequest(r);
      return null;
    });
    return r;
  }

  /**
   * Finds a request.
   *
   * @param id the request id
   * @return the request, or empty
   */
  public Optional<RightsRequest> request(String id) {
    return store.inTransaction(tx -> tx.rightsRequest(Objects.requireNonNull(id, "id")));
  }

  /**
   * Returns the open requests, earliest deadline first: the operator's work list.
   *
   * @return the open requests
   */
  public List<RightsRequest> openRequests() {
    return store.inTransaction(ConsentStore.Transaction::openRightsRequests);
  }

  /**
   * Returns the open requests past their deadline.
   *
   * @return the overdue requests, earliest deadline first
   */
  public List<RightsRequest> overdue() {
    Instant now = clock.instant();
    return openRequests().stream().filter(r -> r.isOverdue(now)).toList();
  }

  /**
   * Extends a request's deadline to three months after receipt (Art. 12(3): where necessary, given the complexity
   * and number of requests; tell the subject, with the reasons, within the first month).
   *
   * @param id the request id
   * @return the request
   * @throws IllegalArgumentException if there is no such request
   * @throws IllegalStateException if it is completed or already extended
   */
  public RightsRequest extend(String id) {
    return update(id, RightsRequest::extendedDeadline);
  }

  /**
   * Erases the subject (Art. 17) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#ERASURE} request
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  public RightsRequest erase(String id) {
    RightsRequest r = open(id, RightsRequest.Type.ERASURE);
    boolean erased = optIn.rights().erase(r.subjectId(), Channel.OPERATOR);
    return complete(r, erased ? "subject erased" : "no such subject (erased before)");
  }

  /**
   * Mails the subject's data export to the address on file (Art. 15, 20) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#ACCESS} or {@link RightsRequest.Type#PORTABILITY} request
   * @return the completed request; still open if the export could not be queued (no such subject, or today's cap
   *     of exports reached: try again tomorrow)
   * @throws IllegalArgumentException if there is no such open request of those types
   */
  public RightsRequest export(String id) {
    RightsRequest r = open(id, RightsRequest.Type.ACCESS, RightsRequest.Type.PORTABILITY);
    return optIn.rights().requestDataExport(r.subjectId()) ? complete(r, "export mailed to the address on file") : r;
  }

  /**
   * Restricts, or lifts the restriction of, processing for a purpose (Art. 18) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#RESTRICTION} request
   * @param purpose the purpose
   * @param restrict {@code true} to restrict, {@code false} to lift
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  public RightsRequest restrict(String id, PurposeId purpose, boolean restrict) {
    RightsRequest r = open(id, RightsRequest.Type.RESTRICTION);
    boolean changed = optIn.rights().restrict(r.subjectId(), purpose, restrict, Channel.OPERATOR);
    return complete(r, (restrict ? "restricted " : "restriction lifted for ") + purpose.value()
        + (changed ? "" : " (no change: not confirmed, or already so)"));
  }

  /**
   * Withdraws consent for purposes (all if empty) on the subject's behalf (Art. 7(3), 21(2)) and completes the
   * request.
   *
   * @param id an open {@link RightsRequest.Type#WITHDRAWAL} request
   * @param purposes the purposes, or empty for all
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  public RightsRequest withdraw(String id, Set<PurposeId> purposes) {
    RightsRequest r = open(id, RightsRequest.Type.WITHDRAWAL);
    Withdrawal w = optIn.withdraw(r.subjectId(), purposes, Channel.OPERATOR, Evidence.NONE);
    return complete(r, "withdrawn: " + (w.withdrawn().isEmpty() ? "nothing active" : w.withdrawn().toString()));
  }

  /**
   * Starts the change of the subject's address (Art. 16): the new address gets a double opt-in mail, and the
   * request is completed once that mail is queued (the move itself happens when the person confirms).
   *
   * @param id an open {@link RightsRequest.Type#RECTIFICATION} request
   * @param newEmail the new address
   * @param locale the language of the confirmation mail
   * @return the completed request, or still open if the address was invalid or throttled
   * @throws IllegalArgumentException if there is no such open request of that type, or no such subject
   */
  public RightsRequest rectify(String id, String newEmail, Locale locale) {
    RightsRequest r = open(id, RightsRequest.Type.RECTIFICATION);
    RequestResult result = optIn.rights().requestAddressChange(r.subjectId(), newEmail, locale, Evidence.NONE);
    if (result instanceof RequestResult.Accepted) {
      return complete(r, "confirmation mail queued to the new address");
    }
    if (result instanceof RequestResult.AlreadyConfirmed) {
      return complete(r, "no change needed");
    }
    return r;
  }

  /**
   * Completes a request handled outside optin4j (for example access answered by letter).
   *
   * @param id an open request
   * @param outcome what was done, free of personal data
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request
   */
  public RightsRequest complete(String id, String outcome) {
    return complete(open(id, RightsRequest.Type.values()), outcome);
  }

  private RightsRequest open(String id, RightsRequest.Type... types) {
    RightsRequest r = request(id).orElseThrow(() -> new IllegalArgumentException("unknown rights request " + id));
    if (!r.isOpen()) {
      throw new IllegalArgumentException("rights request " + id + " is completed already");
    }
    if (!List.of(types).contains(r.type())) {
      throw new IllegalArgumentException("rights request " + id + " is about " + r.type() + ", not " + List.of(types));
    }
    return r;
  }

  private RightsRequest complete(RightsRequest r, String outcome) {
    return update(r.id(), x -> x.completed(clock.instant(), outcome));
  }

  private RightsRequest update(String id, UnaryOperator<RightsRequest> change) {
    return store.inTransaction(tx -> {
      RightsRequest r = tx.rightsRequest(Objects.requireNonNull(id, "id"))
          .orElseThrow(() -> new IllegalArgumentException("unknown rights request " + id));
      RightsRequest updated = change.apply(r);
      tx.saveRightsRequest(updated);
      return updated;
    });
  }
}

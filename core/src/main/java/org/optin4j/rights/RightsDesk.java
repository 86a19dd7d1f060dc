package org.optin4j.rights;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.optin4j.Channel;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * The operator's desk for data subjects' requests that reach the controller outside the preference center (a mail
 * to the privacy contact, a letter, a phone call): records each request with its Art. 12(3) deadline
 * ({@link RightsRequest}), runs the right on the subject's behalf with {@link Channel#OPERATOR} as channel, and marks
 * the request completed. Verifying the requester's identity (Art. 12(6)) is the operator's job before running a
 * right. Obtain it from {@link OptIn#rightsDesk()}.
 *
 * <p>Immutable and thread-safe.
 */
public interface RightsDesk {

  /**
   * Records a request received for a subject.
   *
   * @param subjectId whose right
   * @param type which right
   * @param receivedAt when it reached the controller; not in the future
   * @return the open request, due one month after receipt
   * @throws IllegalArgumentException if the time is in the future
   */
  RightsRequest receive(SubjectId subjectId, RightsRequest.Type type, Instant receivedAt);

  /**
   * Finds a request.
   *
   * @param id the request id
   * @return the request, or empty
   */
  Optional<RightsRequest> request(String id);

  /**
   * Returns the open requests, earliest deadline first: the operator's work list.
   *
   * @return the open requests
   */
  List<RightsRequest> openRequests();

  /**
   * Returns the open requests past their deadline.
   *
   * @return the overdue requests, earliest deadline first
   */
  List<RightsRequest> overdue();

  /**
   * Extends a request's deadline to three months after receipt (Art. 12(3): where necessary, given the complexity
   * and number of requests; tell the subject, with the reasons, within the first month).
   *
   * @param id the request id
   * @return the request
   * @throws IllegalArgumentException if there is no such request
   * @throws IllegalStateException if it is completed or already extended
   */
  RightsRequest extend(String id);

  /**
   * Erases the subject (Art. 17) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#ERASURE} request
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  RightsRequest erase(String id);

  /**
   * Mails the subject's data export to the address on file (Art. 15, 20) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#ACCESS} or {@link RightsRequest.Type#PORTABILITY} request
   * @return the completed request; still open if the export could not be queued (no such subject, or today's cap
   *     of exports reached: try again tomorrow)
   * @throws IllegalArgumentException if there is no such open request of those types
   */
  RightsRequest export(String id);

  /**
   * Restricts, or lifts the restriction of, processing for a purpose (Art. 18) and completes the request.
   *
   * @param id an open {@link RightsRequest.Type#RESTRICTION} request
   * @param purpose the purpose
   * @param restrict {@code true} to restrict, {@code false} to lift
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  RightsRequest restrict(String id, PurposeId purpose, boolean restrict);

  /**
   * Withdraws consent for purposes (all if empty) on the subject's behalf (Art. 7(3), 21(2)) and completes the
   * request.
   *
   * @param id an open {@link RightsRequest.Type#WITHDRAWAL} request
   * @param purposes the purposes, or empty for all
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request of that type
   */
  RightsRequest withdraw(String id, Set<PurposeId> purposes);

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
  RightsRequest rectify(String id, String newEmail, Locale locale);

  /**
   * Completes a request handled outside optin4j (for example access answered by letter).
   *
   * @param id an open request
   * @param outcome what was done, free of personal data
   * @return the completed request
   * @throws IllegalArgumentException if there is no such open request
   */
  RightsRequest complete(String id, String outcome);
}

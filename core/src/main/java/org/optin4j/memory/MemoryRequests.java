package org.optin4j.memory;

import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.EmailAddress;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RequestStore;

/**
 * The in-memory RequestStore: pending requests, used tokens and address changes. Reads and writes the store's shared
 * state directly, under the store lock that every unit holds, and logs how to undo each write in its unit. One per unit
 * of work; not thread-safe.
 */
record MemoryRequests(MemoryUnit unit, MemoryState state) implements RequestStore {
  @Override
  public void insertRequest(PendingRequest request) {
    unit.checkWrite();
    Objects.requireNonNull(request, "request");
    unit.requireAbsent(state.requests, request.id(), "request id");
    unit.requireSubject(request.subjectId());
    unit.put(state.requests, request.id(), request);
    unit.add(
        state.requestIdsBySubject.computeIfAbsent(request.subjectId(), k -> new LinkedHashSet<>()),
        request.id());
  }

  @Override
  public Optional<PendingRequest> request(String id) {
    return unit.find(state.requests, id, "id");
  }

  @Override
  public Optional<PendingRequest> findRequest(String id) {
    return request(id);
  }

  @Override
  public void updateRequest(PendingRequest request) {
    PendingRequest stored =
        unit.replacing(state.requests, request, "request", PendingRequest::id, "request");
    if (!stored.subjectId().equals(request.subjectId())) {
      throw new IllegalArgumentException("a request cannot move to another subject");
    }
    unit.put(state.requests, request.id(), request);
  }

  @Override
  public List<PendingRequest> openRequests(SubjectId id) {
    unit.check();
    Objects.requireNonNull(id, "id");
    Set<String> ids = state.requestIdsBySubject.getOrDefault(id, Set.of());
    return ids.stream()
        .map(state.requests::get)
        .filter(r -> r.status() == PendingRequest.Status.OPEN)
        .sorted(Comparator.comparing(PendingRequest::requestedAt).thenComparing(PendingRequest::id))
        .toList();
  }

  @Override
  public boolean useToken(String tokenId, Instant expiresAt) {
    unit.checkWrite();
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (state.usedTokens.containsKey(tokenId)) {
      return false;
    }
    unit.put(state.usedTokens, tokenId, expiresAt);
    return true;
  }

  @Override
  public void saveAddressChange(String requestId, EmailAddress newEmail) {
    unit.checkWrite();
    Objects.requireNonNull(newEmail, "newEmail");
    if (!state.requests.containsKey(Objects.requireNonNull(requestId, "requestId"))) {
      throw new StoreException("no request with that id (foreign key)");
    }
    unit.put(state.addressChanges, requestId, newEmail);
  }

  @Override
  public Optional<EmailAddress> addressChange(String requestId) {
    return unit.find(state.addressChanges, requestId, "requestId");
  }

  @Override
  public void saveReplacedAddress(String requestId, EmailAddress previousEmail) {
    unit.checkWrite();
    Objects.requireNonNull(previousEmail, "previousEmail");
    if (!state.addressChanges.containsKey(Objects.requireNonNull(requestId, "requestId"))) {
      throw new StoreException("no address change for request " + requestId);
    }
    unit.put(state.replacedAddresses, requestId, previousEmail);
  }

  @Override
  public Optional<EmailAddress> replacedAddress(String requestId) {
    return unit.find(state.replacedAddresses, requestId, "requestId");
  }
}

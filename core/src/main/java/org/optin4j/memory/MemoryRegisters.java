package org.optin4j.memory;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.optin4j.breach.Incident;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.RegisterStore;

/**
 * The in-memory RegisterStore: registers of nodes, incidents, campaigns and rights requests. Reads and writes the
 * store's shared state directly, under the store lock that every unit holds, and logs how to undo each write in its
 * unit. One per unit of work; not thread-safe.
 */
record MemoryRegisters(MemoryUnit unit, MemoryState state) implements RegisterStore {
  @Override
  public void saveIncident(Incident incident) {
    save(state.incidents, incident, "incident", Incident::id);
  }

  @Override
  public Optional<Incident> incident(String id) {
    return unit.find(state.incidents, id, "id");
  }

  @Override
  public List<Incident> incidents() {
    unit.check();
    return state.incidents.values().stream()
        .sorted(Comparator.comparing(Incident::discoveredAt).reversed().thenComparing(Incident::id))
        .toList();
  }

  @Override
  public void insertCampaign(org.optin4j.campaign.Campaign campaign) {
    unit.checkWrite();
    Objects.requireNonNull(campaign, "campaign");
    unit.requireAbsent(state.campaigns, campaign.id(), "campaign id");
    unit.put(state.campaigns, campaign.id(), campaign);
  }

  @Override
  public Optional<org.optin4j.campaign.Campaign> campaign(String id) {
    return unit.find(state.campaigns, id, "id");
  }

  @Override
  public void saveRightsRequest(org.optin4j.rights.RightsRequest request) {
    save(state.rightsRequests, request, "request", RightsRequest::id);
  }

  @Override
  public Optional<org.optin4j.rights.RightsRequest> rightsRequest(String id) {
    return unit.find(state.rightsRequests, id, "id");
  }

  @Override
  public List<org.optin4j.rights.RightsRequest> openRightsRequests() {
    unit.check();
    return state.rightsRequests.values().stream()
        .filter(org.optin4j.rights.RightsRequest::isOpen)
        .sorted(
            Comparator.comparing(org.optin4j.rights.RightsRequest::dueAt)
                .thenComparing(org.optin4j.rights.RightsRequest::id))
        .toList();
  }

  @Override
  public void saveNode(org.optin4j.spi.NodeRegistration node) {
    save(state.nodes, node, "node", org.optin4j.spi.NodeRegistration::nodeId);
  }

  @Override
  public List<org.optin4j.spi.NodeRegistration> nodes() {
    unit.check();
    return List.copyOf(state.nodes.values());
  }

  @Override
  public boolean deleteNode(String nodeId) {
    unit.checkWrite();
    boolean had = state.nodes.containsKey(Objects.requireNonNull(nodeId, "nodeId"));
    unit.remove(state.nodes, nodeId);
    return had;
  }

  /** Saves an entry of a register under its id, replacing an earlier one; {@code name} names a missing entry. */
  private <T> void save(Map<String, T> register, T entry, String name, Function<T, String> id) {
    unit.checkWrite();
    Objects.requireNonNull(entry, name);
    unit.put(register, id.apply(entry), entry);
  }
}

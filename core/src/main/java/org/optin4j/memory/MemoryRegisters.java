package org.optin4j.memory;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.RegisterStore;

/**
 * The in-memory RegisterStore: registers of nodes, incidents, campaigns and rights requests. Reads and writes the
 * store's shared state directly, under the store lock that every unit holds, and logs how to undo each write in its
 * unit. One per unit of work; not thread-safe.
 */
final class MemoryRegisters implements RegisterStore {
  private final MemoryUnit unit;
  private final MemoryState state;

  MemoryRegisters(MemoryUnit unit, MemoryState state) {
    this.unit = unit;
    this.state = state;
  }

  @Override
  public void saveIncident(Incident incident) {
    unit.check();
    unit.checkWritable();
    Objects.requireNonNull(incident, "incident");
    unit.put(state.incidents, incident.id(), incident);
  }

  @Override
  public Optional<Incident> incident(String id) {
    unit.check();
    return Optional.ofNullable(state.incidents.get(Objects.requireNonNull(id, "id")));
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
    unit.check();
    unit.checkWritable();
    Objects.requireNonNull(campaign, "campaign");
    if (state.campaigns.containsKey(campaign.id())) {
      throw unit.duplicate("campaign id");
    }
    unit.put(state.campaigns, campaign.id(), campaign);
  }

  @Override
  public Optional<org.optin4j.campaign.Campaign> campaign(String id) {
    unit.check();
    return Optional.ofNullable(state.campaigns.get(Objects.requireNonNull(id, "id")));
  }

  @Override
  public void saveRightsRequest(org.optin4j.rights.RightsRequest request) {
    unit.check();
    unit.checkWritable();
    Objects.requireNonNull(request, "request");
    unit.put(state.rightsRequests, request.id(), request);
  }

  @Override
  public Optional<org.optin4j.rights.RightsRequest> rightsRequest(String id) {
    unit.check();
    return Optional.ofNullable(state.rightsRequests.get(Objects.requireNonNull(id, "id")));
  }

  @Override
  public List<org.optin4j.rights.RightsRequest> openRightsRequests() {
    unit.check();
    return state.rightsRequests.values().stream()
        .filter(org.optin4j.rights.RightsRequest::isOpen)
        .sorted(Comparator.comparing(org.optin4j.rights.RightsRequest::dueAt)
            .thenComparing(org.optin4j.rights.RightsRequest::id))
        .toList();
  }

  @Override
  public void saveNode(org.optin4j.spi.NodeRegistration node) {
    unit.check();
    unit.checkWritable();
    Objects.requireNonNull(node, "node");
    unit.put(state.nodes, node.nodeId(), node);
  }

  @Override
  public List<org.optin4j.spi.NodeRegistration> nodes() {
    unit.check();
    return List.copyOf(state.nodes.values());
  }

  @Override
  public boolean deleteNode(String nodeId) {
    unit.check();
    unit.checkWritable();
    boolean had = state.nodes.containsKey(Objects.requireNonNull(nodeId, "nodeId"));
    unit.remove(state.nodes, nodeId);
    return had;
  }
}

package org.optin4j.spi;

import java.util.List;
import java.util.Optional;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.rights.RightsRequest;

/**
 * The part of a unit of work that keeps the operator's registers: the nodes sharing the store (they agree on what makes
 * a link valid), the breach register (GDPR Art. 33(5)), the campaigns mailed to subjects and the data subjects' rights
 * requests with their deadlines (Art. 12(3)).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#registers()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe. Each entry is stored whole under its id; a save replaces the entry with its id.
 */
public interface RegisterStore {

  /**
   * Inserts a node's registration, or replaces the one with its node id.
   *
   * @param node the registration
   */
  void saveNode(NodeRegistration node);

  /**
   * Returns every registration, live or lapsed, by node id.
   *
   * @return the registrations
   */
  List<NodeRegistration> nodes();

  /**
   * Removes a node's registration. Idempotent.
   *
   * @param nodeId the node id
   * @return whether there was one
   */
  boolean deleteNode(String nodeId);

  /**
   * Inserts an incident, or replaces the one with its id.
   *
   * @param incident the incident
   */
  void saveIncident(Incident incident);

  /**
   * Finds an incident.
   *
   * @param id the incident id
   * @return the incident, or empty
   */
  Optional<Incident> incident(String id);

  /**
   * Returns every incident of the register, latest discovery first, then by id.
   *
   * @return the incidents
   */
  List<Incident> incidents();

  /**
   * Inserts a campaign (the content of one mailing, stored once for all its outbox mails).
   *
   * @param campaign the campaign
   * @throws DuplicateKeyException if the id is taken
   */
  void insertCampaign(Campaign campaign);

  /**
   * Finds a campaign.
   *
   * @param id the campaign id
   * @return the campaign, or empty
   */
  Optional<Campaign> campaign(String id);

  /**
   * Inserts a rights request, or replaces the one with its id.
   *
   * @param request the request
   */
  void saveRightsRequest(RightsRequest request);

  /**
   * Finds a rights request.
   *
   * @param id the request id
   * @return the request, or empty
   */
  Optional<RightsRequest> rightsRequest(String id);

  /**
   * Returns the open (not completed) rights requests, earliest due first, then by id.
   *
   * @return the open requests
   */
  List<RightsRequest> openRightsRequests();
}

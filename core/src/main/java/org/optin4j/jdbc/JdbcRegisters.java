package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.join;
import static org.optin4j.jdbc.JdbcTransaction.purposes;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.RegisterStore;

/**
 * The JDBC RegisterStore: registers of nodes, incidents, campaigns and rights requests. Runs its statements on its
 * unit's connection through the unit's helpers, which doom the unit on the first failure. One per unit of work, used
 * only by the thread that runs it; not thread-safe.
 */
record JdbcRegisters(JdbcTransaction tx, Connection c, Statements sql) implements RegisterStore {
  @Override
  public void saveNode(org.optin4j.spi.NodeRegistration node) {
    Objects.requireNonNull(node, "node");
    tx.update("save a node registration", sql.upsertNode, ps -> bindNode(ps, node));
  }

  static void bindNode(PreparedStatement ps, org.optin4j.spi.NodeRegistration node)
      throws SQLException {
    ps.setString(1, node.nodeId());
    ps.setString(2, node.issuer());
    ps.setString(3, String.join("\n", node.acceptedIssuers()));
    ps.setString(4, node.activeKeyId());
    ps.setString(
        5,
        node.keyFingerprints().entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(",")));
    ps.setLong(6, node.startedAt().toEpochMilli());
    ps.setLong(7, node.seenAt().toEpochMilli());
  }

  @Override
  public List<org.optin4j.spi.NodeRegistration> nodes() {
    return tx.query(
        "read node registrations",
        sql.allNodes,
        ps -> {},
        rs -> {
          java.util.Map<String, String> keys = new java.util.TreeMap<>();
          for (String pair : rs.getString("key_fingerprints").split(",")) {
            int eq = pair.indexOf('=');
            keys.put(pair.substring(0, eq), pair.substring(eq + 1));
          }
          String accepted = rs.getString("accepted_issuers");
          return new org.optin4j.spi.NodeRegistration(
              rs.getString("node_id"),
              rs.getString("issuer"),
              accepted.isEmpty() ? Set.of() : Set.of(accepted.split("\n")),
              rs.getString("active_key_id"),
              keys,
              instant(rs, "started_at"),
              instant(rs, "seen_at"));
        });
  }

  @Override
  public boolean deleteNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return tx.update("delete a node registration", sql.deleteNode, ps -> ps.setString(1, nodeId))
        > 0;
  }

  @Override
  public void saveIncident(Incident incident) {
    Objects.requireNonNull(incident, "incident");
    tx.update("save an incident", sql.upsertIncident, ps -> bindIncident(ps, incident));
  }

  @Override
  public Optional<Incident> incident(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read an incident", sql.incidentById, id, JdbcRegisters::incident);
  }

  @Override
  public List<Incident> incidents() {
    return tx.sorted(
        "read incidents",
        sql.incidents,
        ps -> {},
        JdbcRegisters::incident,
        Comparator.comparing(Incident::discoveredAt).reversed().thenComparing(Incident::id));
  }

  static void bindIncident(PreparedStatement ps, Incident incident) throws SQLException {
    ps.setString(1, incident.id());
    ps.setLong(2, incident.discoveredAt().toEpochMilli());
    ps.setLong(3, incident.recordedAt().toEpochMilli());
    ps.setString(4, incident.nature());
    ps.setString(5, String.join("\n", incident.dataCategories()));
    ps.setString(6, String.join("\n", incident.subjectCategories()));
    ps.setString(7, join(incident.affectedPurposes()));
    ps.setString(8, incident.status().name());
    setInstant(ps, 9, incident.authorityNotifiedAt());
    setInstant(ps, 10, incident.closedAt());
    Incident.SubjectNotice notice = incident.subjectNotice();
    ps.setString(11, notice == null ? null : notice.subject());
    ps.setString(12, notice == null ? null : notice.text());
    setInstant(ps, 13, notice == null ? null : notice.queuedAt());
  }

  static Incident incident(ResultSet rs) throws SQLException {
    String noticeSubject = rs.getString("notice_subject");
    return new Incident(
        rs.getString("id"),
        instant(rs, "discovered_at"),
        instant(rs, "recorded_at"),
        rs.getString("nature"),
        lines(rs.getString("data_categories")),
        lines(rs.getString("subject_categories")),
        new java.util.TreeSet<>(purposes(rs.getString("purposes"))),
        Incident.Status.valueOf(rs.getString("status")),
        instant(rs, "authority_notified_at"),
        instant(rs, "closed_at"),
        noticeSubject == null
            ? null
            : new Incident.SubjectNotice(
                noticeSubject, rs.getString("notice_text"), instant(rs, "notice_queued_at")));
  }

  static List<String> lines(String joined) {
    return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split("\n"));
  }

  @Override
  public void insertCampaign(Campaign campaign) {
    Objects.requireNonNull(campaign, "campaign");
    tx.write(
        "insert a campaign",
        "a campaign with this id exists already",
        sql.insertCampaign,
        ps -> bindCampaign(ps, campaign));
  }

  @Override
  public Optional<Campaign> campaign(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read a campaign", sql.campaignById, id, JdbcRegisters::campaign);
  }

  static void bindCampaign(PreparedStatement ps, Campaign campaign) throws SQLException {
    ps.setString(1, campaign.id());
    ps.setString(2, campaign.purpose().value());
    ps.setString(3, campaign.subject());
    ps.setString(4, campaign.text());
    ps.setString(5, campaign.html());
    ps.setLong(6, campaign.createdAt().toEpochMilli());
  }

  static Campaign campaign(ResultSet rs) throws SQLException {
    return new Campaign(
        rs.getString("id"),
        new PurposeId(rs.getString("purpose")),
        rs.getString("subject"),
        rs.getString("body_text"),
        rs.getString("body_html"),
        instant(rs, "created_at"));
  }

  @Override
  public void saveRightsRequest(RightsRequest request) {
    Objects.requireNonNull(request, "request");
    tx.update(
        "save a rights request", sql.upsertRightsRequest, ps -> bindRightsRequest(ps, request));
  }

  @Override
  public Optional<RightsRequest> rightsRequest(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey(
        "read a rights request", sql.rightsRequestById, id, JdbcRegisters::rightsRequest);
  }

  @Override
  public List<RightsRequest> openRightsRequests() {
    return tx.sorted(
        "read open rights requests",
        sql.openRightsRequests,
        ps -> {},
        JdbcRegisters::rightsRequest,
        Comparator.comparing(RightsRequest::dueAt).thenComparing(RightsRequest::id));
  }

  static void bindRightsRequest(PreparedStatement ps, RightsRequest request) throws SQLException {
    ps.setString(1, request.id());
    ps.setString(2, request.subjectId().value());
    ps.setString(3, request.type().name());
    ps.setLong(4, request.receivedAt().toEpochMilli());
    ps.setLong(5, request.dueAt().toEpochMilli());
    ps.setBoolean(6, request.extended());
    setInstant(ps, 7, request.completedAt());
    ps.setString(8, request.outcome());
  }

  static RightsRequest rightsRequest(ResultSet rs) throws SQLException {
    return new RightsRequest(
        rs.getString("id"),
        new SubjectId(rs.getString("subject_id")),
        RightsRequest.Type.valueOf(rs.getString("request_type")),
        instant(rs, "received_at"),
        instant(rs, "due_at"),
        rs.getBoolean("extended"),
        instant(rs, "completed_at"),
        rs.getString("outcome"));
  }
}

package org.optin4j.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.optin4j.SubjectId;
import org.optin4j.spi.ReportStore;

/** The in-memory ReportStore. One per unit of work; not thread-safe. */
record MemoryReports(MemoryUnit unit, MemoryState state) implements ReportStore {

  @Override
  public void setAside(AsideReport report) {
    unit.checkWrite();
    Objects.requireNonNull(report, "report");
    unit.requireAbsent(state.asideReports, report.id(), "report id");
    unit.put(state.asideReports, report.id(), report);
  }

  @Override
  public List<AsideReport> setAside(int limit) {
    unit.check();
    MemoryUnit.checkLimit(limit);
    return state.asideReports.values().stream()
        .sorted(
            Comparator.comparing(AsideReport::receivedAt).thenComparing(AsideReport::id).reversed())
        .limit(limit)
        .toList();
  }

  @Override
  public int purgeSetAside(Instant before) {
    unit.checkWrite();
    Objects.requireNonNull(before, "before");
    List<String> old = new ArrayList<>();
    state.asideReports.forEach(
        (id, r) -> {
          if (r.receivedAt().isBefore(before)) {
            old.add(id);
          }
        });
    old.forEach(id -> unit.remove(state.asideReports, id));
    return old.size();
  }

  @Override
  public boolean addSoftBounce(SubjectId subject, String mailId, Instant at) {
    unit.checkWrite();
    Objects.requireNonNull(at, "at");
    String key = subject.value() + "/" + Objects.requireNonNull(mailId, "mailId");
    if (state.softBounces.containsKey(key)) {
      return false;
    }
    unit.put(state.softBounces, key, at);
    return true;
  }

  @Override
  public int countSoftBounces(SubjectId subject, Instant since) {
    unit.check();
    String prefix = subject.value() + "/";
    int n = 0;
    for (Map.Entry<String, Instant> e : state.softBounces.entrySet()) {
      if (e.getKey().startsWith(prefix) && !e.getValue().isBefore(since)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public int purgeSoftBounces(SubjectId subject, Instant before) {
    unit.checkWrite();
    Objects.requireNonNull(before, "before");
    String prefix = subject == null ? "" : subject.value() + "/";
    List<String> old = new ArrayList<>();
    state.softBounces.forEach(
        (key, at) -> {
          if (key.startsWith(prefix) && at.isBefore(before)) {
            old.add(key);
          }
        });
    old.forEach(key -> unit.remove(state.softBounces, key));
    return old.size();
  }
}

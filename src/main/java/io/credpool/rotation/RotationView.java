package io.credpool.rotation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A rotation as JSON for the API and `credpool rotation show --output json`: ids, steps, times, outcomes; never a value. */
public final class RotationView {
    private RotationView() {
    }

    public static Map<String, Object> of(Rotation r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("credential", r.credential());
        m.put("status", r.status().lower());
        m.put("step", r.currentStep());
        m.put("issuer", r.issuer());
        m.put("oldVersion", r.oldVersion().orElse(null));
        m.put("newVersion", r.newVersion().orElse(null));
        m.put("cutoverAt", r.cutoverAt().map(Object::toString).orElse(null));
        m.put("drainedAt", r.drainedAt().map(Object::toString).orElse(null));
        m.put("confirmation", r.confirmation().orElse(null));
        m.put("error", r.error().orElse(null));
        m.put("createdAt", r.createdAt().toString());
        m.put("updatedAt", r.updatedAt().toString());
        List<Map<String, Object>> steps = r.journal().stream().map(e -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("seq", e.seq());
            s.put("step", e.step().lower());
            s.put("phase", e.phase().name().toLowerCase(java.util.Locale.ROOT));
            s.put("at", e.at().toString());
            s.put("detail", e.detail());
            return s;
        }).toList();
        m.put("journal", steps);
        return m;
    }
}

package io.credpool.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Loads credpool.yaml into a {@link CredpoolConfig}, reporting every problem with file:line:column
 * and the field's path. Works on the YAML node tree (not data binding) so that each error can
 * point at the exact place a person has to edit.
 */
public final class ConfigLoader {
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
    static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    /** Variables the sandbox sets itself or that would let a credential change what runs. */
    static final Set<String> RESERVED_ENV = Set.of("PATH", "HOME", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT");

    private static final Set<String> TOP_KEYS = Set.of("version", "defaults", "providers", "credentials", "task_types", "scan");
    private static final Set<String> SCAN_KEYS = Set.of("enabled", "max_file_size", "max_workspace_size",
            "retired_versions_within", "min_entropy", "allowlist");
    private static final Set<String> DEFAULT_KEYS = Set.of("sandbox", "timeout", "network");
    private static final Set<String> TYPE_KEYS = Set.of("description", "sandbox", "allow_unsandboxed", "network", "timeout", "credentials", "pool");
    private static final Set<String> POOL_KEYS = Set.of("size", "max_age");
    /** Per-credential settings; issuers add their own keys here. */
    private static final Set<String> CREDENTIAL_KEYS = Set.of("provider", "rotation", "short_lived", "issuer");
    private static final Set<String> ROTATION_KEYS = Set.of("every", "verify_with", "verify_command", "grace", "on_grace_expiry");
    private static final Set<String> REF_KEYS = Set.of("name", "env", "scope", "provider");
    /** Keys people reach for to put a provider's own secret in the config; it belongs in the environment or a file. */
    private static final Set<String> SECRET_KEYS = Set.of("token", "secret_id", "password", "secret_access_key", "access_key_id");
    /** Keys people reach for to put an issuer's admin secret in the config. */
    private static final Set<String> ISSUER_SECRET_KEYS = Set.of("password", "admin_password", "token", "admin_token");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):([0-9]{1,5})");
    /** PostgreSQL names are at most 63 bytes and the alternating roles add "_a"/"_b". */
    private static final Pattern PG_ROLE = Pattern.compile("[a-z_][a-z0-9_]{0,60}");
    private static final Pattern PG_DATABASE = Pattern.compile("[A-Za-z0-9_.-]{1,63}");
    private static final Pattern REDIS_USER = Pattern.compile("[A-Za-z0-9._@-]{1,128}");
    private static final Pattern URL = Pattern.compile("https?://[^\\s/]+(/\\S*)?");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private final Path file;
    private final List<String> problems = new ArrayList<>();
    /** Where each reference's scope was written (or the reference, when scope is left out), for policy errors. */
    private final Map<CredentialRef, String> scopeAt = new java.util.IdentityHashMap<>();

    private ConfigLoader(Path file) {
        this.file = file;
    }

    /** Loads and validates a config file; throws {@link ConfigException} listing every problem. */
    public static CredpoolConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": no such config file; create one with `credpool init` or pass --config FILE"));
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot read the config file: " + e.getMessage()));
        }
        return parse(file, text);
    }

    /** Parses config text as if it came from {@code file}. */
    public static CredpoolConfig parse(Path file, String text) {
        ConfigLoader loader = new ConfigLoader(file);
        CredpoolConfig config = loader.read(new StringReader(text));
        if (!loader.problems.isEmpty()) {
            throw new ConfigException(loader.problems);
        }
        return config;
    }

    private CredpoolConfig read(Reader reader) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            problems.add(at(mark) + ": not valid YAML: " + firstLine(e.getProblem()));
            return null;
        } catch (YAMLException e) {
            problems.add(file.getFileName() + ": not valid YAML: " + firstLine(e.getMessage()));
            return null;
        }
        if (root == null) {
            problems.add(file.getFileName() + ": the config is empty; it needs at least `task_types:`");
            return null;
        }
        Map<String, Node> top = mapping(root, "(top level)", TOP_KEYS);
        if (top == null) {
            return null;
        }
        Node version = top.get("version");
        if (version != null && !"1".equals(scalar(version, "version"))) {
            problems.add(at(version) + ": version: only version 1 is known");
        }
        Defaults defaults = readDefaults(top.get("defaults"));
        Map<String, CredentialSettings> credentials = readCredentials(top.get("credentials"));
        Map<String, TaskType> types = new LinkedHashMap<>();
        Node typesNode = top.get("task_types");
        if (typesNode == null) {
            problems.add(at(root) + ": task_types: missing; declare at least one task type");
        } else if (typesNode instanceof MappingNode m) {
            for (NodeTuple t : entries(m, "task_types")) {
                String typeName = scalar(t.getKeyNode(), "task_types");
                if (typeName == null) {
                    continue;
                }
                if (!NAME.matcher(typeName).matches()) {
                    problems.add(at(t.getKeyNode()) + ": task_types." + typeName
                            + ": a task type name is lower case letters, digits, '.', '_' or '-'");
                    continue;
                }
                TaskType type = readType(typeName, t.getValueNode(), defaults, credentials);
                if (type != null) {
                    types.put(typeName, type);
                }
            }
            if (types.isEmpty() && m.getValue().isEmpty()) {
                problems.add(at(typesNode) + ": task_types: empty; declare at least one task type");
            }
        } else {
            problems.add(at(typesNode) + ": task_types: expected a mapping of task type names to task types");
        }
        for (CredentialSettings c : credentials.values()) {
            Optional<String> verify = c.rotation().verifyWith();
            if (verify.isPresent() && typesNode instanceof MappingNode) {
                TaskType t = types.get(verify.get());
                Location at = c.rotation().where();
                String where = at.file().getFileName() + ":" + at.line() + ":" + at.column();
                if (t == null) {
                    problems.add(where + ": credentials." + c.name() + ".rotation.verify_with: unknown task type '" + verify.get()
                            + "'; known task types: " + String.join(", ", types.keySet()));
                } else if (t.credential(c.name()).isEmpty()) {
                    problems.add(where + ": credentials." + c.name() + ".rotation.verify_with: task type '" + verify.get()
                            + "' does not declare credential '" + c.name() + "', so it cannot verify it");
                }
            }
        }
        Map<String, ProviderConfig> providers = readProviders(top.get("providers"));
        Map<String, String> routes = route(types, providers, credentials);
        return new CredpoolConfig(file, types, providers, credentials, routes, readScan(top.get("scan")));
    }

    private Map<String, ProviderConfig> readProviders(Node node) {
        Map<String, ProviderConfig> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": providers: expected a mapping of provider names to {kind, ...settings}");
            return out;
        }
        for (NodeTuple t : entries(m, "providers")) {
            String name = scalar(t.getKeyNode(), "providers");
            if (name == null) {
                continue;
            }
            String path = "providers." + name;
            if (!NAME.matcher(name).matches()) {
                problems.add(at(t.getKeyNode()) + ": " + path + ": a provider name is lower case letters, digits, '.', '_' or '-'");
                continue;
            }
            if (ProviderConfig.EMBEDDED.equals(name)) {
                problems.add(at(t.getKeyNode()) + ": " + path + ": 'embedded' is the built-in store and cannot be redefined; choose another name");
                continue;
            }
            ProviderConfig p = readProvider(name, path, t.getValueNode());
            if (p != null) {
                out.put(name, p);
            }
        }
        return out;
    }

    private ProviderConfig readProvider(String name, String path, Node node) {
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": " + path + ": expected a mapping with a kind (vault, aws or github) and its settings");
            return null;
        }
        Map<String, Node> raw = new LinkedHashMap<>();
        for (NodeTuple t : entries(m, path)) {
            String key = scalar(t.getKeyNode(), path);
            if (key != null) {
                raw.put(key, t.getValueNode());
            }
        }
        Node kindNode = raw.get("kind");
        if (kindNode == null) {
            problems.add(at(node) + ": " + path + ".kind: missing; one of vault, aws, github");
            return null;
        }
        ProviderKind kind = value(kindNode, path + ".kind", ProviderKind::parse, null);
        if (kind == null) {
            return null;
        }
        int before = problems.size();
        java.util.Set<String> known = new java.util.TreeSet<>(kind.keys());
        known.addAll(ProviderKind.COMMON);
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : raw.entrySet()) {
            String key = e.getKey();
            if (SECRET_KEYS.contains(key)) {
                problems.add(at(e.getValue()) + ": " + path + "." + key + ": a provider's own credentials never go in"
                        + " credpool.yaml; name an environment variable or a file instead ("
                        + (kind == ProviderKind.AWS ? "AWS credentials come from the default chain: environment, profile or role"
                                : String.join(", ", kind.keys().stream().filter(k -> k.endsWith("_env") || k.endsWith("_file")).sorted().toList()))
                        + ")");
            } else if (!known.contains(key)) {
                problems.add(at(e.getValue()) + ": " + path + ": unknown key '" + key + "' for kind " + kind.lower()
                        + "; known keys are " + String.join(", ", known));
            } else if (key.equals("env")) {
                readEnvMapping(path + ".env", e.getValue(), env);
            } else if (!key.equals("kind")) {
                String v = scalar(e.getValue(), path + "." + key);
                if (v != null) {
                    settings.put(key, v);
                    checkSetting(path + "." + key, key, v, e.getValue());
                }
            }
        }
        for (String req : kind.required()) {
            if (!settings.containsKey(req)) {
                problems.add(at(node) + ": " + path + "." + req + ": missing; a " + kind.lower() + " provider needs it");
            }
        }
        if (kind == ProviderKind.GITHUB) {
            boolean repo = settings.containsKey("owner") || settings.containsKey("repo");
            if (settings.containsKey("org") == repo || (repo && !(settings.containsKey("owner") && settings.containsKey("repo")))) {
                problems.add(at(node) + ": " + path + ": set either owner and repo (repository or environment secrets)"
                        + " or org (organization secrets)");
            }
            if (settings.containsKey("environment") && !repo) {
                problems.add(at(raw.get("environment")) + ": " + path + ".environment: environment secrets need owner and repo");
            }
        }
        if (kind == ProviderKind.VAULT && "approle".equals(settings.get("auth"))
                && !settings.containsKey("role_id") && !settings.containsKey("role_id_env")) {
            problems.add(at(node) + ": " + path + ": auth approle needs role_id (or role_id_env)");
        }
        Duration ttl = value(raw.get("cache_ttl"), path + ".cache_ttl", Durations::parse, Duration.ofSeconds(30));
        int attempts = value(raw.get("retries"), path + ".retries", ConfigLoader::attempts, 4);
        Duration base = value(raw.get("retry_base_delay"), path + ".retry_base_delay", Durations::parse, Duration.ofMillis(200));
        Duration timeout = value(raw.get("timeout"), path + ".timeout", ConfigLoader::positiveDuration, Duration.ofSeconds(10));
        if (problems.size() > before) {
            return null;
        }
        return new ProviderConfig(name, kind, settings, env, ttl, attempts, base, timeout, location(node));
    }

    private void checkSetting(String path, String key, String v, Node node) {
        String problem = switch (key) {
            case "address", "endpoint", "api_url" -> URL.matcher(v).matches() ? null : "'" + v + "' is not an http(s) URL";
            case "auth" -> v.equals("token") || v.equals("approle") ? null : "expected token or approle, not '" + v + "'";
            case "visibility" -> v.equals("all") || v.equals("private") ? null : "expected all or private, not '" + v + "'";
            case "mount", "approle_mount" -> SEGMENT.matcher(v).matches() ? null : "'" + v + "' is not a Vault path";
            case "path_prefix" -> v.isEmpty() || (v.endsWith("/") && SEGMENT.matcher(v.substring(0, v.length() - 1)).matches()) ? null
                    : "'" + v + "' must be empty or a path ending in '/', e.g. credpool/";
            case "token_env", "role_id_env", "secret_id_env" -> ENV.matcher(v).matches() ? null : "'" + v + "' is not an environment variable name";
            default -> v.isBlank() ? "empty" : null;
        };
        if (problem != null) {
            problems.add(at(node) + ": " + path + ": " + problem);
        }
    }

    private void readEnvMapping(String path, Node node, Map<String, String> out) {
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": " + path + ": expected a mapping of credential names to environment variables");
            return;
        }
        for (NodeTuple t : entries(m, path)) {
            String cred = scalar(t.getKeyNode(), path);
            String var = scalar(t.getValueNode(), path + "." + cred);
            if (cred == null || var == null) {
                continue;
            }
            if (!NAME.matcher(cred).matches()) {
                problems.add(at(t.getKeyNode()) + ": " + path + ": '" + cred + "' is not a credential name");
            } else if (!var.matches("[A-Za-z_][A-Za-z0-9_]{0,127}") || var.toUpperCase(java.util.Locale.ROOT).startsWith("GITHUB_")) {
                problems.add(at(t.getValueNode()) + ": " + path + "." + cred + ": '" + var + "' cannot name a GitHub secret"
                        + " (letters, digits and '_', not starting with a digit or GITHUB_)");
            } else {
                out.put(cred, var);
            }
        }
    }

    private Map<String, CredentialSettings> readCredentials(Node node) {
        Map<String, CredentialSettings> out = new LinkedHashMap<>();
        if (node == null) {
            return out;
        }
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": credentials: expected a mapping of credential names to their settings");
            return out;
        }
        for (NodeTuple t : entries(m, "credentials")) {
            String name = scalar(t.getKeyNode(), "credentials");
            if (name == null) {
                continue;
            }
            String path = "credentials." + name;
            if (!NAME.matcher(name).matches()) {
                problems.add(at(t.getKeyNode()) + ": " + path
                        + ": a credential name is lower case letters, digits, '.', '_' or '-', at most 128");
                continue;
            }
            Map<String, Node> c = mapping(t.getValueNode(), path, CREDENTIAL_KEYS);
            if (c == null) {
                continue;
            }
            Optional<Duration> every = Optional.empty();
            RotationSettings rotationSettings = RotationSettings.defaults();
            Node rotation = c.get("rotation");
            if (rotation != null) {
                Map<String, Node> r = mapping(rotation, path + ".rotation", ROTATION_KEYS);
                if (r != null) {
                    if (r.get("every") == null) {
                        problems.add(at(rotation) + ": " + path + ".rotation.every: missing; say how often it rotates, e.g. every: 30d");
                    }
                    every = Optional.ofNullable(value(r.get("every"), path + ".rotation.every", ConfigLoader::positiveDuration, null));
                    rotationSettings = readRotation(path + ".rotation", rotation, r);
                }
            }
            boolean shortLived = value(c.get("short_lived"), path + ".short_lived", ConfigLoader::bool, false);
            Node providerNode = c.get("provider");
            String provider = providerNode == null ? null : scalar(providerNode, path + ".provider");
            Optional<IssuerConfig> issuer = c.get("issuer") == null ? Optional.empty()
                    : Optional.ofNullable(readIssuer(path + ".issuer", c.get("issuer")));
            out.put(name, new CredentialSettings(name, Optional.ofNullable(provider), every, shortLived, location(t.getKeyNode()),
                    location(providerNode != null ? providerNode : t.getValueNode()), issuer, rotationSettings));
        }
        return out;
    }

    private RotationSettings readRotation(String path, Node node, Map<String, Node> r) {
        Node verifyWith = r.get("verify_with");
        String type = verifyWith == null ? null : scalar(verifyWith, path + ".verify_with");
        List<String> command = List.of();
        Node cmd = r.get("verify_command");
        if (cmd instanceof ScalarNode sc) {
            command = List.of("sh", "-c", sc.getValue());
        } else if (cmd instanceof SequenceNode seq) {
            List<String> argv = new java.util.ArrayList<>();
            for (Node n : seq.getValue()) {
                String a = scalar(n, path + ".verify_command[]");
                if (a != null) {
                    argv.add(a);
                }
            }
            command = argv;
        } else if (cmd != null) {
            problems.add(at(cmd) + ": " + path + ".verify_command: expected a command line or a list of arguments");
        }
        if (type != null && command.isEmpty()) {
            problems.add(at(verifyWith) + ": " + path + ".verify_command: missing; say what the verification task runs, e.g."
                    + " verify_command: \"redis-cli -u \\\"$REDIS_URL\\\" ping\"");
        }
        if (type == null && cmd != null) {
            problems.add(at(cmd) + ": " + path + ".verify_with: missing; name the task type that runs verify_command");
        }
        Duration grace = value(r.get("grace"), path + ".grace", Durations::parse, RotationSettings.DEFAULT_GRACE);
        String expiry = value(r.get("on_grace_expiry"), path + ".on_grace_expiry", s -> {
            if (!s.equals("rekey") && !s.equals("close")) {
                throw new IllegalArgumentException("expected rekey or close, not '" + s + "'");
            }
            return s;
        }, "rekey");
        return new RotationSettings(Optional.ofNullable(type), command, grace, expiry, location(verifyWith != null ? verifyWith : node));
    }

    private IssuerConfig readIssuer(String path, Node node) {
        List<String> kinds = java.util.Arrays.stream(IssuerKind.values()).map(IssuerKind::id).toList();
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": " + path + ": expected a mapping with a kind (" + String.join(", ", kinds) + ") and its settings");
            return null;
        }
        Map<String, Node> raw = new LinkedHashMap<>();
        for (NodeTuple t : entries(m, path)) {
            String key = scalar(t.getKeyNode(), path);
            if (key != null) {
                raw.put(key, t.getValueNode());
            }
        }
        Node kindNode = raw.get("kind");
        if (kindNode == null) {
            problems.add(at(node) + ": " + path + ".kind: missing; one of " + String.join(", ", kinds));
            return null;
        }
        IssuerKind kind = value(kindNode, path + ".kind", IssuerKind::parse, null);
        if (kind == null) {
            return null;
        }
        int before = problems.size();
        Set<String> known = new java.util.TreeSet<>(kind.keys());
        known.addAll(IssuerKind.COMMON);
        Map<String, String> settings = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : raw.entrySet()) {
            String key = e.getKey();
            if (ISSUER_SECRET_KEYS.contains(key)) {
                List<String> named = kind.keys().stream().filter(k -> k.endsWith("_env") || k.endsWith("_file")).sorted().toList();
                problems.add(at(e.getValue()) + ": " + path + "." + key + ": an issuer's admin credentials never go in credpool.yaml; "
                        + (named.isEmpty() ? "a " + kind.id() + " issuer needs none"
                                : "name an environment variable or a file instead (" + String.join(", ", named) + ")"));
            } else if (!known.contains(key)) {
                problems.add(at(e.getValue()) + ": " + path + ": unknown key '" + key + "' for kind " + kind.id()
                        + "; known keys are " + String.join(", ", known));
            } else if (!key.equals("kind") && !key.equals("timeout")) {
                String v = scalar(e.getValue(), path + "." + key);
                if (v != null) {
                    String problem = checkIssuerSetting(key, v);
                    if (problem != null) {
                        problems.add(at(e.getValue()) + ": " + path + "." + key + ": " + problem);
                    } else {
                        // Relative to the config file, so a config and its secret files can move together.
                        settings.put(key, key.endsWith("_file") ? file.toAbsolutePath().resolveSibling(v).normalize().toString() : v);
                    }
                }
            }
        }
        for (String req : kind.required()) {
            if (!raw.containsKey(req)) {
                problems.add(at(node) + ": " + path + "." + req + ": missing; a " + kind.id() + " issuer needs it");
            }
        }
        for (String secret : List.of("admin_password", "admin_token")) {
            if (raw.containsKey(secret + "_env") && raw.containsKey(secret + "_file")) {
                problems.add(at(raw.get(secret + "_file")) + ": " + path + ": set " + secret + "_env or " + secret
                        + "_file, not both");
            }
        }
        if (kind == IssuerKind.HTTP_API_KEY && !raw.containsKey("admin_token_env") && !raw.containsKey("admin_token_file")) {
            problems.add(at(node) + ": " + path + ": an http-api-key issuer needs its admin token: set admin_token_file"
                    + " (or admin_token_env)");
        }
        Duration timeout = value(raw.get("timeout"), path + ".timeout", ConfigLoader::positiveDuration, IssuerConfig.DEFAULT_TIMEOUT);
        if (problems.size() > before) {
            return null;
        }
        return new IssuerConfig(kind, settings, timeout, location(node));
    }

    private static String checkIssuerSetting(String key, String v) {
        if (v.isBlank()) {
            return "empty";
        }
        return switch (key) {
            case "address" -> {
                var hp = HOST_PORT.matcher(v);
                if (!hp.matches()) {
                    yield "'" + v + "' is not host:port, e.g. 127.0.0.1:6379";
                }
                int port = Integer.parseInt(hp.group(2));
                yield port >= 1 && port <= 65535 ? null : "port " + port + " is not between 1 and 65535";
            }
            case "url" -> URL.matcher(v).matches() ? null : "'" + v + "' is not an http(s) URL";
            case "role" -> PG_ROLE.matcher(v).matches() ? null
                    : "'" + v + "' is not a role base name (lower case letters, digits and '_', at most 61; _a and _b are added)";
            case "database" -> PG_DATABASE.matcher(v).matches() ? null : "'" + v + "' is not a database name (letters, digits, '.', '_', '-')";
            case "user", "admin_user" -> REDIS_USER.matcher(v).matches() ? null
                    : "'" + v + "' is not a user name (letters, digits, '.', '_', '@', '-')";
            case "admin_password_env", "admin_token_env" -> ENV.matcher(v).matches() ? null : "'" + v + "' is not an environment variable name";
            default -> null;
        };
    }

    private Optional<PoolSettings> readPool(String typePath, Node node) {
        if (node == null) {
            return Optional.empty();
        }
        String path = typePath + ".pool";
        Map<String, Node> m = mapping(node, path, POOL_KEYS);
        if (m == null) {
            return Optional.empty();
        }
        if (m.get("size") == null) {
            problems.add(at(node) + ": " + path + ".size: missing; say how many warm sandboxes to keep, e.g. size: 4");
            return Optional.empty();
        }
        Integer size = value(m.get("size"), path + ".size", ConfigLoader::poolSize, null);
        Duration maxAge = value(m.get("max_age"), path + ".max_age", ConfigLoader::positiveDuration, PoolSettings.DEFAULT_MAX_AGE);
        return size == null ? Optional.empty() : Optional.of(new PoolSettings(size, maxAge, location(node)));
    }

    /**
     * A pool-scope value lives in every warm member for up to max_age. A credential that rotates
     * more often than that makes the whole pool stale at every rotation, and every task after it a
     * cold start (the seed of cascading failures); a short-lived token has no business waiting in a
     * sandbox at all.
     */
    private void checkPoolPolicy(String typePath, List<CredentialRef> refs, Optional<PoolSettings> pool,
            Map<String, CredentialSettings> credentials) {
        for (int i = 0; i < refs.size(); i++) {
            CredentialRef ref = refs.get(i);
            CredentialSettings settings = credentials.get(ref.name());
            if (ref.scope() != Scope.POOL || settings == null) {
                continue;
            }
            String at = scopeAt.get(ref) + ": ";
            if (settings.shortLived()) {
                problems.add(at + "credential '" + ref.name() + "' is short-lived (" + settings.where()
                        + ") and cannot be baked into pool members; use scope: task");
            } else if (pool.isPresent() && settings.rotationEvery().isPresent()
                    && settings.rotationEvery().get().compareTo(pool.get().maxAge()) < 0) {
                Duration every = settings.rotationEvery().get();
                problems.add(at + "credential '" + ref.name() + "' rotates every " + Durations.format(every) + " ("
                        + settings.where() + "), more often than pool members live (max_age "
                        + Durations.format(pool.get().maxAge()) + " at " + pool.get().where()
                        + "): every rotation would make the whole pool stale at once; use scope: task, or set max_age to "
                        + Durations.format(every) + " or less");
            }
        }
    }

    /** Which provider holds each credential, checking that every name exists and no two places disagree. */
    private Map<String, String> route(Map<String, TaskType> types, Map<String, ProviderConfig> providers,
            Map<String, CredentialSettings> credentials) {
        Map<String, String> routes = new java.util.TreeMap<>();
        Map<String, Location> decidedAt = new HashMap<>();
        for (CredentialSettings c : credentials.values()) {
            if (c.provider().isPresent() && known(c.provider().get(), providers, c.providerWhere(), "credentials." + c.name() + ".provider")) {
                routes.put(c.name(), c.provider().get());
                decidedAt.put(c.name(), c.providerWhere());
            }
        }
        for (TaskType t : types.values()) {
            for (CredentialRef ref : t.credentials()) {
                if (ref.provider().isEmpty()) {
                    continue;
                }
                String p = ref.provider().get();
                String path = "task_types." + t.name() + ".credentials[" + t.credentials().indexOf(ref) + "].provider";
                if (!known(p, providers, ref.where(), path)) {
                    continue;
                }
                String earlier = routes.get(ref.name());
                if (earlier != null && !earlier.equals(p)) {
                    problems.add(ref.where() + ": " + path + ": credential '" + ref.name() + "' is already in provider '" + earlier
                            + "' (" + decidedAt.get(ref.name()) + "); a credential lives in one provider");
                } else {
                    routes.put(ref.name(), p);
                    decidedAt.putIfAbsent(ref.name(), ref.where());
                }
            }
        }
        routes.values().removeIf(ProviderConfig.EMBEDDED::equals);
        return routes;
    }

    private boolean known(String provider, Map<String, ProviderConfig> providers, Location where, String path) {
        if (ProviderConfig.EMBEDDED.equals(provider) || providers.containsKey(provider)) {
            return true;
        }
        java.util.Set<String> names = new java.util.TreeSet<>(providers.keySet());
        names.add(ProviderConfig.EMBEDDED);
        problems.add(where + ": " + path + ": unknown provider '" + provider + "'; known providers: " + String.join(", ", names)
                + " (define it under providers:)");
        return false;
    }

    private static int attempts(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= 10) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("expected the number of attempts, 1 to 10, not '" + s + "'");
    }

    private record Defaults(SandboxChoice sandbox, Duration timeout, boolean network) {
    }

    private Defaults readDefaults(Node node) {
        Defaults builtIn = new Defaults(SandboxChoice.AUTO, Duration.ofMinutes(10), false);
        if (node == null) {
            return builtIn;
        }
        Map<String, Node> m = mapping(node, "defaults", DEFAULT_KEYS);
        if (m == null) {
            return builtIn;
        }
        return new Defaults(
                value(m.get("sandbox"), "defaults.sandbox", SandboxChoice::parse, builtIn.sandbox()),
                value(m.get("timeout"), "defaults.timeout", ConfigLoader::positiveDuration, builtIn.timeout()),
                value(m.get("network"), "defaults.network", ConfigLoader::bool, builtIn.network()));
    }

    private ScanSettings readScan(Node node) {
        ScanSettings d = ScanSettings.defaults();
        if (node == null) {
            return d;
        }
        Map<String, Node> m = mapping(node, "scan", SCAN_KEYS);
        if (m == null) {
            return d;
        }
        boolean enabled = value(m.get("enabled"), "scan.enabled", ConfigLoader::bool, d.enabled());
        long maxFile = value(m.get("max_file_size"), "scan.max_file_size", ConfigLoader::positiveSize, d.maxFileBytes());
        long maxWorkspace = value(m.get("max_workspace_size"), "scan.max_workspace_size", ConfigLoader::positiveSize,
                d.maxWorkspaceBytes());
        Duration retired = value(m.get("retired_versions_within"), "scan.retired_versions_within", Durations::parse,
                d.retiredVersionsWithin());
        double entropy = value(m.get("min_entropy"), "scan.min_entropy", ConfigLoader::entropy, d.minEntropy());
        // Relative to the config file, so a config and its allowlist can move together.
        java.util.Optional<Path> allowlist = java.util.Optional.ofNullable(value(m.get("allowlist"), "scan.allowlist",
                s -> file.toAbsolutePath().resolveSibling(s).normalize(), null));
        return new ScanSettings(enabled, maxFile, maxWorkspace, retired, entropy, allowlist);
    }

    private static long positiveSize(String s) {
        long n = Sizes.parse(s);
        if (n <= 0) {
            throw new IllegalArgumentException("must be larger than zero");
        }
        return n;
    }

    private static double entropy(String s) {
        try {
            double d = Double.parseDouble(s);
            if (d >= 0 && d <= 8) {
                return d;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("expected bits per character between 0 and 8, e.g. 3.5, not '" + s + "'");
    }

    private TaskType readType(String name, Node node, Defaults defaults, Map<String, CredentialSettings> credentials) {
        String path = "task_types." + name;
        Map<String, Node> m = mapping(node, path, TYPE_KEYS);
        if (m == null) {
            return null;
        }
        String description = value(m.get("description"), path + ".description", Function.identity(), "");
        SandboxChoice sandbox = value(m.get("sandbox"), path + ".sandbox", SandboxChoice::parse, defaults.sandbox());
        boolean allowUnsandboxed = value(m.get("allow_unsandboxed"), path + ".allow_unsandboxed", ConfigLoader::bool, false);
        if (sandbox == SandboxChoice.UNSANDBOXED && !allowUnsandboxed) {
            problems.add(at(m.get("sandbox")) + ": " + path + ".sandbox: 'unsandboxed' runs the task with no isolation;"
                    + " set allow_unsandboxed: true on this task type if that is really meant");
        }
        boolean network = value(m.get("network"), path + ".network", ConfigLoader::bool, defaults.network());
        Duration timeout = value(m.get("timeout"), path + ".timeout", ConfigLoader::positiveDuration, defaults.timeout());
        List<CredentialRef> refs = readRefs(path, m.get("credentials"));
        Optional<PoolSettings> pool = readPool(path, m.get("pool"));
        checkPoolPolicy(path, refs, pool, credentials);
        return new TaskType(name, description, sandbox, allowUnsandboxed, network, timeout, refs, location(node), pool);
    }

    private List<CredentialRef> readRefs(String typePath, Node node) {
        List<CredentialRef> refs = new ArrayList<>();
        if (node == null) {
            return refs;
        }
        if (!(node instanceof SequenceNode seq)) {
            problems.add(at(node) + ": " + typePath + ".credentials: expected a list of {name, env, scope}");
            return refs;
        }
        Map<String, Node> seenEnv = new HashMap<>();
        Map<String, Node> seenName = new HashMap<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node item = seq.getValue().get(i);
            String path = typePath + ".credentials[" + i + "]";
            Map<String, Node> m = mapping(item, path, REF_KEYS);
            if (m == null) {
                continue;
            }
            String name = required(m, item, path, "name");
            String env = required(m, item, path, "env");
            Scope scope = value(m.get("scope"), path + ".scope", Scope::parse, Scope.TASK);
            String provider = m.get("provider") == null ? null : scalar(m.get("provider"), path + ".provider");
            boolean ok = name != null && env != null;
            if (name != null && !NAME.matcher(name).matches()) {
                problems.add(at(m.get("name")) + ": " + path + ".name: '" + name
                        + "' is not a credential name (lower case letters, digits, '.', '_' or '-', at most 128)");
                ok = false;
            } else if (name != null && seenName.putIfAbsent(name, m.get("name")) != null) {
                problems.add(at(m.get("name")) + ": " + path + ".name: credential '" + name
                        + "' is already declared by this task type at line " + line(seenName.get(name)));
                ok = false;
            }
            if (env != null && !ENV.matcher(env).matches()) {
                problems.add(at(m.get("env")) + ": " + path + ".env: '" + env
                        + "' is not an environment variable name (letters, digits and '_', not starting with a digit)");
                ok = false;
            } else if (env != null && RESERVED_ENV.contains(env)) {
                problems.add(at(m.get("env")) + ": " + path + ".env: " + env
                        + " is reserved (the sandbox sets it, or it changes what runs); choose another name");
                ok = false;
            } else if (env != null && seenEnv.putIfAbsent(env, m.get("env")) != null) {
                problems.add(at(m.get("env")) + ": " + path + ".env: " + env
                        + " is already used by another credential of this task type at line " + line(seenEnv.get(env)));
                ok = false;
            }
            if (ok && scope != null) {
                CredentialRef ref = new CredentialRef(name, env, scope, location(item), Optional.ofNullable(provider));
                refs.add(ref);
                scopeAt.put(ref, at(m.getOrDefault("scope", item)) + ": " + path + ".scope");
            }
        }
        return refs;
    }

    private String required(Map<String, Node> m, Node parent, String path, String key) {
        Node n = m.get(key);
        if (n == null) {
            problems.add(at(parent) + ": " + path + "." + key + ": missing");
            return null;
        }
        String s = scalar(n, path + "." + key);
        if (s != null && s.isBlank()) {
            problems.add(at(n) + ": " + path + "." + key + ": empty");
            return null;
        }
        return s;
    }

    private <T> T value(Node node, String path, Function<String, T> parse, T fallback) {
        if (node == null) {
            return fallback;
        }
        String s = scalar(node, path);
        if (s == null) {
            return fallback;
        }
        try {
            return parse.apply(s);
        } catch (IllegalArgumentException e) {
            problems.add(at(node) + ": " + path + ": " + e.getMessage());
            return fallback;
        }
    }

    private Map<String, Node> mapping(Node node, String path, Set<String> known) {
        if (!(node instanceof MappingNode m)) {
            problems.add(at(node) + ": " + path + ": expected a mapping with keys " + sorted(known));
            return null;
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : entries(m, path)) {
            String key = scalar(t.getKeyNode(), path);
            if (key == null) {
                continue;
            }
            if (!known.contains(key)) {
                problems.add(at(t.getKeyNode()) + ": " + path + ": unknown key '" + key + "'; known keys are " + sorted(known));
            } else {
                out.put(key, t.getValueNode());
            }
        }
        return out;
    }

    private List<NodeTuple> entries(MappingNode m, String path) {
        Map<String, Node> seen = new HashMap<>();
        List<NodeTuple> out = new ArrayList<>();
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k) {
                Node first = seen.putIfAbsent(k.getValue(), k);
                if (first != null) {
                    problems.add(at(k) + ": " + path + ": duplicate key '" + k.getValue() + "' (first at line " + line(first) + ")");
                    continue;
                }
            }
            out.add(t);
        }
        return out;
    }

    private String scalar(Node node, String path) {
        if (node instanceof ScalarNode s) {
            return s.getValue();
        }
        problems.add(at(node) + ": " + path + ": expected a single value, not a " + (node instanceof MappingNode ? "mapping" : "list"));
        return null;
    }

    private static Duration positiveDuration(String s) {
        Duration d = Durations.parse(s);
        if (d.isZero()) {
            throw new IllegalArgumentException("must be longer than zero");
        }
        return d;
    }

    private static int poolSize(String s) {
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number from 1 to " + PoolSettings.MAX_SIZE + ", not '" + s + "'");
        }
        if (n < 1 || n > PoolSettings.MAX_SIZE) {
            throw new IllegalArgumentException("expected a whole number from 1 to " + PoolSettings.MAX_SIZE + ", not " + n);
        }
        return n;
    }

    private static boolean bool(String s) {
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false, not '" + s + "'");
        };
    }

    private static String sorted(Set<String> keys) {
        return String.join(", ", new java.util.TreeSet<>(keys));
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "syntax error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private Location location(Node node) {
        Mark mark = node.getStartMark();
        return new Location(file, mark.getLine() + 1, mark.getColumn() + 1);
    }

    private String at(Node node) {
        return location(node).toString();
    }

    private String at(Mark mark) {
        return new Location(file, mark.getLine() + 1, mark.getColumn() + 1).toString();
    }

    private static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }
}

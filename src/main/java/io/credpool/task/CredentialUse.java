package io.credpool.task;

/**
 * Who holds one version of one credential in this orchestrator right now: what a rotation waits
 * for before revoking it.
 *
 * @param tasks tasks prepared or running with it, plus tasks still fetching their credentials
 *     (their version is not known yet, so they count as holding every version)
 * @param sessions open sessions holding it
 * @param poolMembers ready or leased warm members with it baked in
 */
public record CredentialUse(int tasks, int sessions, int poolMembers) {
}

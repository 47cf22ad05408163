// SPDX-License-Identifier: Apache-2.0

package crd

// deploymentCases covers the AgentDeployment kind and the Session's spec.externalID, which run
// Sessions use to follow a session the deployment started.
func deploymentCases() []invalidCase {
	return []invalidCase{
		{name: "deployment cron with six fields", why: "the API takes 5-field POSIX cron; a seconds field is extended syntax", base: baseDeployment,
			create: []mutation{set("spec.schedule.cron", "0 30 7 * * 1-5")}, wantField: "spec.schedule.cron must be a 5-field cron expression"},
		{name: "deployment cron shortcut", why: "@daily and the like are not supported by the API", base: baseDeployment,
			create: []mutation{set("spec.schedule.cron", "@daily")}, wantField: "spec.schedule.cron must be a 5-field cron expression"},
		{name: "deployment cron with L", why: "L, W, # and ? are extended syntax", base: baseDeployment,
			create: []mutation{set("spec.schedule.cron", "0 9 ? * 1#2")}, wantField: "spec.schedule.cron"},
		{name: "deployment cron missing", why: "a schedule without an expression fires never", base: baseDeployment,
			create: []mutation{del("spec.schedule.cron")}, wantField: "spec.schedule.cron"},
		{name: "deployment unknown time zone", why: "a zone the IANA database does not know cannot be evaluated", base: baseDeployment,
			create: []mutation{set("spec.schedule.timeZone", "Mars/Olympus_Mons")}, wantField: "spec.schedule.timeZone is not a known IANA time zone"},
		{name: "deployment time zone Local", why: "Local means a different zone on every machine", base: baseDeployment,
			create: []mutation{set("spec.schedule.timeZone", "Local")}, wantField: "spec.schedule.timeZone must be an IANA time zone name"},
		{name: "deployment time zone offset", why: "an offset is not a zone name", base: baseDeployment,
			create: []mutation{set("spec.schedule.timeZone", "+02:00")}, wantField: "spec.schedule.timeZone"},
		{name: "deployment without prompt", why: "every run starts from the prompt", base: baseDeployment,
			create: []mutation{del("spec.prompt")}, wantField: "spec.prompt"},
		{name: "deployment with agentRef and agentID", why: "one agent per deployment", base: baseDeployment,
			create: []mutation{set("spec.agentID", "agent_1")}, wantField: "set exactly one of spec.agentRef or spec.agentID"},
		{name: "deployment agentVersion with agentRef", why: "agentRef pins with agentRef.version", base: baseDeployment,
			create: []mutation{set("spec.agentVersion", 2)}, wantField: "spec.agentVersion pins spec.agentID"},
		{name: "deployment without environment", why: "runs need somewhere to run", base: baseDeployment,
			create: []mutation{del("spec.environmentRef")}, wantField: "set exactly one of spec.environmentRef or spec.environmentID"},
		{name: "deployment negative history limit", why: "a limit counts Sessions to keep", base: baseDeployment,
			create: []mutation{set("spec.successfulRunsHistoryLimit", -1)}, wantField: "spec.successfulRunsHistoryLimit"},
		{name: "deployment delete policy", why: "the API cannot delete deployments, only archive them", base: baseDeployment,
			create: []mutation{set("spec.deletionPolicy", "Delete")}, wantField: "spec.deletionPolicy"},
		{name: "deployment reserved metadata key", why: "the operator records its own keys on the remote deployment", base: baseDeployment,
			create: []mutation{set("spec.metadata", map[string]any{"claude.anthropic.com/run-request": "x"})}, wantField: "reserved for the operator"},
		{name: "session externalID not a session id", why: "externalID names a remote session", base: baseSession,
			create: []mutation{set("spec.externalID", "agent_1"), del("spec.prompt")}, wantField: "spec.externalID"},
		{name: "session externalID with a prompt", why: "a followed session was started by someone else: nothing is sent", base: baseSession,
			create: []mutation{set("spec.externalID", "sesn_1")}, wantField: "spec.externalID follows a session that exists already"},
		{name: "session externalID changed", why: "a Session follows one remote session for its life", base: baseSession,
			create: []mutation{set("spec.externalID", "sesn_1"), del("spec.prompt"), del("spec.budget")}, update: []mutation{set("spec.externalID", "sesn_2")}, wantField: "spec.externalID is immutable"},
	}
}

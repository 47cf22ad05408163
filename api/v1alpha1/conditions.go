package v1alpha1

// Condition types shared by all kinds.
const (
	// ConditionReady is True when the remote object exists and matches the spec.
	ConditionReady = "Ready"
	// ConditionSynced is True when the last attempt to sync with the API succeeded.
	ConditionSynced = "Synced"
)

// Session condition types.
const (
	// ConditionReferencesResolved is True when agentRef and environmentRef point at Ready objects.
	ConditionReferencesResolved = "ReferencesResolved"
	// ConditionLaunched is True once the remote session exists.
	ConditionLaunched = "Launched"
	// ConditionActionRequired is True while tool calls wait for an answer.
	ConditionActionRequired = "ActionRequired"
	// ConditionFinished is True once the Session reached a finished phase.
	ConditionFinished = "Finished"
)

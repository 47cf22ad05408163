package controller

// Session condition and Event reasons beyond the shared ones in conditions.go.
const (
	ReasonLaunched     = "Launched"
	ReasonResolved     = "Resolved"
	ReasonLaunchFailed = "LaunchFailed"
	// ReasonRemoteGone: the remote session no longer exists (deleted outside the operator).
	ReasonRemoteGone = "RemoteGone"
	// ReasonFieldsRejected: the API refused the title, metadata or budget the spec asks for; the
	// session goes on, and the fields are tried again at the next spec change or resync.
	ReasonFieldsRejected = "RemoteFieldsRejected"
	// ReasonFollowing: the remote session is launched and followed.
	ReasonFollowing    = "Following"
	ReasonSynced       = "Synced"
	ReasonInterrupt    = "InterruptSent"
	ReasonExpired      = "Expired"
	ReasonAbandoned    = "RemoteAbandoned"
	ReasonNotPaused    = "NotPaused"
	ReasonWaitingStart = "WaitingToLaunch"
)

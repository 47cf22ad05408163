// SPDX-License-Identifier: Apache-2.0

package sessionstatus

// tableExample is one event of each type in the history where it matters: the status built from
// before+event+after is compared with the one built from before+after.
type tableExample struct {
	before []string
	event  string
	after  []string
}

// Histories the examples share.
const (
	exUser      = `{"type":"user.message","id":"sevt_u1","content":[{"type":"text","text":"fix it"}]}`
	exRunning   = `{"type":"session.status_running","id":"sevt_r1"}`
	exAgentMsg  = `{"type":"agent.message","id":"sevt_m1","content":[{"type":"text","text":"done"}]}`
	exIdleEnd   = `{"type":"session.status_idle","id":"sevt_i1","stop_reason":{"type":"end_turn"}}`
	exToolAsk   = `{"type":"agent.tool_use","id":"sevt_t1","name":"bash","input":{"command":"ls"},"evaluated_permission":"ask"}`
	exIdleAsk   = `{"type":"session.status_idle","id":"sevt_i2","stop_reason":{"type":"requires_action","event_ids":["sevt_t1"]}}`
	exThread    = `{"type":"session.thread_created","id":"sevt_th1","session_thread_id":"sthr_1","agent_name":"reviewer","workflow_run_id":null}`
	exSubAsk    = `{"type":"agent.tool_use","id":"sevt_t2","name":"bash","input":{"command":"rm -rf build"},"evaluated_permission":"ask","session_thread_id":"sthr_1"}`
	exSubIdle   = `{"type":"session.thread_status_idle","id":"sevt_th2","session_thread_id":"sthr_1","agent_name":"reviewer","stop_reason":{"type":"requires_action","event_ids":["sevt_t2"]}}`
	exOutcome   = `{"type":"user.define_outcome","id":"sevt_o1","outcome_id":"outc_1","description":"a passing build","rubric":{"type":"text","content":"CI is green"},"max_iterations":3}`
	exEvalStart = `{"type":"span.outcome_evaluation_start","id":"sevt_o2","outcome_id":"outc_1","iteration":0}`
	exEvalEnd   = `{"type":"span.outcome_evaluation_end","id":"sevt_o3","outcome_id":"outc_1","outcome_evaluation_start_id":"sevt_o2","iteration":0,"result":"needs_revision","explanation":"one test fails"}`
	exWorkflow  = `{"type":"workflow_run.created","id":"sevt_w1","workflow_run_id":"wfr_1","name":"triage","description":"triage the issues","phases":[]}`
	exUsage     = `{"type":"session.usage","id":"sevt_s1","usage":{"input_tokens":10,"output_tokens":5,"list_cost":{"amount":"85","currency":"USD"}},"budget":{"type":"limit","max_list_cost":{"amount":"100","currency":"USD"}}}`
)

var tableExamples = map[string]tableExample{
	"user.message":           {before: []string{exUser, exRunning, exAgentMsg, exIdleEnd}, event: `{"type":"user.message","id":"sevt_u2","content":[{"type":"text","text":"and the docs"}]}`},
	"user.interrupt":         {before: []string{exUser, exRunning}, event: `{"type":"user.interrupt","id":""}`, after: []string{exIdleEnd}},
	"user.tool_confirmation": {before: []string{exUser, exRunning, exToolAsk, exIdleAsk}, event: `{"type":"user.tool_confirmation","id":"sevt_c1","tool_use_id":"sevt_t1","result":"allow"}`},
	"user.custom_tool_result": {before: []string{exUser, exRunning, `{"type":"agent.custom_tool_use","id":"sevt_t1","name":"open_ticket","input":{}}`, exIdleAsk},
		event: `{"type":"user.custom_tool_result","id":"sevt_c2","custom_tool_use_id":"sevt_t1","content":[{"type":"text","text":"TICKET-1"}]}`},
	"user.define_outcome": {before: []string{exUser, exRunning}, event: exOutcome},
	"user.tool_result": {before: []string{exUser, exRunning, `{"type":"agent.tool_use","id":"sevt_t3","name":"bash","input":{},"evaluated_permission":"allow"}`},
		event: `{"type":"user.tool_result","id":"sevt_tr1","tool_use_id":"sevt_t3","content":[{"type":"text","text":"ok"}]}`},
	"system.message":        {before: []string{exUser, exRunning}, event: `{"type":"system.message","id":"sevt_sm1","content":[{"type":"text","text":"be brief"}]}`},
	"agent.message":         {before: []string{exUser, exRunning}, event: exAgentMsg},
	"agent.thinking":        {before: []string{exUser, exRunning}, event: `{"type":"agent.thinking","id":"sevt_k1"}`},
	"agent.tool_use":        {before: []string{exUser, exRunning}, event: exToolAsk, after: []string{exIdleAsk}},
	"agent.mcp_tool_use":    {before: []string{exUser, exRunning}, event: `{"type":"agent.mcp_tool_use","id":"sevt_t1","name":"search","mcp_server_name":"docs","input":{},"evaluated_permission":"ask"}`, after: []string{exIdleAsk}},
	"agent.custom_tool_use": {before: []string{exUser, exRunning}, event: `{"type":"agent.custom_tool_use","id":"sevt_t1","name":"open_ticket","input":{"title":"CI red"}}`, after: []string{exIdleAsk}},
	"agent.tool_result": {before: []string{exUser, exRunning, `{"type":"agent.tool_use","id":"sevt_t3","name":"bash","input":{},"evaluated_permission":"allow"}`},
		event: `{"type":"agent.tool_result","id":"sevt_tr2","tool_use_id":"sevt_t3","is_error":false,"content":[{"type":"text","text":"ok"}]}`},
	"agent.mcp_tool_result": {before: []string{exUser, exRunning}, event: `{"type":"agent.mcp_tool_result","id":"sevt_tr3","mcp_tool_use_id":"sevt_t4","is_error":false,"content":[]}`},
	"agent.thread_message_sent": {before: []string{exUser, exRunning},
		event: `{"type":"agent.thread_message_sent","id":"sevt_tm1","to_session_thread_id":"sthr_1","to_agent_name":"reviewer","content":[{"type":"text","text":"review the diff"}]}`},
	"agent.thread_message_received": {before: []string{exUser, exRunning},
		event: `{"type":"agent.thread_message_received","id":"sevt_tm2","from_session_thread_id":"sthr_1","from_agent_name":"reviewer","content":[{"type":"text","text":"looks good"}]}`},
	"agent.thread_context_compacted": {before: []string{exUser, exRunning, exThread}, event: `{"type":"agent.thread_context_compacted","id":"sevt_cc1"}`},
	"session.error": {before: []string{exUser, exRunning},
		event: `{"type":"session.error","id":"sevt_e1","error":{"type":"model_overloaded_error","message":"busy","retry_status":{"type":"retrying"}}}`},
	"session.status_rescheduled": {before: []string{exUser, exRunning}, event: `{"type":"session.status_rescheduled","id":"sevt_rs1"}`},
	"session.status_running": {before: []string{exUser, exRunning, `{"type":"session.error","id":"sevt_e1","error":{"type":"model_overloaded_error","message":"busy","retry_status":{"type":"retrying"}}}`,
		`{"type":"session.status_rescheduled","id":"sevt_rs1"}`}, event: `{"type":"session.status_running","id":"sevt_r2"}`},
	"session.status_idle":       {before: []string{exUser, exRunning, exAgentMsg}, event: exIdleEnd},
	"session.status_terminated": {before: []string{exUser, exRunning}, event: `{"type":"session.status_terminated","id":"sevt_x1"}`},
	"session.deleted":           {before: []string{exUser, exRunning}, event: `{"type":"session.deleted","id":"sevt_x2"}`},
	"session.updated": {before: []string{exUser, exRunning, exUsage},
		event: `{"type":"session.updated","id":"sevt_up1","title":"renamed","budget":{"type":"limit","max_list_cost":{"amount":"500","currency":"USD"}}}`},
	"session.usage":                     {before: []string{exUser, exRunning}, event: exUsage},
	"session.thread_created":            {before: []string{exUser, exRunning}, event: exThread},
	"session.thread_status_running":     {before: []string{exUser, exRunning, exThread}, event: `{"type":"session.thread_status_running","id":"sevt_th3","session_thread_id":"sthr_1","agent_name":"reviewer"}`},
	"session.thread_status_idle":        {before: []string{exUser, exRunning, exThread, exSubAsk}, event: exSubIdle},
	"session.thread_status_rescheduled": {before: []string{exUser, exRunning, exThread}, event: `{"type":"session.thread_status_rescheduled","id":"sevt_th4","session_thread_id":"sthr_1","agent_name":"reviewer"}`},
	"session.thread_status_terminated":  {before: []string{exUser, exRunning, exThread}, event: `{"type":"session.thread_status_terminated","id":"sevt_th5","session_thread_id":"sthr_1","agent_name":"reviewer"}`},
	"span.model_request_start":          {before: []string{exUser, exRunning}, event: `{"type":"span.model_request_start","id":"sevt_sp1"}`},
	"span.model_request_end": {before: []string{exUser, exRunning, `{"type":"span.model_request_start","id":"sevt_sp1"}`},
		event: `{"type":"span.model_request_end","id":"sevt_sp2","model_request_start_id":"sevt_sp1","is_error":false,"model_usage":{"input_tokens":100,"output_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"speed":"fast"}}`},
	"span.outcome_evaluation_start":   {before: []string{exUser, exRunning, exOutcome}, event: exEvalStart},
	"span.outcome_evaluation_ongoing": {before: []string{exUser, exRunning, exOutcome, exEvalStart, exEvalEnd}, event: `{"type":"span.outcome_evaluation_ongoing","id":"sevt_o4","outcome_id":"outc_1","iteration":1}`},
	"span.outcome_evaluation_end":     {before: []string{exUser, exRunning, exOutcome, exEvalStart}, event: exEvalEnd},
	"workflow_run.created":            {before: []string{exUser, exRunning}, event: exWorkflow},
	"workflow_run.status_running":     {before: []string{exUser, exRunning, exWorkflow}, event: `{"type":"workflow_run.status_running","id":"sevt_w2","workflow_run_id":"wfr_1"}`},
	"workflow_run.status_idle":        {before: []string{exUser, exRunning, exWorkflow}, event: `{"type":"workflow_run.status_idle","id":"sevt_w3","workflow_run_id":"wfr_1"}`},
	"workflow_run.status_ended":       {before: []string{exUser, exRunning, exWorkflow}, event: `{"type":"workflow_run.status_ended","id":"sevt_w4","workflow_run_id":"wfr_1","result":{"type":"completed"}}`},
	"workflow_run.phase_started":      {before: []string{exUser, exRunning, exWorkflow}, event: `{"type":"workflow_run.phase_started","id":"sevt_w5","workflow_run_id":"wfr_1","workflow_run_phase_id":"wfp_1"}`},
	"workflow_run.phase_ended": {before: []string{exUser, exRunning, exWorkflow, `{"type":"workflow_run.phase_started","id":"sevt_w5","workflow_run_id":"wfr_1","workflow_run_phase_id":"wfp_1"}`},
		event: `{"type":"workflow_run.phase_ended","id":"sevt_w6","workflow_run_id":"wfr_1","workflow_run_phase_id":"wfp_1","phase_started_id":"sevt_w5"}`},
	"workflow_run.error": {before: []string{exUser, exRunning, exWorkflow},
		event: `{"type":"workflow_run.error","id":"sevt_w7","workflow_run_id":"wfr_1","error":{"type":"timeout_error","message":"the run took too long"}}`},
	"event_start": {before: []string{exUser, exRunning}, event: `{"type":"event_start","event":{"type":"agent.message","id":"sevt_m9"}}`},
	"event_delta": {before: []string{exUser, exRunning}, event: `{"type":"event_delta","event_id":"sevt_m9","delta":{"type":"content_delta","index":0,"content":{"type":"text","text":"hel"}}}`},
}

-- Argo CD health check for every claude.anthropic.com kind of managed-agents-operator (Agent,
-- Environment, Vault, Skill, MemoryStore, AgentDeployment, Session): see docs/gitops.md. It reads
-- what kstatus (Flux) reads, in the same order: status.observedGeneration against
-- metadata.generation, then the Stalled and Reconciling conditions, then Ready. Paused objects are
-- Suspended, and so are an AgentDeployment whose schedule spec.suspend holds and a Session whose
-- tool calls wait for an answer (RequiresAction). Argo CD runs custom checks without Lua's string
-- library, so this uses base functions and concatenation only.
local function result(status, message)
  return { status = status, message = message }
end

if obj.metadata.deletionTimestamp ~= nil then
  return result("Progressing", "Deleting: the operator releases the remote object per spec.deletionPolicy")
end

local generation = obj.metadata.generation
local observed = nil
if obj.status ~= nil then
  observed = obj.status.observedGeneration
end
if observed ~= generation then
  local shown = "none"
  if observed ~= nil then
    shown = tostring(observed)
  end
  return result("Progressing", obj.kind .. " generation is " .. tostring(generation) ..
    ", but latest observed generation is " .. shown .. ": waiting for the operator")
end

local conditions = {}
for _, c in ipairs(obj.status.conditions or {}) do
  conditions[c.type] = c
end

-- A Session's messages start with its phase, so that every verdict says where the run stands.
local prefix = ""
if obj.kind == "Session" then
  prefix = (obj.status.phase or "Pending") .. ": "
end

-- Stalled first: a pause fixes nothing. These conditions never hold True together otherwise.
for _, rule in ipairs({ { "Stalled", "Degraded" }, { "Paused", "Suspended" }, { "Reconciling", "Progressing" } }) do
  local c = conditions[rule[1]]
  if c ~= nil and c.status == "True" then
    return result(rule[2], prefix .. c.message)
  end
end

if obj.kind == "Session" then
  -- A launched Session that is not stalled does what it was asked: Running, Idle, Rescheduling or
  -- Succeeded. Reconciling=False carries how its turn stands.
  local message = obj.status.phase or "Pending"
  local reconciling = conditions["Reconciling"]
  if reconciling ~= nil and reconciling.message ~= "" then
    message = prefix .. reconciling.message
  end
  if obj.status.phase == "RequiresAction" then
    return result("Suspended", message)
  end
  return result("Healthy", message)
end

local ready = conditions["Ready"]
if ready ~= nil and ready.status == "True" then
  -- An AgentDeployment whose schedule spec.suspend holds is in line with its spec, and suspended.
  if obj.spec ~= nil and obj.spec.suspend == true and conditions["Scheduled"] ~= nil then
    return result("Suspended", conditions["Scheduled"].message)
  end
  return result("Healthy", ready.message)
end
if ready ~= nil then
  return result("Progressing", ready.message)
end
return result("Progressing", "Waiting for the Ready condition")

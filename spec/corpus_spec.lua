-- Accuracy of reason() on a labelled corpus of real replies
-- (spec/fixtures/corpus, described in its README.md): the reply texts come
-- from public sources, the labels from what each source says the reply
-- means, never from this library. The figures are printed and required.
local sc = require("smtpcodes")
local support = require("spec.support")

local DIR = "spec/fixtures/corpus/"

-- Sisimai's reasons, and the smtpcodes reasons that mean the same: the
-- table of the vocabulary's reference (bounce-reasons.md, "Reasons"). A
-- reply agrees when reason() gives any of them.
local SISIMAI = {
  userunknown = { "user_unknown" },
  hostunknown = { "host_unknown" },
  hasmoved = { "user_unknown", "routing", "mailbox_disabled" },
  notaccept = { "host_unknown", "policy", "routing" },
  mailboxfull = { "mailbox_full" },
  suspend = { "mailbox_disabled" },
  mesgtoobig = { "message_too_big" },
  exceedlimit = { "message_too_big" },
  emailtoolarge = { "message_too_big" },
  norelaying = { "relay_denied" },
  rejected = { "sender_rejected", "policy" },
  spamdetected = { "spam" },
  virusdetected = { "virus" },
  contenterror = { "content" },
  policyviolation = { "policy", "content" },
  notcompliantrfc = { "content", "syntax", "policy" },
  blocked = { "blocklisted", "policy" },
  badreputation = { "blocklisted", "spam", "policy" },
  requireptr = { "policy", "blocklisted" },
  authfailure = { "sender_auth", "policy" },
  securityerror = { "auth_failed", "auth_required", "tls_required", "sender_auth", "policy" },
  toomanyconn = { "rate_limited", "too_many_connections", "too_many_recipients" },
  speeding = { "rate_limited", "too_many_connections", "too_many_recipients" },
  ratelimited = { "rate_limited", "too_many_connections", "too_many_recipients" },
  networkerror = { "network", "routing" },
  systemerror = { "system", "network" },
  systemfull = { "system", "mailbox_full" },
  mailererror = { "system" },
  syntaxerror = { "syntax" },
  expired = { "expired" },
  filtered = { "policy", "user_unknown", "spam", "content" },
}

-- Every row: provider, command (or nil), reply text, the accepted reasons,
-- and whether the address is bad (hard).
local function load()
  local rows = {}
  for _, f in ipairs(support.tsv(DIR .. "sisimai.tsv", true)) do
    local provider, command, reply, label, hard = f[1], f[2], f[3], f[6], f[7]
    assert(SISIMAI[label], "no mapping for Sisimai's reason " .. label)
    rows[#rows + 1] = { provider = provider, command = command ~= "" and command or nil,
      reply = reply, ok = SISIMAI[label], hard = hard == "1", label = label, source = f[8] }
  end
  local kinds = {}
  for _, r in ipairs(sc.reasons()) do kinds[r.name] = r.kind end
  for _, f in ipairs(support.tsv(DIR .. "providers.tsv", true)) do
    local ok = {}
    for name in f[4]:gmatch("[^|]+") do
      assert(kinds[name], "not a reason of the vocabulary: " .. name)
      ok[#ok + 1] = name
    end
    rows[#rows + 1] = { provider = f[1], command = f[2] ~= "" and f[2] or nil, reply = f[3],
      ok = ok, hard = kinds[ok[1]] == "hard", label = f[4], source = f[6] }
  end
  return rows
end

describe("the labelled corpus of real replies", function()
  local rows = load()

  it("has at least 300 replies from at least 25 providers and MTAs, each with a source", function()
    local providers = {}
    for _, r in ipairs(rows) do
      providers[r.provider] = true
      assert.truthy(r.source:find("%S"), r.reply)
      assert.truthy(r.reply:find("%f[%d][2-5]%d%d%f[^%d]"), r.reply)
    end
    assert.is_true(#rows >= 300, #rows .. " rows")
    assert.is_true(#support.keys(providers) >= 25, #support.keys(providers) .. " providers")
  end)

  it("gets the reason and the kind right, and almost never calls a soft bounce hard", function()
    local agree, same_kind, soft, soft_hard = 0, 0, 0, 0
    local misses = {}
    for _, r in ipairs(rows) do
      local reason, kind = sc.reason(r.reply, r.command)
      local ok = false
      for _, name in ipairs(r.ok) do ok = ok or name == reason end
      if ok then agree = agree + 1 end
      local want = r.hard and "hard" or "soft"
      if (kind or "soft") == want then same_kind = same_kind + 1 end
      if not r.hard then
        soft = soft + 1
        if kind == "hard" then soft_hard = soft_hard + 1 end
      end
      if not ok or (kind or "soft") ~= want then
        misses[#misses + 1] = ("  %s %s: %s (%s) for %s"):format(r.provider, r.label,
          tostring(reason), tostring(kind), r.reply:sub(1, 70))
      end
    end
    local n = #rows
    print(("\ncorpus: %d replies; reason agreement %.1f%%, hard/soft agreement %.1f%%, "
      .. "soft rows called hard %.2f%% (%d of %d)"):format(n, agree / n * 100,
      same_kind / n * 100, soft_hard / soft * 100, soft_hard, soft))
    assert.is_true(agree / n >= 0.90, "reason agreement under 90%:\n" .. table.concat(misses, "\n"))
    assert.is_true(same_kind / n >= 0.95, "hard/soft agreement under 95%")
    assert.is_true(soft_hard / soft <= 0.01, "more than 1% of soft rows called hard:\n"
      .. table.concat(misses, "\n"))
  end)
end)

-- A programming error is reported at the caller's line, never inside
-- smtpcodes: every misuse below must raise an error whose position is this
-- file.
local sc = require("smtpcodes")

local MISUSES = {
  { "lookup", function() sc.lookup({}) end },
  { "command type", function() sc.command(1) end },
  { "command profile", function() sc.command("RCPT", "x") end },
  { "commands profile", function() sc.commands("x") end },
  { "allows", function() sc.command("RCPT"):allows("x") end },
  { "reference", function() sc.command("RCPT"):reference({}) end },
  { "search", function() sc.search(5) end },
  { "search words", function() sc.search({ 5 }) end },
  { "parse", function() sc.parse(5) end },
  { "parse opts", function() sc.parse("250 ok", 5) end },
  { "parse bound", function() sc.parse("250 ok", { max_line = -1 }) end },
  { "reader opts", function() sc.reader(5) end },
  { "reader bound", function() sc.reader({ max_lines = 0 }) end },
  { "feed", function() sc.reader():feed(5) end },
  { "receive", function() sc.reader():receive(5) end },
  { "capabilities", function() sc.capabilities(5) end },
  { "capabilities reply", function() sc.capabilities({}) end },
  { "decide command", function() sc.decide("<nobody>", 250) end },
  { "decide command type", function() sc.decide(5, 250) end },
  { "decide reply", function() sc.decide("RCPT", "x") end },
  { "decide reply type", function() sc.decide("RCPT", true) end },
  { "decide policy", function() sc.decide("RCPT", 250, {}) end },
  { "policy", function() sc.policy(5) end },
  { "policy command", function() sc.policy({ ["!"] = {} }) end },
  { "policy key", function() sc.policy({ RCPT = { [999] = "fail" } }) end },
  { "policy action", function() sc.policy({ RCPT = { [550] = "x" } }) end },
  { "reason", function() sc.reason(nil) end },
  { "reason command", function() sc.reason(550, "123") end },
  { "format code", function() sc.format(100) end },
  { "format enhanced", function() sc.format(550, "4.1.1", "x") end },
  { "format text", function() sc.format(250, "a\rb") end },
  { "format opts", function() sc.format(250, "x", { max_line = 1 }) end },
  { "policy reasons", function() sc.policy({ reasons = 5 }) end },
  { "policy reasons key", function() sc.policy({ reasons = { [999] = "x" } }) end },
  { "policy reasons value", function() sc.policy({ reasons = { [550] = "a b" } }) end },
  { "Policy:reason", function() sc.policy({}):reason(true) end },
  { "bounces", function() sc.bounces(5) end },
  { "bounces opts", function() sc.bounces("x", { max_size = -1 }) end },
  { "decide reply table", function() sc.decide("RCPT", { code = 550, enhanced = "5.1" }) end },
}

describe("a programming error", function()
  for _, case in ipairs(MISUSES) do
    it("is reported at the caller's line: " .. case[1], function()
      local ok, err = pcall(case[2])
      assert.is_false(ok)
      assert.matches("^spec/blame_spec%.lua:%d+: bad argument #%d to '", err)
    end)
  end
end)

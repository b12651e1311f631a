-- smtpcodes.bounces: the delivery results in any text a user has. The
-- fixtures of spec/fixtures/bounces are captured from OpenSMTPD on loopback,
-- or written after the formats the RFCs and the MTAs' documentation give
-- (see its README); every one gives the records it must give, and no bytes
-- make the function raise or slow down.
local support = require("spec.support")
local sc = require("smtpcodes")

local FIELDS = { "recipient", "command", "code", "status", "reason", "kind", "action", "remote",
  "source", "dsn_action" }

-- the fields of the records, as lists for comparison
local function rows(records)
  local out = {}
  for i, r in ipairs(records) do
    local row = {}
    for k, name in ipairs(FIELDS) do row[k] = r[name] == nil and "-" or tostring(r[name]) end
    out[i] = table.concat(row, " ")
  end
  return out
end

local function fixture(name)
  return support.read("spec/fixtures/bounces/" .. name)
end

local EXPECTED = {
  ["dsn-no-blank-lines.eml"] = { -- no blank line between the blocks (as AOL sends them)
    "full@example.net - 550 5.2.2 mailbox_full soft fail mail.example.net dsn failed",
    "nobody@example.net - 550 5.1.1 user_unknown hard fail mx.example.org dsn failed",
  },
  ["dsn-postfix-style.eml"] = {
    "nobody@example.net - 550 5.1.1 user_unknown hard fail mail.example.net dsn failed",
    "full@example.net - 452 4.2.2 mailbox_full soft retry mail.example.net dsn delayed",
    "ann@example.net - - 2.0.0 - - ok mx.example.org dsn delivered",
  },
  ["dsn-base64.eml"] = {
    "spam@example.com - 554 5.7.1 spam soft fail mx.example.org dsn failed",
  },
  ["dsn-global-qp.eml"] = {
    "\195\188ser@example.de - 550 5.1.1 user_unknown hard fail mx.example.org dsn failed",
  },
  ["logs-postfix.log"] = {
    "nobody@example.net RCPT 550 5.1.1 user_unknown hard fail mail.example.net postfix -",
    "ann@example.net - 250 2.0.0 - - ok mail.example.net postfix -",
    "grey@example.net RCPT 450 4.7.1 greylisted soft retry mail.example.net postfix -",
    "big@example.net DATA_END 552 5.3.4 message_too_big soft fail mail.example.net postfix -",
    "x@nowhere.invalid - - 5.4.4 host_unknown hard fail - postfix -",
  },
  ["logs-others.log"] = {
    "nobody@example.net RCPT 550 5.1.1 user_unknown hard fail mail.example.net exim -",
    "later@example.net RCPT 451 4.7.1 greylisted soft retry mail.example.net exim -",
    "ann@example.net - - - - - ok mail.example.net exim -",
    "nobody@example.org - - 5.1.1 user_unknown hard fail mx.example.org sendmail -",
    "slow@example.org - 421 4.7.0 too_many_connections soft retry mx.example.org sendmail -",
    "rcpt@example.com - 550 5.2.1 mailbox_disabled soft fail mx.example.com opensmtpd -",
  },
  ["text-qmail.txt"] = {
    "nobody@example.com - 550 5.1.1 user_unknown hard fail - text -",
  },
  -- captured from Postfix 3.7 and OpenSMTPD 6.8 on loopback (see the
  -- fixtures' README)
  ["postfix-bounce.eml"] = { -- the command from the text part: "(in reply to RCPT TO command)"
    "unknown-user@example.net RCPT 550 5.1.1 user_unknown hard fail 127.0.0.1 dsn failed",
  },
  ["postfix.log"] = {
    "full-box@example.net RCPT 452 4.2.2 mailbox_full soft retry 127.0.0.1 postfix -",
    "unknown-user@example.net RCPT 550 5.1.1 user_unknown hard fail 127.0.0.1 postfix -",
    "ann@example.net - 250 2.0.0 - - ok 127.0.0.1 postfix -",
    "nobody@postfix.example - - 2.0.0 - - ok local postfix -",
  },
  ["opensmtpd-dsn.eml"] = {
    "unknown-user@example.net - 550 5.1.1 user_unknown hard fail opensmtpd.example dsn failed",
  },
  ["opensmtpd.log"] = {
    "unknown-user@example.net - 550 5.1.1 user_unknown hard fail 127.0.0.1 opensmtpd -",
    "nobody@localhost - - - - - ok - opensmtpd -",
  },
  ["text-interscan.txt"] = {
    "nobody@example.net RCPT 550 5.1.1 user_unknown hard fail - text -",
  },
  ["text-exim.txt"] = {
    "nobody@example.net RCPT 550 5.1.1 user_unknown hard fail - text -",
  },
}

-- Real bounces of many MTAs and providers, from Sisimai's public corpus
-- (spec/fixtures/bounces/sisimai, see the README); the reason of each agrees
-- with the label of p5-sisimai's own tests for the sample.
local PUBLIC = {
  ["lhost-exim-01.eml"] = { -- the reply on the line after "after MAIL FROM:<sender>"
    "kijitora@example.ed.jp MAIL 550 5.7.0 policy soft fail - text -",
  },
  ["lhost-gmail-01.eml"] = { -- "The error that the other server returned was:"
    "userunknown@example.jp - 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-opensmtpd-01.eml"] = { -- "address: reply", one line per recipient
    "apdugoaidugoaidugoaeiudggadi@gmail.com - 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-office365-01.eml"] = { -- "Remote Server returned '...'", quoted-printable, nested
    "kijitora@example.com - 550 5.1.10 user_unknown hard fail - text -",
  },
  ["lhost-amazonworkmail-01.eml"] = { -- DSN fields written in a quoted-printable text part
    "kijitora@example.jp - 550 5.1.1 user_unknown hard fail - diagnostic -",
  },
  ["lhost-dragonfly-01.eml"] = { -- "did not like our final DATA:", a multi-line reply
    "pseudo-local-part@google.example.com DATA_END 550 5.7.26 sender_auth soft fail - text -",
  },
  ["lhost-qmail-01.eml"] = {
    "kijitora@example.ne.jp - 550 - user_unknown hard fail 192.0.2.32 text -",
  },
  ["rhost-microsoft-02.eml"] = { -- a Postfix bounce: the command from its text
    "kijitora@example.org RCPT 550 5.4.1 user_unknown hard fail "
      .. "example.org.mail.protection.outlook.com dsn failed",
  },
  ["rhost-google-02.eml"] = { -- its boundary is not the parts': read as text, "said:" folded
    "neko-nyaan@example.org RCPT 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-yahoo-02.eml"] = { -- "Remote host said:"
    "kijitora@example.ed.jp - 550 5.2.2 mailbox_full soft fail - text -",
  },
  ["lhost-mailru-01.eml"] = { -- the same failure quoted twice (Russian and English): one record
    "kijitora@example.jp RCPT 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-v5sendmail-03.eml"] = { -- a transcript: ">>> RCPT To:<a@b>", "<<< 550 ..."
    "kijitora@example.org RCPT 550 - user_unknown hard fail smtp.example.com text -",
  },
  ["lhost-sendmail-50.eml"] = { -- ">>> DATA", "<<< 550 ...", no 503 after: DATA's, soft
    "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp DATA 550 5.2.0 user_unknown soft fail "
      .. "lsean.ezweb.ne.jp dsn failed",
  },
  ["lhost-sendmail-14.eml"] = { -- "> " quoting; "(reason: ...)" and "<<< ..." are one failure,
    -- of an earlier RCPT: the server answers DATA with 503
    "kijitora@example.com - 550 5.1.1 user_unknown hard fail mx.example.com text -",
  },
  ["lhost-yahoo-03.eml"] = { -- "Remote host said:", the reply on the next line
    "kijitora@example.jp - 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-gmail-04.eml"] = { -- one quoted-printable part; "returned was: 554 554 5.7.1 ..."
    "kijitora@example.com - 554 5.7.1 blocklisted soft fail - text -",
  },
  ["lhost-yahoo-08.eml"] = { -- a reply on a line of its own, "550: 5.2.2 ..."
    "mailboxfull@libsisimai.org - 550 5.2.2 mailbox_full soft fail - text -",
  },
  ["lhost-mfilter-02.eml"] = { -- a reply on a line of its own, after "-------server message"
    "kijitora@example.co.jp - 550 5.1.1 user_unknown hard fail - text -",
  },
  ["lhost-imailserver-06.eml"] = { -- a multi-line reply on lines of their own: one record
    "- - 550 - spam soft fail - text -",
  },
  ["lhost-v5sendmail-02.eml"] = { -- Sendmail's own lines: the one about the address
    "kijitora@neko.example.org - 554 - host_unknown hard fail - text -",
  },
  ["lhost-postfix-03.eml"] = { -- "said:" ends its line; "(in reply to end of DATA" folded
    "kijitora@example.net DATA_END 550 5.0.0 user_unknown soft fail mail.example.net dsn failed",
  },
  ["lhost-postfix-35.eml"] = { -- refused after the data, as the text part says: soft
    "otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp DATA_END 550 5.0.0 user_unknown soft fail "
      .. "lsean.ezweb.ne.jp dsn failed",
  },
  ["lhost-sendmail-01.eml"] = {
    "userunknown@bouncehammer.jp - 550 5.1.1 user_unknown hard fail mx.bouncehammer.jp dsn failed",
  },
}

describe("smtpcodes.bounces", function()
  for name, want in pairs(PUBLIC) do
    it("gives the records of Sisimai's sample " .. name, function()
      local records, err = sc.bounces(fixture("sisimai/" .. name))
      assert.is_table(records, err)
      assert.are.same(want, rows(records))
    end)
  end

  for name, want in pairs(EXPECTED) do
    it("gives the records of " .. name, function()
      local records, err = sc.bounces(fixture(name))
      assert.is_table(records, err)
      assert.are.same(want, rows(records))
    end)
  end

  it("takes a line that starts with a number as a reply only when it reads as one", function()
    -- a reply on a line of its own: an enhanced code, or wording a rule knows
    for _, text in ipairs { "Subject: x\n\nError message below:\n550 5.1.1 unknown\n",
      "Subject: x\n\n<a@example.net>:\n550 : User unknown\n",
      -- qmail's enhanced code at the end; Sendmail's first line is no end
      "Subject: x\n\nThe original message was received at Tue, 1 Dec 2026\n"
        .. "  ----- Transcript of session follows -----\n"
        .. "550 sorry, no mailbox here by that name (#5.1.1 - chkusr)\n" } do
      local records = sc.bounces(text)
      assert.are.equal(1, #records, text)
      assert.are.equal("user_unknown", records[1].reason, text)
    end
    assert.are.equal("a@example.net",
      sc.bounces("Subject: x\n\n<a@example.net>:\n550 : User unknown\n")[1].recipient)
    -- prose, and the returned message after the notification, give none
    assert.are.same({}, sc.bounces("Subject: party\n\n450 people came.\n550 stayed home.\n"))
    assert.are.same({}, sc.bounces("Subject: x\n\nSorry.\n--- Original message ---\n"
      .. "550 5.1.1 quoted by the sender\n"))
  end)

  it("reads a reply in every form: whole, flattened, indented, a Diagnostic-Code value", function()
    for text, want in pairs {
      ["550 5.1.1 <a@b>: no such user"] = "- - 550 5.1.1 user_unknown hard fail - reply -",
      ["550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
        .. "550 5.2.1 prevents additional messages"] =
        "- - 550 5.2.1 rate_limited soft fail - reply -",
      ["    550-5.1.1 first\n    550 5.1.1 no such user\n"] =
        "- - 550 5.1.1 user_unknown hard fail - reply -",
      ["smtp; 452 4.2.2 Mailbox full"] = "- - 452 4.2.2 mailbox_full soft retry - diagnostic -",
      ["Diagnostic-Code: smtp; 550 5.7.26 DMARC policy"] =
        "- - 550 5.7.26 sender_auth soft fail - diagnostic -",
    } do
      assert.are.same({ want }, rows(assert(sc.bounces(text))), text)
    end
  end)

  it("gives an empty list for text that holds no delivery result", function()
    for _, text in ipairs { "", "hello", "Subject: hi\r\n\r\nbody", "\0\1\2" } do
      assert.are.same({}, sc.bounces(text))
    end
  end)

  it("gives each record the reply it read, as a Reply", function()
    local r = sc.bounces(fixture("logs-postfix.log"))[1]
    assert.are.equal("smtpcodes.Reply", getmetatable(r.reply).__name)
    assert.matches("User unknown in local recipient table", r.reply.text, 1, true)
  end)

  it("uses a policy's reasons", function()
    local p = sc.policy { reasons = { ["local recipient table"] = "site_unknown" } }
    local r = sc.bounces(fixture("logs-postfix.log"), { policy = p })[1]
    assert.are.same({ "site_unknown", "soft" }, { r.reason, r.kind })
  end)

  it("refuses a text over opts.max_size, and raises for misuse", function()
    local records, err = sc.bounces(("x"):rep(101), { max_size = 100 })
    assert.is_nil(records)
    assert.are.equal("text of 101 bytes is over opts.max_size (100)", err)
    assert.is_nil((sc.bounces(("x"):rep(10 * 1024 * 1024 + 1))))
    assert.has_error(function() sc.bounces(nil) end,
      "bad argument #1 to 'bounces' (string expected, got nil)")
    assert.has_error(function() sc.bounces({}) end)
    assert.has_error(function() sc.bounces("x", 5) end)
    assert.has_error(function() sc.bounces("x", { max_size = -1 }) end)
    assert.has_error(function() sc.bounces("x", { policy = {} }) end)
  end)
end)

describe("smtpcodes.bounces on hostile bytes", function()
  local names = {}
  for name in pairs(EXPECTED) do names[#names + 1] = name end
  table.sort(names)

  local function never_raises(text, what)
    local ok, records, err = pcall(sc.bounces, text)
    assert(ok, what .. ": " .. tostring(records))
    assert(type(records) == "table" or type(err) == "string", what)
  end

  it("never raises on mutated and truncated fixtures", function()
    math.randomseed(40)
    for _, name in ipairs(names) do
      local text = fixture(name)
      for cut = 0, #text, 7 do never_raises(text:sub(1, cut), name .. " cut at " .. cut) end
      for i = 1, support.cases(300) do
        local t = {}
        for k = 1, #text do t[k] = text:sub(k, k) end
        for _ = 1, math.random(1, 8) do
          local at = math.random(#t)
          local op = math.random(3)
          if op == 1 then
            t[at] = string.char(math.random(0, 255))
          elseif op == 2 then
            t[at] = ""
          else
            t[at] = t[at] .. t[math.random(#t)]:rep(math.random(1, 50))
          end
        end
        never_raises(table.concat(t), name .. " mutation " .. i)
      end
    end
  end)

  it("never raises on binary junk", function()
    math.randomseed(41)
    for i = 1, support.cases(200) do
      local t = {}
      for k = 1, math.random(0, 2000) do t[k] = string.char(math.random(0, 255)) end
      never_raises(table.concat(t), "junk " .. i)
    end
  end)

  it("reads 10 MiB of one header line, and long runs built to make patterns backtrack",
    function()
      local MiB = 1024 * 1024
      local size = math.max(64 * 1024, math.floor(10 * MiB * support.SCALE))
      for what, text in pairs {
        header = "Content-Type: multipart/report; boundary=\"b\"\r\nX-Long: "
          .. ("a"):rep(size) .. "\r\n\r\n--b\r\n",
        folded = "Content-Type: multipart/report; boundary=\"b\"\r\nX: a\r\n"
          .. (" b\r\n"):rep(math.floor(size / 4)) .. "\r\n--b--\r\n",
        spaces = "550 " .. (" "):rep(size) .. "x",
        said = (" host h said: 550 x "):rep(math.floor(size / 20)),
        exim = ("SMTP error from remote mail server after RCPT TO:<a@b> "):rep(
          math.floor(size / 56)),
        colons = ("to=<" .. (": "):rep(50)):rep(math.floor(size / 104)),
        lines = ("postfix/smtp[1]: x: to=<a@b>, status=bounced (\n"):rep(math.floor(size / 48)),
        -- lines of the quoted forms, each 4 KiB long (an eighth of the size:
        -- were a pattern quadratic in a line, a few hundred lines would show)
        ats = (("@"):rep(4000) .. "\n"):rep(math.floor(size / 8 / 4001)),
        addresses = (("a@"):rep(2000) .. ": 550\n"):rep(math.floor(size / 8 / 4006)),
        angles = ("SMTP error from remote mail server after RCPT TO:" .. ("<"):rep(4000) .. "\n")
          :rep(math.floor(size / 8 / 4050)),
        dislike = (("did not like our "):rep(235) .. "\n"):rep(math.floor(size / 8 / 3996)),
        deliver = (("deliver to <"):rep(333) .. "\n"):rep(math.floor(size / 8 / 3997)),
        said_spaces = ("host h said: 550 x" .. (" "):rep(4000) .. "y\n")
          :rep(math.floor(size / 8 / 4020)),
        boundary = "Content-Type: multipart/report; " .. ("boundary=\""):rep(math.floor(size / 80))
          .. "\r\n\r\nx",
      } do
        never_raises(text, what)
      end
    end)
end)

-- smtpcodes.postfix: Postfix's policy delegation protocol
-- (SMTPD_POLICY_README): requests read with bounds, answers built safely,
-- and examples/policy.lua serving several connections at once.
local postfix = require("smtpcodes.postfix")
local socket = require("socket")
local servers = require("spec.servers")
local support = require("spec.support")

local REQUEST = "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
  .. "sender=a@example.org\nrecipient=b@example.net\nclient_address=192.0.2.1\n"
  .. "instance=123.456.7\n\n"

describe("smtpcodes.postfix", function()
  it("is also the field postfix of smtpcodes, as opensmtpd is", function()
    assert.are.equal(postfix, require("smtpcodes").postfix)
    assert.are.equal(require("smtpcodes.opensmtpd"), require("smtpcodes").opensmtpd)
  end)
end)

describe("smtpcodes.postfix.reader", function()
  it("reads requests whatever the chunking, several on one connection", function()
    for _, size in ipairs({ 1, 3, 7, 1000 }) do
      local r = postfix.reader()
      local got = {}
      local stream = REQUEST .. REQUEST:gsub("b@example", "c@example")
      for i = 1, #stream, size do
        for _, req in ipairs(assert(r:feed(stream:sub(i, i + size - 1)))) do got[#got + 1] = req end
      end
      assert.are.equal(2, #got)
      assert.are.same({ "smtpd_access_policy", "RCPT", "b@example.net", "192.0.2.1" },
        { got[1].request, got[1].protocol_state, got[1].recipient, got[1].client_address })
      assert.are.equal("c@example.net", got[2].recipient)
      assert.are.equal(0, r:buffered())
    end
  end)

  it("takes CRLF line ends, empty values and values with '=', and keeps a name's first value",
    function()
      local r = postfix.reader()
      local got = assert(r:feed("request=smtpd_access_policy\r\nsasl_method=\r\n"
        .. "ccert_subject=CN=a=b\r\nsender=a@x\r\nsender=b@x\r\n\r\n"))
      assert.are.same({ request = "smtpd_access_policy", sasl_method = "", ccert_subject = "CN=a=b",
        sender = "a@x" }, got[1])
    end)

  it("gives an error for a malformed request, and keeps giving it", function()
    local cases = {
      { "garbage\n", "malformed attribute line 1: 'garbage' (name=value expected)" },
      { "=value\n", "malformed attribute line 1" },
      { "\n", "empty request" },
      { "protocol_state=RCPT\n\n", "request without the request attribute" },
      { "a=\0\n", "attribute line 1 holds a NUL" },
    }
    for _, c in ipairs(cases) do
      local r = postfix.reader()
      local got, err, before = r:feed(c[1])
      assert.is_nil(got)
      assert.matches(c[2], err, 1, true)
      assert.are.same({}, before)
      assert.are.same({ nil, err, {} }, { r:feed(REQUEST) })
    end
    -- the requests before the bad line come with the error
    local got, err, before = postfix.reader():feed(REQUEST .. "junk\n")
    assert.is_nil(got)
    assert.matches("malformed", err)
    assert.are.equal(1, #before)
  end)

  it("bounds a line and the number of attributes", function()
    local r = postfix.reader({ max_line = 20 })
    assert.truthy(r:feed("request=smtpd_access\n"))
    local got, err = r:feed(("x"):rep(100))
    assert.is_nil(got)
    assert.matches("longer than 20 bytes", err)
    assert.are.equal(0, r:buffered())
    r = postfix.reader({ max_attributes = 3 })
    got, err = r:feed("request=x\na=1\nb=2\nc=3\n")
    assert.is_nil(got)
    assert.matches("more than 3 attributes", err)
    -- a line end never counts toward the bound
    r = postfix.reader({ max_line = 11 })
    assert.are.same({ { request = "123" } }, r:feed("request=123\r\n\r\n"))
    assert.is_nil((postfix.reader({ max_line = 11 }):feed("request=1234\r\n")))
  end)

  it("raises for bad arguments", function()
    assert.has_error(function() postfix.reader({ max_line = 0 }) end,
      "bad argument #1 to 'reader' (opts.max_line must be a positive integer)")
    assert.has_error(function() postfix.reader():feed(nil) end,
      "bad argument #1 to 'feed' (string expected, got nil)")
  end)
end)

describe("smtpcodes.postfix.read", function()
  it("reads one request from a file, as a spawn(8) service reads its input", function()
    local lines, i = {}, 0
    for l in REQUEST:gmatch("(.-)\n") do lines[#lines + 1] = l end
    local file = { read = function() i = i + 1 return lines[i] end }
    local req = assert(postfix.read(file))
    assert.are.equal("b@example.net", req.recipient)
    assert.is_nil(postfix.read(file)) -- the input ended
    i = 0
    lines = { "request=x", "recipient=a" }
    assert.are.same({ nil, "the input ended inside a request" }, { postfix.read(file) })
    assert.matches("read raised an error", select(2, postfix.read({ read = error })))
  end)
end)

describe("smtpcodes.postfix answers", function()
  it("builds each action and the empty line after it", function()
    assert.are.equal("action=DUNNO\n\n", postfix.dunno())
    assert.are.equal("action=OK\n\n", postfix.ok())
    assert.are.equal("action=REJECT\n\n", postfix.reject())
    assert.are.equal("action=REJECT Not here\n\n", postfix.reject("Not here"))
    assert.are.equal("action=DEFER_IF_PERMIT Try later\n\n", postfix.defer_if_permit("Try later"))
    assert.are.equal("action=HOLD\n\n", postfix.action("HOLD"))
    assert.are.equal("action=550 5.7.1 Go away\n\n", postfix.reply(550, "5.7.1", "Go away"))
    assert.are.equal("action=452 4.2.2 Mailbox full\n\n", postfix.reply(452, "4.2.2 Mailbox full"))
  end)

  it("refuses texts and replies that would break the protocol, with nil and a message", function()
    assert.are.same({ nil, "action: refused: the text holds a control character ('\\x0a') at "
      .. "byte 2" }, { postfix.reject("a\nb") })
    local cases = {
      { { 250, "ok" }, "reply needs 4yz or 5yz, not 250" },
      { { 554, "5.7.1", "5.3.1 Go away" }, "the text begins with an enhanced code" },
      { { 550, "5.1.1", "<a@b>\n\naction=OK" }, "line break" },
      { { 550, "5.1.1", "a\rb" }, "control character" },
      { { 550, ("x "):rep(300) }, "does not fit one line" },
    }
    for _, c in ipairs(cases) do
      local answer, err = postfix.reply(support.unpack(c[1]))
      assert.is_nil(answer)
      assert.matches(c[2], err, 1, true)
    end
    assert.has_error(function() postfix.action("PERMIT") end, "bad argument #1 to 'action' "
      .. "(an access(5) action expected (OK, DUNNO, REJECT, DEFER_IF_PERMIT ...), got 'PERMIT')")
  end)
end)

describe("examples/policy.lua", function()
  local port, pid, log

  lazy_setup(function()
    port, log = servers.free_port(), os.tmpname()
    pid = servers.spawn(("exec env %s %s examples/policy.lua --port %d"):format(support.ENV,
      support.LUA, port), log)
    servers.wait_port(port, log)
  end)

  lazy_teardown(function()
    servers.stop(pid)
    os.remove(log)
  end)

  local function connect()
    local c = assert(socket.connect("127.0.0.1", port))
    c:settimeout(5)
    return c
  end

  local function ask(c, recipient)
    assert(c:send(REQUEST:gsub("b@example%.net", recipient)))
    local line = assert(c:receive("*l"))
    assert.are.equal("", c:receive("*l"))
    return line
  end

  it("answers many requests on one connection, and several connections at once", function()
    local a, b = connect(), connect()
    assert.are.equal("action=550 5.1.1 User unknown", ask(a, "unknown-1@example.net"))
    assert.are.equal("action=452 4.2.2 Mailbox full, please try again later",
      ask(b, "full-box@example.net"))
    assert.are.equal("action=DUNNO", ask(a, "ann@example.net"))
    -- a request split over several sends, with the other connection between
    assert(b:send(REQUEST:sub(1, 30)))
    assert.are.equal("action=DUNNO", ask(a, "bob@example.net"))
    assert(b:send(REQUEST:sub(31)))
    assert.are.equal("action=DUNNO", b:receive("*l"))
    a:close()
    b:close()
  end)

  it("closes a connection that sends garbage, without an answer, and keeps serving", function()
    local bad = { "garbage\n\n", ("x"):rep(20000) .. "\n", "\n", "protocol_state=RCPT\n\n",
      "request=x\n" .. ("a=1\n"):rep(200) .. "\n", "\0\1\2\255\n\n" }
    for _, junk in ipairs(bad) do
      local c = connect()
      c:send(junk)
      local line, err = c:receive("*l")
      assert.is_nil(line)
      assert.are.equal("closed", err)
      c:close()
      assert.are.equal("action=DUNNO", ask(connect(), "ann@example.net"))
    end
    assert.matches("closing a connection: malformed attribute line 1", support.read(log))
  end)
end)

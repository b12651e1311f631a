-- smtpcodes.reader: streams of real server bytes (captured from OpenSMTPD and
-- Postfix on loopback with tools/capture.lua), the examples of RFC 5321 and constructed
-- streams, fed whole, in random chunks and byte by byte.
local sc = require("smtpcodes")
local support = require("spec.support")

local DIR = "spec/fixtures/replies/"
local STREAMS = {
  ["opensmtpd-session.txt"] = { 220, 250, 250, 250, 550, 550, 354, 250, 214, 250, 500, 500, 503,
    250, 221 },
  ["opensmtpd-too-big.txt"] = { 220, 250, 250, 250, 354, 554, 221 },
  ["opensmtpd-errors.txt"] = { 220, 250, 503, 553, 250, 503, 503, 503, 503, 250, 221 },
  ["postfix-session.txt"] = { 220, 250, 250, 250, 550, 454, 354, 250, 252, 500, 503, 552, 221 },
  ["postfix-pipelined.txt"] = { 220, 250, 250, 250, 550, 354, 250, 221 },
  ["postfix-errors.txt"] = { 220, 501, 250, 503, 250, 503, 503, 554, 502, 503, 554, 500 },
  ["rfc5321-examples.txt"] = { 220, 250, 250, 250, 550, 250, 354, 250, 251, 551, 553, 250, 221 },
  ["constructed-pipelined.txt"] = { 250, 250, 550, 452, 354 },
  ["constructed-lf-421.txt"] = { 421 },
}

-- Splits a stream into the bytes of each reply, independently of the C
-- scanner: a reply ends with a line whose fourth byte is not '-'.
local function split(stream)
  local replies, cur = {}, {}
  for line in stream:gmatch("[^\n]*\n") do
    cur[#cur + 1] = line
    if line:sub(4, 4) ~= "-" then
      replies[#replies + 1] = table.concat(cur)
      cur = {}
    end
  end
  return replies
end

local function fields(r)
  return { code = r.code, enhanced = r.enhanced, lines = r.lines, text = r.text,
    warnings = { support.unpack(r.warnings) } }
end

-- Feeds the stream to a new reader in chunks of the sizes `sizes` gives.
local function feed(stream, sizes, opts)
  local reader, got, pos = sc.reader(opts), {}, 1
  while pos <= #stream do
    local n = sizes()
    local out, err = reader:feed(stream:sub(pos, pos + n - 1))
    assert.is_table(out, err)
    for _, r in ipairs(out) do got[#got + 1] = fields(r) end
    pos = pos + n
  end
  assert.are.equal(0, reader:buffered())
  return got
end

local function fake_socket(stream, script)
  local lines = {}
  for line in stream:gmatch("([^\n]*)\n") do lines[#lines + 1] = (line:gsub("\r", "")) end
  local i = 0
  return {
    receive = function()
      i = i + 1
      if script and script[i] then return support.unpack(script[i]) end
      if lines[1] == nil then return nil, "closed" end
      return table.remove(lines, 1)
    end,
  }
end

describe("smtpcodes.reader", function()
  for name, codes in pairs(STREAMS) do
    describe(name, function()
      local stream = support.read(DIR .. name)
      local whole = {}
      for _, bytes in ipairs(split(stream)) do
        whole[#whole + 1] = fields(assert(sc.parse(bytes)))
      end

      it("is read reply by reply, as parse reads each reply whole", function()
        local got = feed(stream, function() return #stream end)
        assert.are.same(whole, got)
        local list = {}
        for i, r in ipairs(got) do list[i] = r.code end
        assert.are.same(codes, list)
      end)

      it("gives the same replies byte by byte", function()
        assert.are.same(whole, feed(stream, function() return 1 end))
      end)

      it("gives the same replies for any split into chunks", function()
        math.randomseed(#stream)
        for _ = 1, 50 do
          local max = math.random(1, 64)
          assert.are.same(whole, feed(stream, function() return math.random(1, max) end))
        end
      end)

      it("gives the same codes, enhanced codes and lines through receive", function()
        local reader, sock = sc.reader(), fake_socket(stream)
        for _, want in ipairs(whole) do
          local r, err = reader:receive(sock)
          assert.is_table(r, err)
          assert.are.same({ want.code, want.enhanced, want.lines },
            { r.code, r.enhanced, r.lines })
        end
        assert.are.same({ nil, "closed" }, { reader:receive(sock) })
      end)
    end)
  end

  it("reads generated pipelined replies in random chunks", function()
    math.randomseed(7)
    local words = { "ok", "mail.example.com", "250-x", "5.1.1", "text", "(#4.2.2)", "", "  " }
    for _ = 1, 200 do
      local stream, want = {}, {}
      for _ = 1, math.random(1, 8) do
        local code = math.random(2, 5) * 100 + math.random(0, 5) * 10 + math.random(0, 9)
        local enh = math.floor(code / 100) ~= 3 and math.random() < 0.5 and
          ("%d.%d.%d"):format(math.floor(code / 100), math.random(0, 7), math.random(0, 30)) or nil
        local lines = {}
        for l = 1, math.random(1, 5) do
          local text = words[math.random(#words)] .. " " .. words[math.random(#words)]
          text = text:gsub("^%s+", ""):gsub("%s+$", "")
          if text:find("^[245]%.%d") then text = "x" .. text end
          lines[l] = text
        end
        for l, text in ipairs(lines) do
          local sep = l == #lines and " " or "-"
          stream[#stream + 1] = code .. sep .. (enh and enh .. " " or "") .. text .. "\r\n"
        end
        want[#want + 1] = { code = code, enhanced = enh, lines = lines,
          text = table.concat(lines, "\n"), warnings = {} }
      end
      stream = table.concat(stream)
      assert.are.same(want, feed(stream, function() return math.random(1, 40) end))
    end
  end)

  describe("is bounded", function()
    it("refuses a line that never ends as soon as it crosses max_line", function()
      local reader = sc.reader { max_line = 4096 }
      for i = 1, 4 do
        assert.are.same({}, reader:feed(("x"):rep(1000)))
        assert.are.equal(1000 * i, reader:buffered())
      end
      local out, err = reader:feed(("x"):rep(1000))
      assert.is_nil(out)
      assert.are.equal("line 1: line longer than 4096 octets (max_line)", err)
      assert.are.equal(0, reader:buffered())
    end)

    it("refuses a reply that never ends as soon as it crosses max_lines", function()
      local reader = sc.reader { max_lines = 10 }
      for _ = 1, 10 do assert.are.same({}, reader:feed("250-more\r\n")) end
      local out, err = reader:feed("250-more\r\n")
      assert.is_nil(out)
      assert.are.equal("line 11: more than 10 lines in one reply (max_lines)", err)
    end)

    it("counts the open line across chunks that end lines", function()
      local reader = sc.reader { max_line = 10 }
      assert.are.same({}, reader:feed("250-a\r\n250-bbbbb"))
      local out, err = reader:feed("bbbbbbbbbb")
      assert.is_nil(out)
      assert.matches("max_line", err)
    end)

    it("bounds receive too", function()
      local reader = sc.reader { max_line = 10, max_lines = 3 }
      local r, err = reader:receive(fake_socket("250 " .. ("x"):rep(20) .. "\n"))
      assert.is_nil(r)
      assert.are.equal("line 1: line longer than 10 octets (max_line)", err)
      reader:reset()
      r, err = reader:receive(fake_socket(("250-a\n"):rep(5)))
      assert.is_nil(r)
      assert.are.equal("line 4: more than 3 lines in one reply (max_lines)", err)
    end)
  end)

  describe("after an error", function()
    it("keeps saying so until reset, and never resynchronises", function()
      local reader = sc.reader()
      local out, err, before = reader:feed("250 ok\r\nxyz\r\n250 fine\r\n")
      assert.is_nil(out)
      assert.are.equal("line 1: no reply code: 'xyz'", err)
      assert.are.equal(1, #before)
      assert.are.equal(250, before[1].code)
      assert.are.same({ nil, err, {} }, { reader:feed("250 ok\r\n") })
      assert.are.same({ nil, err }, { reader:receive(fake_socket("250 ok\n")) })
      assert.are.same({ nil, err }, { reader:finish() })
      reader:reset()
      assert.are.equal(250, reader:feed("250 ok\r\n")[1].code)
    end)
  end)

  describe("in strict mode", function()
    it("refuses what lenient mode forgives", function()
      local out, err = sc.reader({ strict = true }):feed("250 ok\n")
      assert.is_nil(out)
      assert.are.equal("line 1: line ends in LF without CR", err)
      assert.are.equal(250, sc.reader():feed("250 ok\n")[1].code)
    end)
  end)

  describe("finish", function()
    it("returns a final reply that lacks its line end", function()
      local reader = sc.reader()
      assert.are.same({}, reader:feed("250 ok"))
      local r = reader:finish()
      assert.are.equal(250, r.code)
      assert.are.same({ "line 1: the final line has no line end" }, { support.unpack(r.warnings) })
      assert.is_nil(reader:finish())
    end)

    it("reports an unfinished reply", function()
      local reader = sc.reader()
      reader:feed("250-more\r\n")
      assert.are.same({ nil, "line 1: incomplete reply: no final line after this one" },
        { reader:finish() })
    end)
  end)

  describe("receive", function()
    it("returns the socket's own error and goes on after a timeout", function()
      local reader = sc.reader()
      local sock = fake_socket("250 b\n", {
        [1] = { nil, "timeout", "250-" },
        [2] = { nil, "timeout", "" },
        [3] = { "a" },
      })
      assert.are.same({ nil, "timeout" }, { reader:receive(sock) })
      assert.are.same({ nil, "timeout" }, { reader:receive(sock) })
      assert.are.equal(4, reader:buffered())
      local r = assert(reader:receive(sock))
      assert.are.same({ "a", "b" }, r.lines)
    end)

    it("keeps the lines read before a timeout", function()
      local reader = sc.reader()
      local sock = fake_socket("250-a\n250 b\n", { [2] = { nil, "timeout" } })
      assert.are.same({ nil, "timeout" }, { reader:receive(sock) })
      local r = assert(reader:receive(sock))
      assert.are.same({ "a", "b" }, r.lines)
    end)

    it("survives a socket that returns junk", function()
      local reader = sc.reader()
      local r, err = reader:receive({ receive = function() return 42 end })
      assert.is_nil(r)
      assert.are.equal("receive returned a number", err)
      r, err = sc.reader():receive({ receive = function() return nil, {} end })
      assert.is_nil(r)
      assert.are.equal("receive failed", err)
    end)

    it("raises for something that is not a socket", function()
      assert.has_error(function() sc.reader():receive(42) end,
        "bad argument #1 to 'receive' (socket expected, got number)")
    end)
  end)

  it("raises for bad arguments", function()
    assert.has_error(function() sc.reader():feed(nil) end,
      "bad argument #1 to 'feed' (string expected, got nil)")
    assert.has_error(function() sc.reader(5) end,
      "bad argument #1 to 'reader' (table expected, got number)")
    assert.has_error(function() sc.reader { max_lines = -1 } end,
      "bad argument #1 to 'reader' (opts.max_lines must be a positive integer)")
  end)
end)

-- The reader is one incremental state machine: for any stream (valid, sloppy
-- or hostile) and any chunking, feeding gives exactly what parsing each reply
-- whole gives, errors included, at the same line; receive shares its state;
-- and what it holds and allocates stays within the bounds.
local support = require("spec.support")
local sc = require("smtpcodes")

local function fields(r)
  return { code = r.code, enhanced = r.enhanced, lines = r.lines, text = r.text,
    class = r.class, category = r.category, warnings = { support.unpack(r.warnings) } }
end

-- Pieces of replies: codes (valid, odd and hostile), separators, texts, ends.
local CODES = { "250", "250", "550", "451", "354", "221", "571", "999", "25x", "abc", "050" }
local TEXTS = { "ok", "5.1.1 No such user", "2.0.0 queued as X", "", " spaced  ", "4.7.1 later",
  "\0nul", "\255\254", "2.1.0", "5.7.1 a", "tab\there", "x" }
local ENDS = { "\r\n", "\r\n", "\r\n", "\n" }

-- One reply: maybe some empty lines, inner lines ("xyz-..."), then a line
-- that ends it (anything whose 4th byte is not "-"). Returns its bytes.
local function random_reply()
  local t = {}
  for _ = 1, math.random(0, 3) == 0 and math.random(1, 2) or 0 do
    t[#t + 1] = ENDS[math.random(#ENDS)]
  end
  local code = CODES[math.random(#CODES)]
  local inner = math.random(0, 4)
  for _ = 1, inner do
    local c = math.random() < 0.9 and code or CODES[math.random(#CODES)]
    t[#t + 1] = c .. "-" .. TEXTS[math.random(#TEXTS)] .. ENDS[math.random(#ENDS)]
  end
  local last = math.random(10)
  if last == 1 then
    t[#t + 1] = code .. ENDS[math.random(#ENDS)]                   -- bare code
  elseif last == 2 then
    t[#t + 1] = "junk" .. ENDS[math.random(#ENDS)]                 -- no code at all
  elseif last == 3 and inner > 0 then
    t[#t + 1] = ENDS[1]                                           -- empty line inside
  elseif last == 4 then
    t[#t + 1] = code .. " " .. ("y"):rep(math.random(20, 60)) .. ENDS[1] -- maybe too long
  else
    t[#t + 1] = code .. " " .. TEXTS[math.random(#TEXTS)] .. ENDS[math.random(#ENDS)]
  end
  return table.concat(t)
end

-- What parsing each reply whole gives: the replies, then the first error.
-- (Line ends alone at the end of a stream are no reply: finish gives nil.)
local function expected(replies, opts)
  local out = {}
  for i, bytes in ipairs(replies) do
    if i == #replies and not bytes:find("[^\r\n]") then return out end
    local r, err = sc.parse(bytes, opts)
    if not r then return out, err end
    out[#out + 1] = fields(r)
  end
  return out
end

-- What a reader gives for the stream in random chunks, and finish.
local function fed(stream, opts, maxchunk)
  local reader, out, pos = sc.reader(opts), {}, 1
  while pos <= #stream do
    local n = math.random(1, maxchunk)
    local got, err, before = reader:feed(stream:sub(pos, pos + n - 1))
    for _, r in ipairs(got or before) do out[#out + 1] = fields(r) end
    if not got then return out, err end
    pos = pos + n
  end
  local r, err = reader:finish()
  if r then out[#out + 1] = fields(r) end
  return out, err
end

describe("a reader, for random streams and random chunkings", function()
  local OPTS = { {}, { strict = true }, { max_line = 30, max_lines = 4 } }

  it("gives exactly what parsing each reply whole gives, errors included", function()
    math.randomseed(20)
    for case = 1, support.cases(1500) do
      local replies = {}
      for i = 1, math.random(1, 6) do replies[i] = random_reply() end
      -- the last reply may be cut short: finish() must then say the same
      if math.random(4) == 1 then
        local last = replies[#replies]
        replies[#replies] = last:sub(1, math.random(1, #last))
      end
      local stream = table.concat(replies)
      for _, opts in ipairs(OPTS) do
        local want, werr = expected(replies, opts)
        for _, maxchunk in ipairs { 1, 3, 17, 4096 } do
          local got, gerr = fed(stream, opts, maxchunk)
          local what = ("case %d %s chunks <= %d: %s"):format(case, support.quote_opts(opts),
            maxchunk, support.quote(stream, 200))
          assert.are.same(want, got, what)
          assert.are.equal(werr, gerr, what)
        end
      end
    end
  end)
end)

describe("a reader (regressions)", function()
  it("never counts the line end in a line's length, wherever a chunk splits it", function()
    for _, chunks in ipairs { { "250 abcdef\r\n" }, { "250 abcdef\r", "\n" },
      { "250 abcdef", "\r", "\n" }, { "250 abc", "def\r", "\n" } } do
      local reader = sc.reader { max_line = 10 }
      local got = {}
      for _, c in ipairs(chunks) do
        local out, err = reader:feed(c)
        assert.is_table(out, err)
        for _, r in ipairs(out) do got[#got + 1] = r.text end
      end
      assert.are.same({ "abcdef" }, got)
    end
    local reader = sc.reader { max_line = 10 }
    local out, err = reader:feed("250 abcdefg\r")
    assert.is_nil(out)
    assert.are.equal("line 1: line longer than 10 octets (max_line)", err)
  end)

  it("counts empty lines toward the bounds: 10 MB of CRLF is refused, never held", function()
    local reader = sc.reader()
    local chunk = ("\r\n"):rep(2048)
    local out, err
    local most = 0
    for _ = 1, 2560 do -- 10 MiB in 4 KiB chunks
      out, err = reader:feed(chunk)
      most = math.max(most, reader:buffered())
      if not out then break end
    end
    assert.is_nil(out)
    assert.are.equal("line 257: more than 256 lines in one reply (max_lines)", err)
    assert.is_true(most <= 4096 * 256)
    -- and in one piece
    out, err = sc.reader():feed(("\r\n"):rep(5 * 2 ^ 20))
    assert.is_nil(out)
    assert.are.equal("line 257: more than 256 lines in one reply (max_lines)", err)
  end)

  it("never holds more than about max_line * max_lines bytes", function()
    local reader = sc.reader { max_line = 100, max_lines = 10 }
    local most = 0
    for _ = 1, 200 do
      local out = reader:feed("250-" .. ("x"):rep(90) .. "\r\n")
      most = math.max(most, reader:buffered())
      if not out then break end
    end
    assert.is_true(most <= 102 * 10, most)
  end)

  it("allocates in proportion to the bytes fed, whatever the chunking", function()
    local line = "250-" .. ("x"):rep(250) .. "\r\n"
    local reply = line:rep(4095) .. "250 end\r\n" -- about 1 MiB
    local opts = { max_line = 300, max_lines = 4096 }
    local function allocated(size)
      local reader = sc.reader(opts)
      local chunks = {}
      for i = 1, #reply, size do chunks[#chunks + 1] = reply:sub(i, i + size - 1) end
      collectgarbage("collect")
      collectgarbage("stop")
      local before = collectgarbage("count")
      local n = 0
      for _, c in ipairs(chunks) do n = n + #assert(reader:feed(c)) end
      local kb = collectgarbage("count") - before
      collectgarbage("restart")
      assert.are.equal(1, n)
      return kb
    end
    local whole, small = allocated(#reply), allocated(100)
    -- one copy of the reply while it is held, one to scan, and the reply:
    -- not one per chunk
    assert.is_true(small < 4 * whole + 2048, ("%.0f KiB vs %.0f KiB"):format(small, whole))
  end)

  it("gives back the memory of a long reply once it is complete, refused or reset", function()
    local body = ("250-" .. ("x"):rep(250) .. "\r\n"):rep(4095)
    -- what the reader keeps after feeding `bytes` in 4 KiB chunks, then
    -- calling `after` on it, in KiB
    local function kept(bytes, after)
      local reader = sc.reader { max_line = 300, max_lines = 4096 }
      collectgarbage("collect")
      local before = collectgarbage("count")
      local n = 0
      for i = 1, #bytes, 4096 do
        local out, _, done = reader:feed(bytes:sub(i, i + 4095))
        n = n + #(out or done)
      end
      if after then after(reader) end
      collectgarbage("collect")
      collectgarbage("collect")
      return collectgarbage("count") - before, n, reader
    end
    local grew, n = kept(body .. "250 end\r\n")
    assert.are.equal(1, n)
    assert.is_true(grew < 64, ("complete: %.0f KiB kept"):format(grew))
    local reader
    grew, n, reader = kept(body .. "\r\n")
    assert.are.equal(0, n)
    assert.are.equal("line 4096: empty line inside a multi-line reply", reader.err)
    assert.is_true(grew < 64, ("refused: %.0f KiB kept"):format(grew))
    grew = kept(body, function(r)
      assert.are.equal(#body, r:buffered())
      r:reset()
    end)
    assert.is_true(grew < 64, ("reset: %.0f KiB kept"):format(grew))
  end)

  it("gives, from finish, a final reply that receive read before the peer closed", function()
    local lines = { { nil, "closed", "221 bye" } }
    local sock = { receive = function() return support.unpack(table.remove(lines, 1)) end }
    local reader = sc.reader()
    local r, err = reader:receive(sock)
    assert.is_nil(r)
    assert.are.equal("closed", err)
    assert.are.equal(7, reader:buffered())
    local last = assert(reader:finish())
    assert.are.equal(221, last.code)
    assert.are.equal("bye", last.text)
  end)

  it("shares its state between receive and feed, and buffered() is exact", function()
    local lines = { { "250-a" }, { nil, "timeout", "250-" }, { "b" }, { nil, "timeout" } }
    local sock = { receive = function() return support.unpack(table.remove(lines, 1)) end }
    local reader = sc.reader()
    assert.are.same({ nil, "timeout" }, { reader:receive(sock) })
    assert.are.equal(#"250-a\r\n" + 4, reader:buffered())
    assert.are.same({ nil, "timeout" }, { reader:receive(sock) })
    assert.are.equal(#"250-a\r\n250-b\r\n", reader:buffered())
    local out = assert(reader:feed("250 c\r\n"))
    assert.are.same({ "a", "b", "c" }, out[1].lines)
    assert.are.equal(0, reader:buffered())
  end)

  it("reads 250 ok\\r as parse reads 250 ok\\r\\n", function()
    assert.are.equal(sc.parse("250 ok\r\n").text, sc.parse("250 ok\r").text)
    local reader = sc.reader()
    assert.are.same({}, reader:feed("250 ok\r"))
    assert.are.equal("ok", reader:finish().text)
  end)
end)

describe("a reader's empty result", function()
  it("is one shared list, which raises when modified", function()
    local reader = sc.reader()
    local a, b = reader:feed("250-x"), reader:feed("\r\n")
    assert.are.equal(a, b)
    assert.are.equal(0, #a)
    assert.are.equal(sc.reader().EMPTY, a)
    assert.has_error(function() a[1] = "x" end,
      "the empty list that reader:feed returns is shared: do not modify it")
    local out = reader:feed("250 y\r\n")
    assert.are_not.equal(a, out)
    assert.are.same({ "x", "y" }, out[1].lines)
  end)
end)

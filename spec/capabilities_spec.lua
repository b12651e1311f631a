local sc = require("smtpcodes")
local support = require("spec.support")

describe("smtpcodes.capabilities", function()
  it("reads the EHLO reply OpenSMTPD sent", function()
    local reader = sc.reader()
    local replies = reader:feed(support.read("spec/fixtures/replies/opensmtpd-session.txt"))
    local caps = assert(sc.capabilities(replies[2]))
    assert.are.equal("fixture.example", caps.domain)
    assert.are.equal("Hello client.example [127.0.0.1], pleased to meet you", caps.greeting)
    assert.are.equal(10240, caps.SIZE)
    assert.is_true(caps["8BITMIME"])
    assert.is_true(caps.ENHANCEDSTATUSCODES)
    assert.is_true(caps.DSN)
    assert.is_true(caps.HELP)
    assert.is_nil(caps.PIPELINING)
    assert.is_nil(caps.STARTTLS)
  end)

  it("reads keywords and mechanisms case-insensitively, the old AUTH= form merged", function()
    local caps = assert(sc.capabilities(
      "250-mx.example.com at your service\r\n250-pipelining\r\n250-Size 35882577\r\n"
      .. "250-AUTH login PLAIN xoauth2\r\n250-AUTH=LOGIN CRAM-MD5\r\n250-STARTTLS\r\n"
      .. "250-8BITMIME\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n250-DSN\r\n"
      .. "250-ENHANCEDSTATUSCODES\r\n250-X-VENDOR-THING a b\r\n250 BINARYMIME\r\n"))
    assert.is_true(caps.PIPELINING)
    assert.are.equal(35882577, caps.SIZE)
    assert.are.same({ "LOGIN", "PLAIN", "XOAUTH2", "CRAM-MD5" }, caps.AUTH)
    for _, k in ipairs { "STARTTLS", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN",
      "ENHANCEDSTATUSCODES", "BINARYMIME" } do
      assert.is_true(caps[k], k)
    end
    assert.are.same({ "a", "b" }, caps["X-VENDOR-THING"])
    assert.are.equal("mx.example.com", caps.domain)
  end)

  it("never finds a keyword by searching the text", function()
    local caps = assert(sc.capabilities(
      "250-mx.example.com PIPELINING STARTTLS welcome\r\n250-HELP me with SIZE 10\r\n250 DSN\r\n"))
    assert.is_nil(caps.PIPELINING)
    assert.is_nil(caps.STARTTLS)
    assert.is_nil(caps.SIZE)
    assert.are.same({ "me", "with", "SIZE", "10" }, caps.HELP)
  end)

  it("reads SIZE without a number as no limit, and skips malformed keywords", function()
    local caps = assert(sc.capabilities("250-x\r\n250-SIZE\r\n250-%%%\r\n250 -BAD\r\n"))
    assert.are.equal(0, caps.SIZE)
    assert.is_nil(caps["%%%"])
    assert.is_nil(caps["-BAD"])
  end)

  it("gives only the domain for a one-line reply", function()
    local caps = assert(sc.capabilities(sc.parse("250 mx.example.com\r\n")))
    assert.are.same({ domain = "mx.example.com", greeting = "" }, caps)
  end)

  it("returns nil and a message for a refused EHLO or malformed text", function()
    assert.are.same({ nil, "not a successful EHLO reply: code '502'" },
      { sc.capabilities("502 5.5.1 EHLO not implemented\r\n") })
    local caps, err = sc.capabilities("garbage")
    assert.is_nil(caps)
    assert.matches("no reply code", err)
  end)

  it("raises for a wrong argument", function()
    assert.has_error(function() sc.capabilities(nil) end,
      "bad argument #1 to 'capabilities' (table or string expected, got nil)")
    assert.has_error(function() sc.capabilities({}) end,
      "bad argument #1 to 'capabilities' (Reply expected)")
  end)
end)

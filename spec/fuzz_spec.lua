-- Replays the fuzz regressions (spec/fixtures/fuzz) and every reply fixture
-- through parse and the reader, in every mode and under tiny bounds: none
-- may raise, and the stream must be consumed reply by reply.
local sc = require("smtpcodes")
local support = require("spec.support")

local files = support.files

local inputs = files("spec/fixtures/fuzz/")
for _, f in ipairs(files("spec/fixtures/replies/")) do inputs[#inputs + 1] = f end

describe("fuzz regressions and fixtures", function()
  it("exist", function()
    assert.is_true(#inputs > 10)
  end)

  for _, path in ipairs(inputs) do
    it("never make parse or the reader raise: " .. path, function()
      local bytes = support.read(path)
      for _, opts in ipairs { {}, { strict = true }, { max_line = 8, max_lines = 2 },
        { strict = true, max_line = 16, max_lines = 4 } } do
        local r, err = sc.parse(bytes, opts)
        assert.is_true(r ~= nil or type(err) == "string")
        for _, size in ipairs { 1, 2, 3, 7, #bytes + 1 } do
          local reader = sc.reader(opts)
          for i = 1, #bytes, size do
            local out, ferr = reader:feed(bytes:sub(i, i + size - 1))
            assert.is_true(out ~= nil or type(ferr) == "string")
          end
          local fr, ferr = reader:finish()
          assert.is_true(fr == nil or type(fr) == "table", ferr)
        end
      end
    end)
  end
end)

-- tools/deps.sh, which make run and make test call first: it passes when the
-- packages are there, and without root it prints the apt-get line to run.
local support = require("spec.support")

describe("tools/deps.sh", function()
  it("passes at once when every package is installed", function()
    local out, err, status = support.run("sh tools/deps.sh lua5.4 dpkg")
    assert.are.equal(0, status, err)
    assert.are.equal("", out .. err)
  end)

  it("prints the exact apt-get line and fails when it is not root", function()
    -- "hello" (GNU hello) is not among the packages smtpcodes needs
    local _, err, status = support.run("setpriv --reuid=nobody --regid=nogroup --clear-groups "
      .. "sh tools/deps.sh lua5.4 hello")
    assert.are.equal(1, status)
    assert.matches("smtpcodes needs these Debian packages: hello\n", err, 1, true)
    assert.matches("install them with: sudo apt-get install -y hello\n", err, 1, true)
  end)
end)

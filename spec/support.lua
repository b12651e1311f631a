-- Helpers shared by the specs. Paths are relative to the repository root,
-- where busted runs.
local M = {}

-- What differs between Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT, for the specs.
-- luacheck: push ignore 143 113
M.unpack = table.unpack or unpack
-- luacheck: pop
M.int = require("smtpcodes.util").tointeger
M.MAXINT = 2 ^ 53 -- the largest integer every version holds exactly

-- How many random cases the property specs try, as a share of their
-- default: `make valgrind` runs the suite ten times slower, with SPEC_SCALE=0.1.
M.SCALE = tonumber(os.getenv("SPEC_SCALE") or "") or 1

function M.cases(n)
  return math.max(1, math.ceil(n * M.SCALE))
end

-- Number of UTF-8 characters in s.
function M.ulen(s)
  return #s:gsub("[\128-\191]", "")
end

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Rows of a tab-separated file as lists of fields; '#' comments, blank
-- lines and (with header = true) the first row are skipped.
function M.tsv(path, header)
  local rows, first = {}, header
  for line in (M.read(path) .. "\n"):gmatch("(.-)\r?\n") do
    if first then
      first = false
    elseif line ~= "" and not line:find("^#") then
      local fields = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
      rows[#rows + 1] = fields
    end
  end
  return rows
end

-- A set (value --> true) of the values of a list.
function M.set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- Sorted list of the keys of a set.
function M.keys(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list, function(a, b) return tostring(a) < tostring(b) end)
  return list
end

-- Random text of min to max characters drawn from `chars`, without white
-- space at either end, and never starting like an enhanced status code
-- (which a parser would rightly take as one).
function M.random_text(chars, min, max)
  local t = {}
  for i = 1, math.random(min, max) do
    local k = math.random(#chars)
    t[i] = chars:sub(k, k)
  end
  local text = table.concat(t):gsub("^%s+", ""):gsub("%s+$", "")
  if text:find("^[245]%.%d") then text = "x" .. text end
  return text
end

-- The chunk of Lua source src, with the environment env, on every version.
function M.load(src, name, env)
  -- luacheck: push ignore 143 113
  if setfenv then
    local chunk, err = loadstring(src, name)
    if chunk then setfenv(chunk, env) end
    return chunk, err
  end
  -- luacheck: pop
  return load(src, name, "t", env)
end

-- Text made safe to show in a test name or message.
M.quote = require("smtpcodes.util").quote

-- A short, stable description of an options table.
function M.quote_opts(o)
  local keys = {}
  for k in pairs(o) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do keys[i] = k .. "=" .. tostring(o[k]) end
  return "{" .. table.concat(keys, ",") .. "}"
end

-- A value quoted for the shell.
function M.shq(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The interpreter running the specs: busted is started as `lua5.x busted`,
-- so it is the first word of the command line, arg's lowest index.
local function interpreter()
  local i = 0
  while arg and arg[i - 1] do i = i - 1 end
  if i < 0 then return arg[i] end
  local p = io.popen("readlink /proc/$PPID/exe")
  local exe = p and p:read("*l")
  if p then p:close() end
  return exe or "lua"
end
M.LUA = interpreter()
-- Its name as the build directory has it: lua5.1 ... lua5.4, luajit.
M.LUANAME = M.LUA:match("([^/]+)$")

-- Environment prefix that makes a child interpreter find this checkout (and
-- the build this run uses): the paths of this process.
M.ENV = ("LUA_PATH=%s LUA_CPATH=%s "):format(M.shq(package.path), M.shq(package.cpath))

-- os.execute as a boolean on every version (5.1 and LuaJIT return the
-- status, 0 on success).
function M.execute(cmd)
  local ok = os.execute(cmd)
  return ok == true or ok == 0
end

-- The .txt files of a folder of the repository ("spec/fixtures/fuzz/"), as
-- paths, sorted.
function M.files(dir)
  local list = {}
  for name in M.run("ls " .. dir):gmatch("[^\n]+") do
    if name:find("%.txt$") then list[#list + 1] = dir .. name end
  end
  return list
end

-- Copies the source tree (without .git and build/) into dir; true on success.
function M.copy_source(dir)
  return M.execute(("mkdir -p %s && tar -cf - --exclude=./.git --exclude=./build "
    .. "--exclude=./smtpcodes --exclude='*.o' . | tar -C %s -xf -"):format(M.shq(dir), M.shq(dir)))
end

-- Runs a shell command; returns its standard output, standard error and
-- exit status.
function M.run(cmd)
  local errfile = os.tmpname()
  -- the status is printed last: io.popen's close gives it only from 5.2 on
  local p = assert(io.popen("(" .. cmd .. ") 2>" .. errfile .. "; echo \"<status $?>\"", "r"))
  local out = p:read("*a")
  p:close()
  local status
  out, status = out:match("^(.*)<status (%d+)>\n$")
  local err = M.read(errfile)
  os.remove(errfile)
  return out, err, tonumber(status)
end

return M

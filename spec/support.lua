-- Helpers shared by the specs. Paths are relative to the repository root,
-- where busted runs.
local M = {}

function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
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

-- Environment prefix that makes a child lua5.4 find this checkout.
M.ENV = "LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/?.so;;' "

-- Runs a shell command; returns its standard output, standard error and
-- exit status.
function M.run(cmd)
  local errfile = os.tmpname()
  local p = assert(io.popen(cmd .. " 2>" .. errfile, "r"))
  local out = p:read("a")
  local _, _, status = p:close()
  local err = M.read(errfile)
  os.remove(errfile)
  return out, err, status
end

return M

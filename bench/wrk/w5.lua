-- W5: a mix in a fixed rotation of 20 requests: 7 W1, 7 W3 (70%), 4 W2 (20%), 2 W4 (10%).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local pattern = { 1, 3, 2, 1, 3, 4, 1, 3, 2, 1, 3, 1, 3, 2, 1, 3, 4, 1, 3, 2 }
local reqs = {}
local n = 0
function init(args)
  reqs[1], reqs[2], reqs[3] = fixed(D.w1), fixed(D.w2), fixed(D.w3)
  n = (tid or 0) * 7
end
function request()
  local w = pattern[(n % #pattern) + 1]
  n = n + 1
  if w == 4 then
    return w4_request()
  end
  return reqs[w]
end

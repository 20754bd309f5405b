-- W2: the same request over and over (bodies: see bench/README.md).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local req
function init(args)
  req = fixed(D.w2)
end
function request()
  return req
end

-- W4: recordRagUpdate over the plan's W4 actions, each request the next action.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
function request()
  return w4_request()
end

-- wrk script: POST a rotating set of JSON bodies, one per line of the file named by BODIES.
local bodies = {}
local n = 0
local i = 0

function init(args)
  local file = os.getenv("BODIES")
  for line in io.lines(file) do
    if #line > 0 then
      n = n + 1
      bodies[n] = line
    end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  i = (i % n) + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

function response(status, headers, body)
  if status ~= 200 then
    wrk.thread:stop()
  end
end

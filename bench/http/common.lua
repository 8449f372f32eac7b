-- SPDX-License-Identifier: MIT
-- Shared by the wrk scripts: arguments after `--` are
--   AUTH_HEADER_VALUE BASE_PATH IDS_FILE [RUN_TAG]
-- Every request carries its headers in the table given to wrk.format, since that table
-- replaces the -H headers.
local M = {}

function M.init(args)
   M.auth = args[1]
   M.base = args[2]
   M.ids, M.indexes = {}, {}
   if args[3] and args[3] ~= "-" then
      for line in io.lines(args[3]) do
         local index, id = line:match("^(%d+)\t(%S+)$")
         if id then
            M.ids[#M.ids + 1] = id
            M.indexes[#M.indexes + 1] = tonumber(index)
         end
      end
   end
   M.tag = args[4] or "r"
   math.randomseed(os.time() + (M.thread_id or 0) * 7919)
end

function M.headers(with_body)
   local h = { ["Authorization"] = M.auth, ["Accept"] = "application/scim+json" }
   if with_body then h["Content-Type"] = "application/scim+json" end
   return h
end

function M.pick()
   local k = math.random(#M.ids)
   return M.ids[k], M.indexes[k]
end

-- wrk calls this global after the run: one machine-readable line after its report
-- (requests/s, p50 ms, p99 ms, requests, errors incl. non-2xx answers).
function done(summary, latency, requests)
   local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
   io.write(string.format("BENCH\t%.1f\t%.3f\t%.3f\t%d\t%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
      summary.requests, errors))
end

return M

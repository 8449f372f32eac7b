-- SPDX-License-Identifier: MIT
-- POST /Users of new users, unique per run (RUN_TAG), per wrk thread and per request.
-- With a 5th argument "password", each user carries a password (hashed with yescrypt).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local c = require("common")
local counter = 0
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("thread_id", threads)
end

function init(args)
   c.thread_id = thread_id
   c.init(args)
   with_password = args[5] == "password"
end

function request()
   counter = counter + 1
   local name = string.format("%sr%st%dn%d@bench.example", c.tag, os.getenv("BENCH_REP") or "0",
                              thread_id or 0, counter)
   local pw = with_password and ',"password":"Bench-pw-' .. counter .. '-x9!"' or ""
   local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"'
      .. name .. '","active":true,"name":{"givenName":"Bench","familyName":"Post"},'
      .. '"roles":[{"value":"role' .. string.format("%02d", counter % 50) .. '"}]' .. pw .. '}'
   return wrk.format("POST", c.base .. "/Users", c.headers(true), body)
end

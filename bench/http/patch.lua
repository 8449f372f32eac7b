-- SPDX-License-Identifier: MIT
-- PATCH active of random loaded users, alternating false and true per thread.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local c = require("common")
local flip = false
function init(args) c.init(args) end
function request()
   flip = not flip
   local id = c.pick()
   local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
      .. '"Operations":[{"op":"replace","path":"active","value":' .. tostring(not flip) .. '}]}'
   return wrk.format("PATCH", c.base .. "/Users/" .. id, c.headers(true), body)
end

-- SPDX-License-Identifier: MIT
-- GET /Users/{id} of random loaded users.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local c = require("common")
function init(args) c.init(args) end
function request()
   local id = c.pick()
   return wrk.format("GET", c.base .. "/Users/" .. id, c.headers(false))
end

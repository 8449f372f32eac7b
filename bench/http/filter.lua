-- SPDX-License-Identifier: MIT
-- GET /Users?filter=userName eq "..." for random loaded users.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
local c = require("common")
function init(args) c.init(args) end
function request()
   local _, index = c.pick()
   local path = string.format("%s/Users?filter=userName%%20eq%%20%%22user%06d%%40bench.example%%22",
                              c.base, index)
   return wrk.format("GET", path, c.headers(false))
end

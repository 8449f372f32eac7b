-- SPDX-License-Identifier: MIT
-- nginx: GET of the same user JSON as a static file (args: PATH).
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:match("@(.*/)") .. "?.lua"
require("common")
function init(args) path = args[1] end
function request()
   return wrk.format("GET", path, { ["Accept"] = "application/scim+json" })
end

// The peer: a minimal in-memory SCIM 2.0 server from scimmy + scimmy-routers + express,
// as a Node.js shop would write one. Users live in a Map (nothing on disk), with a
// userName index so `filter=userName eq "..."` is a lookup, not a scan.
//   node server.js PORT TOKEN      (prints "listening on http://127.0.0.1:PORT/scim/v2")
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const [port, token] = [Number(process.argv[2] || 0), process.argv[3] || "bench"];
const users = new Map();   // id -> stored user
const byName = new Map();  // lower-case userName -> id

function userNameEq(filter) {
    // scimmy parses the filter into [{userName: ["eq", value]}] for the simple case.
    if (!Array.isArray(filter) || filter.length !== 1) return undefined;
    const keys = Object.keys(filter[0]);
    if (keys.length !== 1 || keys[0].toLowerCase() !== "username") return undefined;
    const [op, value] = filter[0][keys[0]];
    return op === "eq" ? String(value).toLowerCase() : undefined;
}

SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, data) => {
        const name = String(data.userName).toLowerCase();
        if (resource.id) {
            const old = users.get(resource.id);
            if (!old) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            const other = byName.get(name);
            if (other && other !== resource.id) throw new SCIMMY.Types.Error(409, "uniqueness", "userName taken");
            byName.delete(String(old.userName).toLowerCase());
            const user = {...data, id: resource.id,
                          meta: {...old.meta, lastModified: new Date().toISOString()}};
            users.set(resource.id, user);
            byName.set(name, resource.id);
            return user;
        }
        if (byName.has(name)) throw new SCIMMY.Types.Error(409, "uniqueness", "userName taken");
        const now = new Date().toISOString();
        const user = {...data, id: crypto.randomUUID(), meta: {created: now, lastModified: now}};
        users.set(user.id, user);
        byName.set(name, user.id);
        return user;
    })
    .egress((resource) => {
        if (resource.id) {
            const user = users.get(resource.id);
            if (!user) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
            return user;
        }
        const eq = userNameEq(resource.filter);
        if (eq !== undefined) {
            const id = byName.get(eq);
            return id ? [users.get(id)] : [];
        }
        const all = [...users.values()];
        return resource.filter ? resource.filter.match(all) : all;
    })
    .degress((resource) => {
        const user = users.get(resource.id);
        if (!user) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        users.delete(resource.id);
        byName.delete(String(user.userName).toLowerCase());
    });

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("Unauthorized");
        return "bench";
    },
}));
const server = app.listen(port, "127.0.0.1", () => {
    console.error(`listening on http://127.0.0.1:${server.address().port}/scim/v2`);
});

/* SPDX-License-Identifier: MIT */
#include "scim_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '@' || c == '+' || c == '-';
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -EINVAL;
}

int scim_name_validate(const char *name, size_t max_len, const char **why)
{
    if (max_len == 0)
        max_len = SCIM_NAME_MAX_DEFAULT;
    if (max_len > SCIM_NAME_MAX_LIMIT)
        max_len = SCIM_NAME_MAX_LIMIT;
    if (!name || name[0] == '\0')
        return fail(why, "name is empty");
    size_t len = strnlen(name, max_len + 1);
    if (len > max_len)
        return fail(why, "name is too long");
    bool all_digits = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 'A' && c <= 'Z')
            return fail(why, "name contains upper-case letters");
        if (!is_name_char(c))
            return fail(why, "name contains a character outside a-z 0-9 _ . @ + -");
        if (c < '0' || c > '9')
            all_digits = false;
    }
    if (strchr("-+.@", name[0]))
        return fail(why, "name starts with '-', '+', '.' or '@'");
    if (all_digits)
        return fail(why, "name is all digits");
    return 0;
}

/* Kept sorted (strcmp order) and unique for bsearch; a unit test checks both. Users and
 * groups share one namespace here: a SCIM group named like a privileged local group (sudo,
 * wheel, adm) must never appear next to it, and a login named like an account a package
 * creates later (mysql, redis, lxd) would receive that package's files when its maintainer
 * script finds the name already resolvable. Sources: Debian base-passwd's users and groups,
 * Fedora's setup package (uidgid), the sysusers.d entries and maintainer scripts of common
 * daemons of both distributions: databases, web and mail servers, container and
 * virtualisation hosts, monitoring, desktop services. systemd-* and _* are prefix rules. */
static const char *const reserved_names[] = {
    "abrt", "adm", "admin", "alertmanager", "amavis", "apache", "asterisk", "audio", "avahi",
    "avahi-autoipd", "backup", "bin", "bind", "bluetooth", "brlapi", "cassandra", "cdrom",
    "ceph", "chef", "chrony", "clamav", "clamupdate", "clevis", "clickhouse", "cockpit-ws",
    "cockpit-wsinstance", "collectd", "colord", "containerd", "corosync", "couchdb", "crontab",
    "cups", "cups-pk-helper", "daemon", "dbus", "debian-exim", "debian-snmp", "debian-spamd",
    "debian-tor", "dhcpcd", "dhcpd", "dialout", "dip", "disk", "dnsmasq", "docker", "dockremap",
    "dovecot", "dovenull", "elasticsearch", "etcd", "exim", "fax", "flatpak", "floppy",
    "fluentd", "freerad", "ftp", "fwupd-refresh", "games", "gdm", "geoclue", "git", "gitea",
    "gitlab", "gitlab-runner", "gitlab-www", "gluster", "gnats", "gnome-initial-setup",
    "gnome-remote-desktop", "gopher", "grafana", "haclient", "hacluster", "halt", "haproxy",
    "hplip", "httpd", "icinga", "icingaweb2", "incus", "incus-admin", "influxdb", "input",
    "irc", "jenkins", "jetty", "kafka", "keepalived", "kernoops", "kibana", "kmem", "kvm",
    "landscape", "ldap", "libvirt", "libvirt-dnsmasq", "libvirt-qemu", "lightdm", "lighttpd",
    "list", "lock", "logstash", "loki", "lp", "lpadmin", "lxc", "lxd", "mail", "mailman",
    "mailman3", "mailnull", "man", "mariadb", "mem", "memcache", "memcached", "messagebus",
    "microk8s", "minio", "mongod", "mongodb", "mosquitto", "munin", "mysql", "nagcmd", "nagios",
    "named", "neo4j", "netdata", "netdev", "news", "nfsnobody", "nginx", "nm-openconnect",
    "nm-openvpn", "nobody", "node-exporter", "node_exporter", "nogroup", "nrpe", "nscd",
    "nslcd", "ntp", "ntpd", "ntpsec", "nut", "nvidia-persistenced", "opendkim", "opendmarc",
    "openldap", "openntpd", "opensearch", "openvpn", "operator", "pacemaker", "passim", "pcp",
    "pcscd", "pesign", "pipewire", "plugdev", "podman", "polkitd", "pollinate", "postdrop",
    "postfix", "postgres", "postgrey", "printadmin", "privoxy", "prometheus", "promtail",
    "proxy", "pulse", "pulse-access", "puppet", "qemu", "qemu-kvm", "rabbitmq", "radiusd",
    "radvd", "redis", "render", "root", "rpc", "rpcuser", "rspamd", "rtkit", "salt",
    "sambashare", "saned", "sanlock", "sasl", "saslauth", "scanner", "sddm", "setroubleshoot",
    "sgx", "shadow", "shutdown", "slapd", "smmsp", "snmp", "snmptt", "sonarqube", "spamd",
    "speech-dispatcher", "squid", "src", "ssh", "ssh_keys", "sshd", "ssl-cert", "sssd", "staff",
    "statd", "stunnel", "stunnel4", "sudo", "sympa", "sync", "sys", "syslog", "tape", "tcpdump",
    "td-agent", "telegraf", "tinyproxy", "tomcat", "tomcat10", "tomcat9", "tor", "tss", "tty",
    "ulog", "unbound", "unscd", "usbmux", "usbmuxd", "users", "utempter", "utmp", "uucp",
    "uuidd", "valkey", "varnish", "vboxsf", "vboxusers", "vector", "video", "voice", "wbpriv",
    "wheel", "whoopsie", "wireshark", "wsdd", "www-data", "zabbix", "zookeeper",
};

#define N_RESERVED (sizeof(reserved_names) / sizeof(reserved_names[0]))

const char *const *scim_name_reserved_table(size_t *n)
{
    *n = N_RESERVED;
    return reserved_names;
}

static int cmp_name(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool scim_name_is_reserved(const char *name)
{
    if (!name)
        return false;
    /* Debian's convention for new system accounts (_apt, _chrony, _rpc) and systemd's own. */
    if (name[0] == '_' || strncmp(name, "systemd-", 8) == 0)
        return true;
    return bsearch(name, reserved_names, N_RESERVED, sizeof(reserved_names[0]), cmp_name) != NULL;
}

static int finish(char *out, size_t outlen, size_t max_len, const char **why)
{
    int rc = scim_name_validate(out, max_len, why);
    if (rc < 0)
        out[0] = '\0';
    return rc;
}

int scim_name_login_from_username(const char *username, enum scim_login_rule rule,
                                  size_t max_len, char *out, size_t outlen, const char **why)
{
    if (!out || outlen == 0)
        return -ERANGE;
    out[0] = '\0';
    if (!username)
        return fail(why, "name is empty");
    size_t len = strlen(username);
    if (rule == SCIM_LOGIN_LOCALPART) {
        const char *at = strrchr(username, '@');
        if (at)
            len = (size_t)(at - username);
    }
    if (len + 1 > outlen) {
        if (why)
            *why = "output buffer too small";
        return -ERANGE;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = (char)ascii_lower((unsigned char)username[i]);
    out[len] = '\0';
    /* An embedded NUL cannot reach here (C string), but a shortened copy would pass. */
    return finish(out, outlen, max_len, why);
}

int scim_name_group_from_display(const char *display, size_t max_len, char *out,
                                 size_t outlen, const char **why)
{
    if (!out || outlen == 0)
        return -ERANGE;
    out[0] = '\0';
    if (!display)
        return fail(why, "name is empty");
    size_t n = 0;
    bool in_run = false;
    for (const unsigned char *p = (const unsigned char *)display; *p; p++) {
        unsigned char c = ascii_lower(*p);
        if (is_name_char(c)) {
            in_run = false;
        } else {
            if (in_run)
                continue;
            in_run = true;
            c = '-';
        }
        if (n + 1 >= outlen) {
            out[0] = '\0';
            if (why)
                *why = "output buffer too small";
            return -ERANGE;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    size_t start = 0;
    while (out[start] == '-')
        start++;
    while (n > start && out[n - 1] == '-')
        out[--n] = '\0';
    memmove(out, out + start, n - start + 1);
    return finish(out, outlen, max_len, why);
}

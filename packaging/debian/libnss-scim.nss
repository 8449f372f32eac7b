# Added when libnss-scim is configured, removed again on remove and purge (dh_installnss).
# Last in each line: local files, systemd and sssd keep precedence, and scimd refuses
# SCIM login names they already resolve.
passwd last scim
group last scim
shadow last scim

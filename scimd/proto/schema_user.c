/* SPDX-License-Identifier: MIT */
/* The User resource type: RFC 7643 §4.1 core schema, §4.3 enterprise extension and scimd's
 * own Linux extension. Canonical "type" values are listed but advisory: IdPs send others. */
#include "schema_tables.h"

static const char *const email_types[] = {"work", "home", "other", NULL};
static const char *const phone_types[] = {"work", "home", "mobile", "fax", "pager", "other", NULL};
static const char *const im_types[] = {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq",
                                       "yahoo", NULL};
static const char *const photo_types[] = {"photo", "thumbnail", NULL};
static const char *const address_types[] = {"work", "home", "other", NULL};
static const char *const group_types[] = {"direct", "indirect", NULL};

/* value/display/type/primary: the usual shape of a multi-valued attribute (RFC 7643 §2.4). */
#define PLURAL_SUB(value_type, value_desc, types)                                                \
    {.name = "value", .type = (value_type), .description = (value_desc)},                        \
    {.name = "display", .description = "Human-readable name, primarily used for display."},      \
    {.name = "type", .canonical_values = (types),                                                \
     .description = "A label indicating the attribute's function."},                             \
    {.name = "primary", .type = SCIM_T_BOOLEAN,                                                  \
     .description = "Whether this is the preferred value; at most one may be true."}

static const struct scim_attr name_sub[] = {
    {.name = "formatted", .description = "The full name, formatted for display."},
    {.name = "familyName", .description = "The family name (last name)."},
    {.name = "givenName", .description = "The given name (first name)."},
    {.name = "middleName", .description = "The middle name(s)."},
    {.name = "honorificPrefix", .description = "Honorific prefix, such as 'Ms.'."},
    {.name = "honorificSuffix", .description = "Honorific suffix, such as 'III'."},
};

static const struct scim_attr emails_sub[] = {
    PLURAL_SUB(SCIM_T_STRING, "Email address, canonicalised per RFC 5321.", email_types)};
static const struct scim_attr phones_sub[] = {
    PLURAL_SUB(SCIM_T_STRING, "Phone number, preferably in RFC 3966 form.", phone_types)};
static const struct scim_attr ims_sub[] = {
    PLURAL_SUB(SCIM_T_STRING, "Instant messaging address.", im_types)};
static const struct scim_attr photos_sub[] = {
    {.name = "value", .type = SCIM_T_REFERENCE, .reference_types = scim_ref_external,
     .description = "URL of a photo of the user."},
    {.name = "display", .description = "Human-readable name, primarily used for display."},
    {.name = "type", .canonical_values = photo_types,
     .description = "A label indicating the photo's function."},
    {.name = "primary", .type = SCIM_T_BOOLEAN,
     .description = "Whether this is the preferred photo."},
};
static const struct scim_attr addresses_sub[] = {
    {.name = "formatted", .description = "The full mailing address, formatted for display."},
    {.name = "streetAddress", .description = "Street address."},
    {.name = "locality", .description = "City or locality."},
    {.name = "region", .description = "State or region."},
    {.name = "postalCode", .description = "Zip code or postal code."},
    {.name = "country", .description = "Country, as an ISO 3166-1 alpha-2 code."},
    {.name = "type", .canonical_values = address_types,
     .description = "A label indicating the address's function."},
    {.name = "primary", .type = SCIM_T_BOOLEAN,
     .description = "Whether this is the preferred address."},
};
static const struct scim_attr groups_sub[] = {
    {.name = "value", .mutability = SCIM_M_READ_ONLY,
     .description = "The id of a group the user belongs to."},
    {.name = "$ref", .type = SCIM_T_REFERENCE, .mutability = SCIM_M_READ_ONLY,
     .reference_types = scim_ref_user_group, .description = "URI of the group."},
    {.name = "display", .mutability = SCIM_M_READ_ONLY,
     .description = "Display name of the group."},
    {.name = "type", .mutability = SCIM_M_READ_ONLY, .canonical_values = group_types,
     .description = "Whether membership is direct or indirect."},
};
static const struct scim_attr entitlements_sub[] = {
    PLURAL_SUB(SCIM_T_STRING, "An entitlement of the user.", NULL)};
static const struct scim_attr roles_sub[] = {
    PLURAL_SUB(SCIM_T_STRING, "A role of the user; scimd maps each role to a group.", NULL)};
static const struct scim_attr x509_sub[] = {
    PLURAL_SUB(SCIM_T_BINARY, "A DER-encoded X.509 certificate, base64.", NULL)};

static const struct scim_attr user_attrs[] = {
    SCIM_COMMON_ATTRS,
    /* returned "always" so every projection keeps the name clients match users by. */
    {.name = "userName", .required = true, .returned = SCIM_R_ALWAYS,
     .uniqueness = SCIM_U_SERVER,
     .description = "Unique identifier the user signs in with; the Linux login name derives "
                    "from it."},
    {.name = "name", SCIM_SUB(name_sub), .description = "Components of the user's real name."},
    {.name = "displayName", .description = "Name of the user, suitable for display."},
    {.name = "nickName", .description = "Casual name of the user."},
    {.name = "profileUrl", .type = SCIM_T_REFERENCE, .reference_types = scim_ref_external,
     .description = "URL of the user's online profile."},
    {.name = "title", .description = "The user's title, such as 'Vice President'."},
    {.name = "userType", .description = "Relationship between the organization and the user."},
    {.name = "preferredLanguage", .description = "Preferred language, as in Accept-Language."},
    {.name = "locale", .description = "Default location for localisation, e.g. 'en-US'."},
    {.name = "timezone", .description = "Time zone in IANA database form, e.g. 'Europe/Paris'."},
    {.name = "active", .type = SCIM_T_BOOLEAN,
     .description = "Administrative status; inactive users are refused at login."},
    {.name = "password", .case_exact = true, .mutability = SCIM_M_WRITE_ONLY,
     .returned = SCIM_R_NEVER, .description = "Cleartext password; never returned."},
    {.name = "emails", .multi_valued = true, SCIM_SUB(emails_sub),
     .description = "Email addresses of the user."},
    {.name = "phoneNumbers", .multi_valued = true, SCIM_SUB(phones_sub),
     .description = "Phone numbers of the user."},
    {.name = "ims", .multi_valued = true, SCIM_SUB(ims_sub),
     .description = "Instant messaging addresses of the user."},
    {.name = "photos", .multi_valued = true, SCIM_SUB(photos_sub),
     .description = "URLs of images of the user."},
    {.name = "addresses", .multi_valued = true, SCIM_SUB(addresses_sub),
     .description = "Physical mailing addresses of the user."},
    {.name = "groups", .multi_valued = true, SCIM_SUB(groups_sub),
     .mutability = SCIM_M_READ_ONLY,
     .description = "Groups the user belongs to; change membership through /Groups."},
    {.name = "entitlements", .multi_valued = true, SCIM_SUB(entitlements_sub),
     .description = "Entitlements of the user."},
    {.name = "roles", .multi_valued = true, SCIM_SUB(roles_sub),
     .description = "Roles of the user."},
    {.name = "x509Certificates", .multi_valued = true, SCIM_SUB(x509_sub),
     .description = "Certificates issued to the user."},
};

const struct scim_schema scim_schema_user = {
    .urn = SCIM_URN_USER,
    .name = "User",
    .description = "User Account",
    .attrs = user_attrs,
    .n_attrs = SCIM_N(user_attrs),
};

static const struct scim_attr manager_sub[] = {
    {.name = "value", .description = "The id of the user's manager."},
    {.name = "$ref", .type = SCIM_T_REFERENCE, .reference_types = scim_ref_user,
     .description = "URI of the manager's User resource."},
    {.name = "displayName", .mutability = SCIM_M_READ_ONLY,
     .description = "Display name of the manager."},
};

static const struct scim_attr enterprise_attrs[] = {
    {.name = "employeeNumber", .description = "Identifier assigned by the organization."},
    {.name = "costCenter", .description = "Name of a cost center."},
    {.name = "organization", .description = "Name of an organization."},
    {.name = "division", .description = "Name of a division."},
    {.name = "department", .description = "Name of a department."},
    {.name = "manager", SCIM_SUB(manager_sub), .description = "The user's manager."},
};

const struct scim_schema scim_schema_enterprise_user = {
    .urn = SCIM_URN_ENTERPRISE_USER,
    .name = "EnterpriseUser",
    .description = "Enterprise User",
    .attrs = enterprise_attrs,
    .n_attrs = SCIM_N(enterprise_attrs),
};

static const struct scim_attr ssh_key_sub[] = {
    {.name = "value", .required = true, .case_exact = true,
     .description = "An OpenSSH public key line: type, base64 key, optional comment."},
    {.name = "display", .description = "Human-readable label of the key."},
    {.name = "primary", .type = SCIM_T_BOOLEAN, .description = "Whether this is the preferred key."},
};

static const struct scim_attr linux_attrs[] = {
    {.name = "uidNumber", .type = SCIM_T_INTEGER,
     .description = "Requested numeric user id, for migrations from LDAP. Honoured only when "
                    "the server is configured to; otherwise scimd allocates the id."},
    {.name = "gidNumber", .type = SCIM_T_INTEGER,
     .description = "Requested numeric id of the user's primary group, for migrations from "
                    "LDAP; honoured only when the server is configured to."},
    {.name = "sshPublicKeys", .multi_valued = true, SCIM_SUB(ssh_key_sub),
     .description = "SSH public keys authorised for the user's login."},
};

const struct scim_schema scim_schema_linux_user = {
    .urn = SCIM_URN_LINUX_USER,
    .name = "LinuxUser",
    .description = "Linux account attributes (scimd extension)",
    .attrs = linux_attrs,
    .n_attrs = SCIM_N(linux_attrs),
};

static const struct scim_schema *const user_extensions[] = {
    &scim_schema_enterprise_user,
    &scim_schema_linux_user,
};

const struct scim_resource_type scim_rt_user = {
    .id = "User",
    .name = "User",
    .endpoint = "/Users",
    .description = "User Account",
    .core = &scim_schema_user,
    .extensions = user_extensions,
    .n_extensions = SCIM_N(user_extensions),
};

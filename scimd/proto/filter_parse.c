/* SPDX-License-Identifier: MIT */
/* Recursive-descent parser for RFC 7644 §3.4.2.2 filters. Depth is bounded by
 * SCIM_FILTER_MAX_DEPTH and the input by SCIM_FILTER_MAX_LEN; "and"/"or" chains are
 * collected into n-ary nodes, so the tree is never deeper than the nesting. */
#include "filter_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"

struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    const struct scim_resource_type *rt;
    const struct scim_attr *elem; /* inside brackets: names are sub-attributes of elem */
    struct scim_error *err;
};

static struct scim_filter *parse_or(struct parser *p);

__attribute__((format(printf, 3, 4)))
static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    scim_error_set(p->err, 400, "invalidFilter", "filter: %s at offset %zu", msg, at);
}

static struct scim_filter *node_new(struct parser *p, enum scim_filter_kind kind)
{
    struct scim_filter *f = calloc(1, sizeof(*f));

    if (!f) {
        scim_error_set(p->err, 500, NULL, "out of memory");
        return NULL;
    }
    f->kind = kind;
    f->rt = p->rt;
    return f;
}

void scim_filter_free(struct scim_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_kids; i++)
        scim_filter_free(f->kids[i]);
    free(f->kids);
    scim_filter_free(f->inner);
    json_decref(f->value);
    free(f);
}

static bool at_end(const struct parser *p)
{
    return p->pos >= p->len;
}

static char peek(const struct parser *p)
{
    return at_end(p) ? '\0' : p->s[p->pos];
}

static void skip_ws(struct parser *p)
{
    while (!at_end(p) && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
                          p->s[p->pos] == '\r'))
        p->pos++;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '$' || c == '.' || c == ':';
}

/* Consumes the keyword `word` (any case) if it stands alone at the current position. */
static bool keyword(struct parser *p, const char *word)
{
    size_t n = strlen(word);

    if (p->len - p->pos < n || strncasecmp(p->s + p->pos, word, n) != 0)
        return false;
    if (p->pos + n < p->len && is_name_char(p->s[p->pos + n]))
        return false;
    p->pos += n;
    return true;
}

static bool enter(struct parser *p)
{
    if (++p->depth > SCIM_FILTER_MAX_DEPTH) {
        fail_at(p, p->pos, "nesting deeper than %d", SCIM_FILTER_MAX_DEPTH);
        return false;
    }
    return true;
}

static bool expect(struct parser *p, char c)
{
    skip_ws(p);
    if (peek(p) != c) {
        if (at_end(p))
            fail_at(p, p->pos, "expected '%c' but the filter ended", c);
        else
            fail_at(p, p->pos, "expected '%c' but found '%c'", c, peek(p));
        return false;
    }
    p->pos++;
    return true;
}

/* Collects `first` and what follows each `word` into one n-ary node. */
static struct scim_filter *parse_chain(struct parser *p, const char *word,
                                       enum scim_filter_kind kind,
                                       struct scim_filter *(*next)(struct parser *))
{
    struct scim_filter *first = next(p), *node = NULL;

    if (!first)
        return NULL;
    for (;;) {
        size_t save = p->pos;
        skip_ws(p);
        if (!keyword(p, word)) {
            p->pos = save;
            break;
        }
        struct scim_filter *k = next(p);
        if (!k)
            goto fail;
        if (!node) {
            node = node_new(p, kind);
            if (!node) {
                scim_filter_free(k);
                goto fail;
            }
            node->kids = calloc(1, sizeof(*node->kids));
            if (!node->kids) {
                scim_filter_free(k);
                goto fail;
            }
            node->kids[node->n_kids++] = first;
            first = NULL;
        }
        struct scim_filter **kids = realloc(node->kids, (node->n_kids + 1) * sizeof(*kids));
        if (!kids) {
            scim_filter_free(k);
            goto fail;
        }
        node->kids = kids;
        node->kids[node->n_kids++] = k;
    }
    return node ? node : first;
fail:
    scim_filter_free(first);
    scim_filter_free(node);
    return NULL;
}

static void utf8_put(char *buf, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        buf[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*n)++] = (char)(0xC0 | (cp >> 6));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        buf[(*n)++] = (char)(0xE0 | (cp >> 12));
        buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        buf[(*n)++] = (char)(0xF0 | (cp >> 18));
        buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool hex4(struct parser *p, unsigned *out)
{
    unsigned v = 0;

    if (p->len - p->pos < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return false;
    }
    p->pos += 4;
    *out = v;
    return true;
}

/* A JSON string literal (RFC 8259 §7), decoded. */
static json_t *parse_string(struct parser *p)
{
    size_t start = p->pos, n = 0;
    /* Decoded text is never longer than the source (\uXXXX is 6 bytes, at most 4 decoded). */
    char *buf = malloc(p->len - p->pos + 1);
    json_t *out = NULL;

    if (!buf) {
        scim_error_set(p->err, 500, NULL, "out of memory");
        return NULL;
    }
    p->pos++; /* opening quote */
    for (;;) {
        if (at_end(p)) {
            fail_at(p, start, "unterminated string");
            goto out;
        }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            fail_at(p, p->pos, "control character in string");
            goto out;
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            p->pos++;
            continue;
        }
        size_t esc = p->pos++;
        char e = peek(p);
        p->pos++;
        switch (e) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!hex4(p, &cp)) {
                fail_at(p, esc, "bad \\u escape");
                goto out;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail_at(p, esc, "unpaired surrogate");
                    goto out;
                }
                p->pos += 2;
                if (!hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    fail_at(p, esc, "unpaired surrogate");
                    goto out;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail_at(p, esc, "unpaired surrogate");
                goto out;
            }
            if (cp == 0) {
                fail_at(p, esc, "NUL character in string");
                goto out;
            }
            utf8_put(buf, &n, cp);
            break;
        }
        default:
            fail_at(p, esc, "bad escape in string");
            goto out;
        }
    }
    out = json_stringn(buf, n);
    if (!out)
        fail_at(p, start, "string is not valid UTF-8");
out:
    free(buf);
    return out;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A JSON number (RFC 8259 §6). */
static json_t *parse_number(struct parser *p)
{
    size_t start = p->pos;
    bool integral = true;
    char buf[64];

    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p)))
            p->pos++;
    } else {
        fail_at(p, start, "bad number");
        return NULL;
    }
    if (peek(p) == '.') {
        integral = false;
        p->pos++;
        if (!is_digit(peek(p))) {
            fail_at(p, start, "bad number");
            return NULL;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        integral = false;
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p))) {
            fail_at(p, start, "bad number");
            return NULL;
        }
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (is_name_char(peek(p))) {
        fail_at(p, start, "bad number");
        return NULL;
    }
    size_t n = p->pos - start;
    if (n >= sizeof(buf)) {
        fail_at(p, start, "number too long");
        return NULL;
    }
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    errno = 0;
    if (integral) {
        long long v = strtoll(buf, NULL, 10);
        if (errno == 0)
            return json_integer(v);
    }
    errno = 0;
    double d = strtod(buf, NULL);
    if (errno == ERANGE) {
        fail_at(p, start, "number out of range");
        return NULL;
    }
    return json_real(d);
}

/* Length of the JSON number at s[0..n) if it spans all of it, else 0 (no side effects). */
static size_t number_span(const char *s, size_t n)
{
    size_t i = 0;

    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && is_digit(s[i])) {
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        if (++i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return 0;
        while (i < n && is_digit(s[i]))
            i++;
    }
    return i == n ? n : 0;
}

/* Where an unquoted value starting at p->pos ends: at whitespace, at the ')' or ']' that
 * closes its group, or at the end of the filter. */
static size_t bare_end(const struct parser *p)
{
    size_t i = p->pos;

    while (i < p->len && p->s[i] != ' ' && p->s[i] != '\t' && p->s[i] != '\n' &&
           p->s[i] != '\r' && p->s[i] != ')' && p->s[i] != ']')
        i++;
    return i;
}

/* An unquoted value (userName sw O, meta.created gt 2015-10-10T14:38:21) as a string: clients
 * send them and other SCIM servers take them. Only where the reading is certain: a logical
 * operator, a bracket, a quote of either kind or a backslash would leave the reader guessing
 * (a group, a string, an escape), so those need the quoted form. */
static json_t *parse_bare(struct parser *p, size_t end)
{
    size_t start = p->pos, n = end - start;

    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)p->s[i];
        if (c < 0x20 || c == 0x7f) {
            fail_at(p, i, "control character in a value");
            return NULL;
        }
        if (c == '(' || c == '[' || c == '"' || c == '\'' || c == '\\') {
            fail_at(p, i, "'%c' in an unquoted value: put the value in double quotes", c);
            return NULL;
        }
    }
    if (scim_streq_ci_n(p->s + start, n, "and") || scim_streq_ci_n(p->s + start, n, "or") ||
        scim_streq_ci_n(p->s + start, n, "not")) {
        fail_at(p, start, "'%.*s' is a logical operator, not a value: quote it to compare "
                "with the word", (int)n, p->s + start);
        return NULL;
    }
    json_t *out = json_stringn(p->s + start, n);
    if (!out) {
        fail_at(p, start, "value is not valid UTF-8");
        return NULL;
    }
    p->pos = end;
    return out;
}

static json_t *parse_literal(struct parser *p)
{
    char c = peek(p);

    if (c == '"')
        return parse_string(p);
    size_t end = bare_end(p), n = end - p->pos;
    if (n == 0) {
        if (at_end(p))
            fail_at(p, p->pos, "expected a value but the filter ended");
        else
            fail_at(p, p->pos, "expected a value (string, number, true, false or null)");
        return NULL;
    }
    /* Whole-token keywords and numbers keep their JSON meaning (an unquoted true is the
     * boolean); anything else is a string. */
    if (number_span(p->s + p->pos, n))
        return parse_number(p);
    if (scim_streq_ci_n(p->s + p->pos, n, "true") && keyword(p, "true"))
        return json_true();
    if (scim_streq_ci_n(p->s + p->pos, n, "false") && keyword(p, "false"))
        return json_false();
    if (scim_streq_ci_n(p->s + p->pos, n, "null") && keyword(p, "null"))
        return json_null();
    return parse_bare(p, end);
}

static const struct {
    const char *name;
    enum scim_filter_op op;
} ops[] = {
    {"eq", SCIM_OP_EQ}, {"ne", SCIM_OP_NE}, {"co", SCIM_OP_CO}, {"sw", SCIM_OP_SW},
    {"ew", SCIM_OP_EW}, {"pr", SCIM_OP_PR}, {"gt", SCIM_OP_GT}, {"ge", SCIM_OP_GE},
    {"lt", SCIM_OP_LT}, {"le", SCIM_OP_LE},
};

static bool is_ordering(enum scim_filter_op op)
{
    return op == SCIM_OP_GT || op == SCIM_OP_GE || op == SCIM_OP_LT || op == SCIM_OP_LE;
}

static bool is_substring(enum scim_filter_op op)
{
    return op == SCIM_OP_CO || op == SCIM_OP_SW || op == SCIM_OP_EW;
}

/* Checks that the literal suits the attribute's type and the operator; normalises boolean
 * literals and pre-parses dateTime ones. */
static bool check_comparison(struct parser *p, struct scim_filter *f, size_t at, const char *name)
{
    const struct scim_attr *t = f->sub ? f->sub : f->attr;

    if (t->type == SCIM_T_COMPLEX) {
        if (f->op == SCIM_OP_PR)
            return true;
        const struct scim_attr *v = scim_attr_find(t->sub, t->n_sub, "value");
        if (!v || f->sub) {
            fail_at(p, at, "'%s' is complex: compare one of its sub-attributes", name);
            return false;
        }
        f->sub = v;
        t = v;
    }
    if (f->op == SCIM_OP_PR)
        return true;
    if (json_is_null(f->value)) {
        if (f->op != SCIM_OP_EQ && f->op != SCIM_OP_NE) {
            fail_at(p, at, "null can only be compared with eq or ne");
            return false;
        }
        return true;
    }
    switch (t->type) {
    case SCIM_T_BOOLEAN: {
        int b = scim_json_bool(f->value);
        if (b < 0) {
            fail_at(p, at, "'%s' is boolean: compare it with true or false", name);
            return false;
        }
        if (f->op != SCIM_OP_EQ && f->op != SCIM_OP_NE) {
            fail_at(p, at, "'%s' is boolean: only eq, ne and pr apply", name);
            return false;
        }
        json_decref(f->value);
        f->value = json_boolean(b);
        return true;
    }
    case SCIM_T_INTEGER:
    case SCIM_T_DECIMAL:
        if (!json_is_number(f->value)) {
            fail_at(p, at, "'%s' is a number: compare it with a number", name);
            return false;
        }
        if (is_substring(f->op)) {
            fail_at(p, at, "'%s' is a number: co, sw and ew do not apply", name);
            return false;
        }
        return true;
    case SCIM_T_DATETIME:
        if (!json_is_string(f->value) ||
            scim_datetime_parse(json_string_value(f->value), &f->time) != 0) {
            fail_at(p, at, "'%s' is a dateTime: compare it with a string such as "
                    "\"2024-01-31T12:00:00Z\"", name);
            return false;
        }
        if (is_substring(f->op)) {
            fail_at(p, at, "'%s' is a dateTime: co, sw and ew do not apply", name);
            return false;
        }
        return true;
    case SCIM_T_BINARY:
        if (is_ordering(f->op)) {
            fail_at(p, at, "'%s' is binary: gt, ge, lt and le do not apply", name);
            return false;
        }
        /* fall through */
    default:
        if (!json_is_string(f->value)) {
            fail_at(p, at, "'%s' is a string: compare it with a quoted string", name);
            return false;
        }
        return true;
    }
}

/* `op value` (or `pr`) after an attribute path that resolved to schema/attr/sub. */
static struct scim_filter *parse_comparison(struct parser *p, const struct scim_schema *schema,
                                            const struct scim_attr *attr,
                                            const struct scim_attr *sub, size_t start,
                                            const char *name)
{
    struct scim_filter *f = NULL;

    skip_ws(p);
    size_t op_at = p->pos;
    while (!at_end(p) && is_name_char(p->s[p->pos]))
        p->pos++;
    size_t op_len = p->pos - op_at;
    if (op_len == 0) {
        fail_at(p, op_at, "expected an operator after '%s'", name);
        return NULL;
    }
    f = node_new(p, SCIM_F_CMP);
    if (!f)
        return NULL;
    size_t i;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (scim_streq_ci_n(p->s + op_at, op_len, ops[i].name))
            break;
    }
    if (i == sizeof(ops) / sizeof(ops[0])) {
        fail_at(p, op_at, "unknown operator '%.*s'", (int)(op_len > 20 ? 20 : op_len),
                p->s + op_at);
        goto fail;
    }
    f->op = ops[i].op;
    f->schema = schema;
    f->attr = attr;
    f->sub = sub;
    if (f->op != SCIM_OP_PR) {
        skip_ws(p);
        f->value = parse_literal(p);
        if (!f->value)
            goto fail;
    }
    if (!check_comparison(p, f, start, name))
        goto fail;
    return f;
fail:
    scim_filter_free(f);
    return NULL;
}

/* `attr[filter].sub op value` (not in the RFC 7644 grammar, but the form PATCH paths use and
 * some clients send as a filter): an element matching the brackets whose sub-attribute
 * satisfies the comparison. The comparison joins the bracket filter as one more "and". */
static bool parse_value_path_sub(struct parser *p, struct scim_filter *vp)
{
    size_t start = ++p->pos; /* the '.' */
    char name[128];

    while (!at_end(p) && is_name_char(p->s[p->pos]) && p->s[p->pos] != '.')
        p->pos++;
    size_t n = p->pos - start;
    snprintf(name, sizeof(name), "%.*s", (int)(n > 100 ? 100 : n), p->s + start);
    const struct scim_attr *sub = scim_attr_find_n(vp->attr->sub, vp->attr->n_sub,
                                                   p->s + start, n);
    if (!sub) {
        fail_at(p, start, "'%s' has no sub-attribute '%s'", vp->attr->name, name);
        return false;
    }
    struct scim_filter *cmp = parse_comparison(p, NULL, sub, NULL, start, name);
    if (!cmp)
        return false;
    struct scim_filter *both = node_new(p, SCIM_F_AND);
    if (!both || !(both->kids = calloc(2, sizeof(*both->kids)))) {
        scim_filter_free(cmp);
        scim_filter_free(both);
        return false;
    }
    both->kids[0] = vp->inner;
    both->kids[1] = cmp;
    both->n_kids = 2;
    vp->inner = both;
    return true;
}

static struct scim_filter *parse_attr_exp(struct parser *p)
{
    struct scim_filter *f = NULL;
    size_t start = p->pos;
    char name[128];

    while (!at_end(p) && is_name_char(p->s[p->pos]))
        p->pos++;
    size_t n = p->pos - start;
    if (n == 0) {
        if (at_end(p))
            fail_at(p, p->pos, "expected an attribute name but the filter ended");
        else
            fail_at(p, p->pos, "expected an attribute name, found '%c'", peek(p));
        return NULL;
    }
    snprintf(name, sizeof(name), "%.*s", (int)(n > 100 ? 100 : n), p->s + start);

    const struct scim_schema *schema = NULL;
    const struct scim_attr *attr, *parent = NULL;
    if (p->elem) {
        attr = scim_attr_find_n(p->elem->sub, p->elem->n_sub, p->s + start, n);
    } else {
        attr = scim_attr_resolve_n(p->rt, p->s + start, n, &schema, &parent);
    }
    if (!attr) {
        fail_at(p, start, "unknown attribute '%s'", name);
        return NULL;
    }
    /* Filtering on a never-returned attribute (password) would make it guessable. */
    if (attr->returned == SCIM_R_NEVER || (parent && parent->returned == SCIM_R_NEVER)) {
        fail_at(p, start, "attribute '%s' cannot be used in a filter", name);
        return NULL;
    }

    if (peek(p) == '[') {
        const struct scim_attr *complex = parent ? NULL : attr;
        if (p->elem || !complex || complex->type != SCIM_T_COMPLEX) {
            fail_at(p, p->pos, "'[' must follow a complex attribute outside brackets");
            return NULL;
        }
        if (!enter(p))
            return NULL;
        f = node_new(p, SCIM_F_VALUE_PATH);
        if (!f)
            return NULL;
        f->schema = schema;
        f->attr = complex;
        p->pos++;
        p->elem = complex;
        f->inner = parse_or(p);
        p->elem = NULL;
        if (!f->inner || !expect(p, ']'))
            goto fail;
        p->depth--;
        if (peek(p) == '.' && !parse_value_path_sub(p, f))
            goto fail;
        if (is_name_char(peek(p))) {
            fail_at(p, p->pos, "unexpected text after ']'");
            goto fail;
        }
        return f;
    }

    return parse_comparison(p, p->elem ? NULL : schema, parent ? parent : attr,
                            parent ? attr : NULL, start, name);
fail:
    scim_filter_free(f);
    return NULL;
}

static struct scim_filter *parse_unary(struct parser *p)
{
    struct scim_filter *f = NULL, *inner = NULL;
    bool negate;

    skip_ws(p);
    negate = keyword(p, "not");
    if (negate) {
        skip_ws(p);
        if (peek(p) != '(') {
            fail_at(p, p->pos, "expected '(' after 'not'");
            return NULL;
        }
    }
    if (peek(p) != '(')
        return parse_attr_exp(p);
    if (!enter(p))
        return NULL;
    p->pos++;
    inner = parse_or(p);
    if (!inner || !expect(p, ')'))
        goto fail;
    p->depth--;
    if (!negate)
        return inner;
    f = node_new(p, SCIM_F_NOT);
    if (!f || !(f->kids = calloc(1, sizeof(*f->kids))))
        goto fail;
    f->kids[0] = inner;
    f->n_kids = 1;
    return f;
fail:
    scim_filter_free(inner);
    scim_filter_free(f);
    return NULL;
}

static struct scim_filter *parse_and(struct parser *p)
{
    return parse_chain(p, "and", SCIM_F_AND, parse_unary);
}

static struct scim_filter *parse_or(struct parser *p)
{
    return parse_chain(p, "or", SCIM_F_OR, parse_and);
}

static struct scim_filter *parse_all(struct parser *p, char closing)
{
    skip_ws(p);
    if (at_end(p)) {
        fail_at(p, p->pos, "empty filter");
        return NULL;
    }
    struct scim_filter *f = parse_or(p);
    if (!f)
        return NULL;
    skip_ws(p);
    if (!at_end(p)) {
        if (p->s[p->pos] == closing)
            fail_at(p, p->pos, "unbalanced '%c'", closing);
        else
            fail_at(p, p->pos, "unexpected '%c'", p->s[p->pos]);
        scim_filter_free(f);
        return NULL;
    }
    return f;
}

struct scim_filter *scim_filter_parse(const char *text, const struct scim_resource_type *rt,
                                      struct scim_error *err)
{
    if (!text || !rt) {
        scim_error_set(err, 400, "invalidFilter", "filter: missing");
        return NULL;
    }
    size_t len = strnlen(text, SCIM_FILTER_MAX_LEN + 1);
    if (len > SCIM_FILTER_MAX_LEN) {
        scim_error_set(err, 400, "invalidFilter", "filter: longer than %d bytes",
                       SCIM_FILTER_MAX_LEN);
        return NULL;
    }
    struct parser p = {.s = text, .len = len, .rt = rt, .err = err};
    return parse_all(&p, ')');
}

struct scim_filter *scim_filter_parse_element(const char *text, size_t len,
                                              const struct scim_resource_type *rt,
                                              const struct scim_attr *complex,
                                              struct scim_error *err)
{
    if (!text || !rt || !complex || complex->type != SCIM_T_COMPLEX) {
        scim_error_set(err, 400, "invalidFilter", "filter: not a complex attribute");
        return NULL;
    }
    if (len > SCIM_FILTER_MAX_LEN) {
        scim_error_set(err, 400, "invalidFilter", "filter: longer than %d bytes",
                       SCIM_FILTER_MAX_LEN);
        return NULL;
    }
    struct parser p = {.s = text, .len = len, .rt = rt, .elem = complex, .depth = 1, .err = err};
    return parse_all(&p, ']');
}

const char *scim_filter_simple_eq(const struct scim_filter *f, const char *attr_path)
{
    const struct scim_schema *schema = NULL;
    const struct scim_attr *parent = NULL, *a;

    if (!f || f->kind != SCIM_F_CMP || f->op != SCIM_OP_EQ || !json_is_string(f->value) ||
        !f->schema)
        return NULL;
    a = scim_attr_resolve(f->rt, attr_path, &schema, &parent);
    if (!a || schema != f->schema)
        return NULL;
    if (parent ? (f->attr != parent || f->sub != a) : (f->attr != a || f->sub != NULL))
        return NULL;
    return json_string_value(f->value);
}

int scim_filter_element_template(const struct scim_filter *f, json_t *obj)
{
    if (!f)
        return -1;
    if (f->kind == SCIM_F_CMP) {
        if (f->op != SCIM_OP_EQ || f->schema || !f->value || json_is_null(f->value))
            return -1;
        return json_object_set(obj, f->attr->name, f->value) == 0 ? 0 : -1;
    }
    if (f->kind == SCIM_F_AND) {
        for (size_t i = 0; i < f->n_kids; i++) {
            if (scim_filter_element_template(f->kids[i], obj) != 0)
                return -1;
        }
        return 0;
    }
    return -1;
}

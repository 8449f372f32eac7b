/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver's pure text work (store/db_pg_sql.c), no server needed: `?` and `?N`
 * to `$N` outside literals, identifiers and comments; SQLSTATE classes to DB_* codes; bytea
 * hex output to bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/db_pg_sql.h"

static void rewrites(const char *in, const char *want, int want_n)
{
    char err[128] = "";
    int n = -1;
    char *out = db_pg_rewrite(in, &n, err, sizeof(err));
    if (!out)
        fail_msg("%s: %s", in, err);
    assert_string_equal(out, want);
    assert_int_equal(n, want_n);
    free(out);
}

static void refuses(const char *in, const char *msg_part)
{
    char err[128] = "";
    int n = -1;
    char *out = db_pg_rewrite(in, &n, err, sizeof(err));
    assert_null(out);
    assert_non_null(strstr(err, msg_part));
}

static void test_sequential_and_numbered(void **state)
{
    (void)state;
    rewrites("SELECT 1", "SELECT 1", 0);
    rewrites("", "", 0);
    rewrites("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2",
             2);
    rewrites("UPDATE t SET a = ?2 WHERE id = ?1", "UPDATE t SET a = $2 WHERE id = $1", 2);
    rewrites("VALUES(?3, ?3)", "VALUES($3, $3)", 3);
    /* SQLite's rule: a bare ? is one more than the largest number so far. */
    rewrites("VALUES(?2, ?, ?1, ?)", "VALUES($2, $3, $1, $4)", 4);
    rewrites("x=?12,y=?", "x=$12,y=$13", 13);
}

static void test_literals_identifiers_comments_untouched(void **state)
{
    (void)state;
    rewrites("SELECT '?' || ?", "SELECT '?' || $1", 1);
    rewrites("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1);
    rewrites("SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1", 1);
    /* Outside E'…' a backslash is an ordinary character: the literal ends at the next quote. */
    rewrites("SELECT '\\', ?", "SELECT '\\', $1", 1);
    rewrites("SELECT \"odd?name\" FROM t WHERE a = ?", "SELECT \"odd?name\" FROM t WHERE a = $1",
             1);
    rewrites("SELECT \"a\"\"?\" , ?", "SELECT \"a\"\"?\" , $1", 1);
    rewrites("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2);
    rewrites("SELECT ? /* a ? /* nested ? */ still ? */ , ?",
             "SELECT $1 /* a ? /* nested ? */ still ? */ , $2", 2);
    rewrites("DO $$ BEGIN PERFORM '?'; END $$; SELECT ?",
             "DO $$ BEGIN PERFORM '?'; END $$; SELECT $1", 1);
    rewrites("SELECT $fn$ ? $x$ ? $fn$, ?", "SELECT $fn$ ? $x$ ? $fn$, $1", 1);
    /* Already positional, and a $ inside an identifier, are not quotes. */
    rewrites("SELECT $1, a$b, ?", "SELECT $1, a$b, $1", 1);
    /* Unterminated: copied to the end; the server reports it. */
    rewrites("SELECT '?", "SELECT '?", 0);
}

static void test_bad_numbers_refused(void **state)
{
    (void)state;
    refuses("SELECT ?0", "?0 out of range");
    refuses("SELECT ?32767", "out of range");
    refuses("SELECT ?99999999999999999999", "out of range");
    rewrites("SELECT ?32766", "SELECT $32766", 32766);
    refuses("SELECT ?32766, ?", "more than 32766");
}

static void test_sqlstate_codes(void **state)
{
    (void)state;
    assert_int_equal(db_pg_sqlstate_code("23505"), DB_CONSTRAINT); /* unique */
    assert_int_equal(db_pg_sqlstate_code("23503"), DB_CONSTRAINT); /* foreign key */
    assert_int_equal(db_pg_sqlstate_code("23502"), DB_CONSTRAINT); /* not null */
    assert_int_equal(db_pg_sqlstate_code("40001"), DB_BUSY);
    assert_int_equal(db_pg_sqlstate_code("40P01"), DB_BUSY);
    assert_int_equal(db_pg_sqlstate_code("55P03"), DB_BUSY);
    assert_int_equal(db_pg_sqlstate_code("53100"), DB_FULL);
    assert_int_equal(db_pg_sqlstate_code("08006"), DB_UNAVAILABLE);
    assert_int_equal(db_pg_sqlstate_code("57P01"), DB_UNAVAILABLE);
    assert_int_equal(db_pg_sqlstate_code("57P02"), DB_UNAVAILABLE);
    assert_int_equal(db_pg_sqlstate_code("57P03"), DB_UNAVAILABLE);
    assert_int_equal(db_pg_sqlstate_code("XX001"), DB_IOERR);
    assert_int_equal(db_pg_sqlstate_code("XX002"), DB_IOERR);
    assert_int_equal(db_pg_sqlstate_code("XX000"), DB_ERROR);
    assert_int_equal(db_pg_sqlstate_code("42601"), DB_ERROR); /* syntax */
    assert_int_equal(db_pg_sqlstate_code("57014"), DB_ERROR); /* query canceled */
    assert_int_equal(db_pg_sqlstate_code("2350"), DB_ERROR);
    assert_int_equal(db_pg_sqlstate_code(NULL), DB_ERROR);
}

static void test_bytea_hex(void **state)
{
    (void)state;
    unsigned char out[8];
    assert_int_equal(db_pg_bytea_hex_decode("\\x00ff7A", out), 3);
    assert_memory_equal(out, "\x00\xff\x7a", 3);
    assert_int_equal(db_pg_bytea_hex_decode("\\x", out), 0);
    assert_int_equal(db_pg_bytea_hex_decode("\\x0", out), -1);
    assert_int_equal(db_pg_bytea_hex_decode("\\x0g", out), -1);
    assert_int_equal(db_pg_bytea_hex_decode("\\000", out), -1); /* escape format */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_and_numbered),
        cmocka_unit_test(test_literals_identifiers_comments_untouched),
        cmocka_unit_test(test_bad_numbers_refused),
        cmocka_unit_test(test_sqlstate_codes),
        cmocka_unit_test(test_bytea_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Failed-authentication throttling (ratelimit.c) on a fake clock: this executable defines
 * time(), which the linker prefers over libc's for the library code linked into it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cmocka.h>

#include "http/ratelimit.h"

static time_t fake_now = 1800000000;

time_t time(time_t *t)
{
    if (t)
        *t = fake_now;
    return fake_now;
}

static struct sockaddr_in v4(const char *ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(40000);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

static struct sockaddr_in6 v6(const char *ip)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof(a));
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(40001);
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_ban_after_limit(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(3, 60);
    assert_non_null(rl);
    struct sockaddr_in a = v4("192.0.2.10"), b = v4("192.0.2.11");
    assert_int_equal(ratelimit_banned(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_banned(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 60); /* the third failure starts the ban */
    assert_int_equal(ratelimit_banned(rl, SA(a)), 60);
    /* Other addresses, and other ports of the same address, are the same client or not. */
    assert_int_equal(ratelimit_banned(rl, SA(b)), 0);
    struct sockaddr_in a2 = v4("192.0.2.10");
    a2.sin_port = htons(50000);
    assert_int_equal(ratelimit_banned(rl, SA(a2)), 60);
    /* The IPv4-mapped IPv6 form of the address is the same client. */
    struct sockaddr_in6 mapped = v6("::ffff:192.0.2.10");
    assert_int_equal(ratelimit_banned(rl, SA(mapped)), 60);
    /* Failing on during the ban neither restarts nor extends it. */
    fake_now += 20;
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_banned(rl, SA(a)), 40);
    fake_now += 40;
    assert_int_equal(ratelimit_banned(rl, SA(a)), 0);
    /* A ban that ran out starts a fresh count. */
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 60);
    ratelimit_free(rl);
}

static void test_window(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(3, 10);
    struct sockaddr_in6 a = v6("2001:db8::1");
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    /* A minute later the count starts over: two old failures and one new are not three. */
    fake_now += 60;
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_banned(rl, SA(a)), 0);
    fake_now += 59;
    assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(a)), 10);
    /* Neighbouring IPv6 addresses are separate clients. */
    struct sockaddr_in6 n = v6("2001:db8::2");
    assert_int_equal(ratelimit_banned(rl, SA(n)), 0);
    ratelimit_free(rl);
}

static void test_disabled_and_odd_addresses(void **state)
{
    (void)state;
    /* auth_failure_limit = 0 switches throttling off. */
    struct ratelimit *rl = ratelimit_new(0, 60);
    struct sockaddr_in a = v4("198.51.100.1");
    for (int i = 0; i < 100; i++)
        assert_int_equal(ratelimit_fail(rl, SA(a)), 0);
    assert_int_equal(ratelimit_banned(rl, SA(a)), 0);
    ratelimit_free(rl);

    /* No address or a non-IP one (socket activation on a unix socket): never banned. */
    rl = ratelimit_new(1, 60);
    struct sockaddr_un u;
    memset(&u, 0, sizeof(u));
    u.sun_family = AF_UNIX;
    assert_int_equal(ratelimit_fail(rl, SA(u)), 0);
    assert_int_equal(ratelimit_banned(rl, SA(u)), 0);
    assert_int_equal(ratelimit_fail(rl, NULL), 0);
    assert_int_equal(ratelimit_banned(rl, NULL), 0);
    /* A limit of one bans at the first failure. */
    assert_int_equal(ratelimit_fail(rl, SA(a)), 60);
    ratelimit_free(rl);
    /* NULL limiter: nothing is throttled. */
    assert_int_equal(ratelimit_fail(NULL, SA(a)), 0);
    assert_int_equal(ratelimit_banned(NULL, SA(a)), 0);
    ratelimit_free(NULL);
}

static void test_bounded_under_flood(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(2, 300);
    struct sockaddr_in victim = v4("203.0.113.7");
    assert_int_equal(ratelimit_fail(rl, SA(victim)), 0);
    assert_int_equal(ratelimit_fail(rl, SA(victim)), 300);
    /* 100,000 other addresses failing once each: memory stays fixed, nothing crashes, and
     * each of them is tracked well enough to be banned on its second failure. */
    for (uint32_t i = 0; i < 100000; i++) {
        struct sockaddr_in x;
        memset(&x, 0, sizeof(x));
        x.sin_family = AF_INET;
        x.sin_addr.s_addr = htonl(0x0a000000u + i);
        ratelimit_fail(rl, SA(x));
    }
    struct sockaddr_in last;
    memset(&last, 0, sizeof(last));
    last.sin_family = AF_INET;
    last.sin_addr.s_addr = htonl(0x0a000000u + 99999);
    assert_int_equal(ratelimit_fail(rl, SA(last)), 300);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ban_after_limit),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_disabled_and_odd_addresses),
        cmocka_unit_test(test_bounded_under_flood),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

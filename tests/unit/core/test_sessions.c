/* SPDX-License-Identifier: MIT */
/* Ending a deactivated user's processes (sessions.c). The process table is a fake /proc whose
 * entries are this test's own sleeping children, so only they can ever be signalled. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core_fixture.h"
#include "accounts/sessions.h"

#define UID 1700000005u

struct child {
    pid_t pid;
    char *dir;
};

struct fx {
    char *proc;
    struct child kids[5];
    size_t n;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->proc = core_mkdtemp();
    *state = f;
    return 0;
}

/* A sleeping child listed in the fake /proc with this Uid: line (real effective saved fs). */
static pid_t spawn(struct fx *f, const char *uid_line)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    char name[32];
    snprintf(name, sizeof(name), "%d", (int)pid);
    char *dir = core_path(f->proc, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    char status[256];
    int n = snprintf(status, sizeof(status), "Name:\tsleeper\nUmask:\t0022\nState:\tS (sleeping)\n"
                                             "Uid:\t%s\nGid:\t100\t100\t100\t100\n", uid_line);
    free(core_write(dir, "status", status, (size_t)n));
    f->kids[f->n].pid = pid;
    f->kids[f->n].dir = dir;
    f->n++;
    return pid;
}

/* How the child ended: the signal that killed it, or 0 if it is still running. */
static int fate(pid_t pid)
{
    int status;
    for (int i = 0; i < 200; i++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
        usleep(5000);
        if (i == 20)
            break; /* a running child stays running: no need to wait the full second */
    }
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < f->n; i++) {
        kill(f->kids[i].pid, SIGKILL);
        waitpid(f->kids[i].pid, NULL, 0);
        core_rmdir(f->kids[i].dir);
    }
    core_rmdir(f->proc);
    free(f);
    return 0;
}

static void test_kills_only_that_uid(void **state)
{
    struct fx *f = *state;
    pid_t mine = spawn(f, "1700000005\t1700000005\t1700000005\t1700000005");
    pid_t setuid_prog = spawn(f, "1000\t1700000005\t1000\t1000"); /* effective uid only */
    pid_t saved = spawn(f, "1000\t1000\t1700000005\t1000");         /* saved uid only */
    pid_t other = spawn(f, "1700000006\t1700000006\t1700000006\t1700000006");
    pid_t prefix = spawn(f, "17000000050\t17000000050\t17000000050\t17000000050");
    /* Entries that are not processes are ignored. */
    char *junk = core_path(f->proc, "self");
    assert_int_equal(mkdir(junk, 0755), 0);

    int n = sessions_terminate(UID, "alice", f->proc);
    assert_true(n >= 3);
    assert_int_equal(fate(mine), SIGKILL);
    assert_int_equal(fate(setuid_prog), SIGKILL);
    assert_int_equal(fate(saved), SIGKILL);
    assert_int_equal(fate(other), 0);
    assert_int_equal(fate(prefix), 0);
    core_rmdir(junk);
}

static void test_refuses_system_uids(void **state)
{
    struct fx *f = *state;
    pid_t root = spawn(f, "0\t0\t0\t0");
    pid_t daemon = spawn(f, "999\t999\t999\t999");
    assert_int_equal(sessions_terminate(0, "root", f->proc), -1);
    assert_int_equal(sessions_terminate(999, "daemon", f->proc), -1);
    assert_int_equal(fate(root), 0);
    assert_int_equal(fate(daemon), 0);
    /* No processes of the uid: nothing signalled. */
    assert_int_equal(sessions_terminate(UID, "alice", f->proc), 0);
    /* An unreadable process table is an error, not "nothing to do". */
    char *missing = core_path(f->proc, "no-such-proc");
    assert_int_equal(sessions_terminate(UID, "alice", missing), -1);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kills_only_that_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_system_uids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* What a backend driver provides behind db.h: a table of operations. A driver's connection
 * and statement structs begin with struct db and struct db_stmt, which db.c dispatches on. */
#pragma once

#include "store/db.h"

struct db_ops {
    enum db_backend backend;
    int (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
    struct db_stmt *(*kept)(struct db *db, const char *sql);
    void (*kept_done)(struct db_stmt *s);
    int (*bind_text)(struct db_stmt *s, int i, const char *v);
    int (*bind_int64)(struct db_stmt *s, int i, int64_t v);
    int (*bind_null)(struct db_stmt *s, int i);
    int (*bind_blob)(struct db_stmt *s, int i, const void *v, size_t n);
    int (*step)(struct db_stmt *s);
    void (*reset)(struct db_stmt *s);
    void (*clear_bindings)(struct db_stmt *s);
    void (*finalize)(struct db_stmt *s);
    bool (*column_is_null)(struct db_stmt *s, int i);
    const char *(*column_text)(struct db_stmt *s, int i);
    size_t (*column_bytes)(struct db_stmt *s, int i);
    int64_t (*column_int64)(struct db_stmt *s, int i);
    const void *(*column_blob)(struct db_stmt *s, int i);
    int (*exec)(struct db *db, const char *sql);
    int64_t (*changes)(struct db *db);
    int (*errcode)(struct db *db);
    const char *(*errmsg)(struct db *db);
    bool (*in_transaction)(struct db *db);
    void (*reset_kept)(struct db *db);
    void (*close)(struct db *db);
};

struct db {
    const struct db_ops *ops;
};

struct db_stmt {
    struct db *db;
};

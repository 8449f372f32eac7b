/* Temp directories, files and stores shared by the core unit tests. */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

struct store;

/* A fresh private temp directory; core_rmdir removes it and every file in it (no subdirs). */
char *core_mkdtemp(void);
void core_rmdir(char *dir);

/* dir + "/" + name, malloc'd. */
char *core_path(const char *dir, const char *name);

/* Writes len bytes (so NUL bytes can be embedded) and returns the path, malloc'd. */
char *core_write(const char *dir, const char *name, const void *data, size_t len);

/* Whole-file read; returns NULL (and *len 0) when the file does not exist. */
unsigned char *core_read(const char *path, size_t *len);

/* store_open on dir/name, failing the test on error. */
struct store *core_store_open(const char *dir, const char *name, bool writer_thread);

/* True when needle occurs anywhere in the len bytes of hay. */
bool core_contains(const unsigned char *hay, size_t len, const char *needle);

#endif

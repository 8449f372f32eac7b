/* SPDX-License-Identifier: MIT */
/* How many users, groups and role groups the store holds: the gauges of GET /metrics. */
#pragma once

struct store;

struct store_counts {
    long long users_active;
    long long users_deactivated;
    long long groups;
    long long role_groups;
};

/* Fills every count; one the store cannot give is -1 (a scrape never fails on it). */
void store_counts_read(struct store *st, struct store_counts *out);

/* SPDX-License-Identifier: MIT */
/* glibc NSS entry points of libnss_scim.so.2 (the only exported symbols). */
#ifndef NSS_SCIM_H
#define NSS_SCIM_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stddef.h>

#define NSS_EXPORT __attribute__((visibility("default")))

NSS_EXPORT enum nss_status _nss_scim_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                                size_t buflen, int *errnop);
NSS_EXPORT enum nss_status _nss_scim_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
                                                size_t buflen, int *errnop);
NSS_EXPORT enum nss_status _nss_scim_setpwent(int stayopen);
NSS_EXPORT enum nss_status _nss_scim_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
                                                int *errnop);
NSS_EXPORT enum nss_status _nss_scim_endpwent(void);

NSS_EXPORT enum nss_status _nss_scim_getgrnam_r(const char *name, struct group *gr, char *buf,
                                                size_t buflen, int *errnop);
NSS_EXPORT enum nss_status _nss_scim_getgrgid_r(gid_t gid, struct group *gr, char *buf,
                                                size_t buflen, int *errnop);
NSS_EXPORT enum nss_status _nss_scim_setgrent(int stayopen);
NSS_EXPORT enum nss_status _nss_scim_getgrent_r(struct group *gr, char *buf, size_t buflen,
                                                int *errnop);
NSS_EXPORT enum nss_status _nss_scim_endgrent(void);
NSS_EXPORT enum nss_status _nss_scim_initgroups_dyn(const char *user, gid_t group, long int *start,
                                                    long int *size, gid_t **groupsp,
                                                    long int limit, int *errnop);

NSS_EXPORT enum nss_status _nss_scim_getspnam_r(const char *name, struct spwd *sp, char *buf,
                                                size_t buflen, int *errnop);
NSS_EXPORT enum nss_status _nss_scim_setspent(int stayopen);
NSS_EXPORT enum nss_status _nss_scim_getspent_r(struct spwd *sp, char *buf, size_t buflen,
                                                int *errnop);
NSS_EXPORT enum nss_status _nss_scim_endspent(void);

#endif

/* SPDX-License-Identifier: MIT */
#include "http/http_jobs.h"

#include <pthread.h>
#include <stdlib.h>

struct lane {
    struct http_job *head, *tail;
};

struct http_jobs {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    struct lane scim, fleet;
    unsigned fleet_running, fleet_max;
    unsigned started;
    bool stopping;
    http_job_fn run;
    pthread_t threads[];
};

static struct http_job *take(struct lane *l)
{
    struct http_job *job = l->head;
    l->head = job->next;
    if (!l->head)
        l->tail = NULL;
    job->next = NULL;
    return job;
}

static void *worker_main(void *arg)
{
    struct http_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->mu);
    for (;;) {
        struct http_job *job = NULL;
        if (jobs->scim.head)
            job = take(&jobs->scim);
        else if (jobs->fleet.head && jobs->fleet_running < jobs->fleet_max)
            job = take(&jobs->fleet);
        if (!job) {
            if (jobs->stopping && !jobs->scim.head && !jobs->fleet.head)
                break;
            pthread_cond_wait(&jobs->ready, &jobs->mu);
            continue;
        }
        bool fleet = job->fleet;
        if (fleet)
            jobs->fleet_running++;
        pthread_mutex_unlock(&jobs->mu);
        jobs->run(job); /* may free or requeue job: not touched after this */
        pthread_mutex_lock(&jobs->mu);
        if (fleet) {
            jobs->fleet_running--;
            /* A fleet job waiting for a free fleet slot may take it now. */
            if (jobs->fleet.head)
                pthread_cond_signal(&jobs->ready);
        }
    }
    pthread_mutex_unlock(&jobs->mu);
    return NULL;
}

struct http_jobs *http_jobs_start(unsigned threads, unsigned long stack_bytes, http_job_fn run)
{
    struct http_jobs *jobs = calloc(1, sizeof(*jobs) + threads * sizeof(pthread_t));
    pthread_attr_t attr;
    if (!jobs || threads == 0) {
        free(jobs);
        return NULL;
    }
    pthread_mutex_init(&jobs->mu, NULL);
    pthread_cond_init(&jobs->ready, NULL);
    jobs->run = run;
    jobs->fleet_max = threads > 1 ? threads / 2 : 1;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_bytes);
    for (; jobs->started < threads; jobs->started++)
        if (pthread_create(&jobs->threads[jobs->started], &attr, worker_main, jobs) != 0)
            break;
    pthread_attr_destroy(&attr);
    if (jobs->started < threads) {
        http_jobs_stop(jobs);
        return NULL;
    }
    return jobs;
}

void http_jobs_push(struct http_jobs *jobs, struct http_job *job)
{
    struct lane *l = job->fleet ? &jobs->fleet : &jobs->scim;
    job->next = NULL;
    pthread_mutex_lock(&jobs->mu);
    if (l->tail)
        l->tail->next = job;
    else
        l->head = job;
    l->tail = job;
    pthread_cond_signal(&jobs->ready);
    pthread_mutex_unlock(&jobs->mu);
}

void http_jobs_stop(struct http_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->mu);
    jobs->stopping = true;
    pthread_cond_broadcast(&jobs->ready);
    pthread_mutex_unlock(&jobs->mu);
    for (unsigned i = 0; i < jobs->started; i++)
        pthread_join(jobs->threads[i], NULL);
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->ready);
    free(jobs);
}

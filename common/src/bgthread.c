/* bgthread.c -- background threads: start with a name and a nice value, waits a stop cuts short, stop and join. */
#include "bgthread.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The thread's first steps: its name and nice value, then its work. */
static void *
bgthread_main(void *arg)
{
	struct bgthread *t = arg;
	int nice;

	prctl(PR_SET_NAME, t->name, 0, 0, 0);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno != 0 || setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    nice + t->nice > 19 ? 19 : nice + t->nice) < 0)
		log_debug("%s: the thread keeps its priority", t->name);
	return t->fn(t->arg);
}

int
bgthread_start(struct bgthread *t, const char *name, int nice,
    void *(*fn)(void *), void *arg)
{
	t->name = name;
	t->nice = nice;
	t->fn = fn;
	t->arg = arg;
	t->stop = 0;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->wake, NULL);
	if (pthread_create(&t->thread, NULL, bgthread_main, t) != 0) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->mu);
		return -1;
	}
	t->running = 1;
	return 0;
}

int
bgthread_wait(struct bgthread *t, int ms)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->mu);
	if (!t->stop && ms > 0)
		pthread_cond_timedwait(&t->wake, &t->mu, &until);
	stop = t->stop;
	pthread_mutex_unlock(&t->mu);
	return stop;
}

void
bgthread_stop(struct bgthread *t)
{
	if (!t->running)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->mu);
	t->running = 0;
}

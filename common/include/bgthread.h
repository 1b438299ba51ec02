/* bgthread.h -- a background thread that can be asked to stop: started with a name and a nice value of its own, waiting in steps that a stop cuts short. */
#ifndef CERTFLEET_BGTHREAD_H
#define CERTFLEET_BGTHREAD_H

#include <pthread.h>

/* One thread; zero it before bgthread_start. */
struct bgthread {
	pthread_t	  thread;
	pthread_mutex_t	  mu;
	pthread_cond_t	  wake;
	int		  running;	/* started, not yet stopped */
	int		  stop;		/* under mu */
	const char	 *name;		/* /proc/PID/task/TID/comm, <= 15 bytes */
	int		  nice;		/* added to the process's (at most 19) */
	void		*(*fn)(void *);
	void		 *arg;
};

/*
 * Starts fn(arg) on a thread of its own that first names itself name and
 * takes nice more than the process's nice value (Linux: both are a
 * thread's own; a refusal is logged at debug level and the thread keeps
 * its priority). name must outlive the thread. Returns 0, or -1 when the
 * thread cannot be created (t is then as if never started).
 */
int bgthread_start(struct bgthread *t, const char *name, int nice,
    void *(*fn)(void *), void *arg);

/* Called by the thread: waits up to ms (not at all for 0) unless a stop is
 * asked. Returns 1 when the thread must stop, else 0. */
int bgthread_wait(struct bgthread *t, int ms);

/* Asks the thread to stop, wakes it from bgthread_wait and joins it (it
 * ends after the step it is in). A t never started is fine. */
void bgthread_stop(struct bgthread *t);

#endif

/* main.c -- certfleet-responder: flags and environment, the pidfile, signals, and the check/version subcommands. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "health.h"
#include "log.h"
#include "ops.h"
#include "rediskeys.h"
#include "rmetrics.h"
#include "server.h"
#include "store.h"

/* The services `check` asks. */
static const struct health_service *const responder_deps[] = {
	&health_redis,
};
#define LISTEN_ENV		"CERTFLEET_RESPONDER_LISTEN"
#define LISTEN_DEFAULT		"127.0.0.1:17410"
#define THREADS_ENV		"CERTFLEET_RESPONDER_THREADS"
#define TIMEOUT_ENV		"CERTFLEET_RESPONDER_REDIS_TIMEOUT_MS"
#define TIMEOUT_DEFAULT		1000
#define TIMEOUT_MAX		60000
#define CACHE_ENV		"CERTFLEET_RESPONDER_CACHE_MS"
#define CACHE_DEFAULT		1000
#define CACHE_MAX		60000
#define REDIS_DEFAULT		"redis://127.0.0.1:6379"
#define LISTEN_MAX		300	/* longest --listen value */
#define ERR_MAX			512

struct opts {
	const char	*listen;
	const char	*redis;
	const char	*pidfile;
	long		 threads;
	long		 timeout_ms;
	long		 cache_ms;
	long		 db;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-responder [--listen ADDR:PORT] [--redis URL] [--threads N]\n"
	    "                           [--redis-timeout MS] [--cache-ms MS] [--pidfile FILE]\n"
	    "       certfleet-responder check | version | --help\n"
	    "\n"
	    "Answers ACME http-01 challenges: GET /.well-known/acme-challenge/<token>\n"
	    "returns the key authorization stored in Redis under\n"
	    "\"" REDISKEYS_HTTP01_PREFIX "<token>\"; GET /healthz returns 200 when Redis answers.\n"
	    "\n"
	    "options:\n"
	    "  --listen ADDR:PORT  address to bind, IPv4 or [IPv6] (only that address)\n"
	    "                      (env " LISTEN_ENV ", default " LISTEN_DEFAULT ")\n"
	    "  --redis URL         redis[s]://[user:password@]host[:port][/db]\n"
	    "                      (env REDIS_URL, default " REDIS_DEFAULT "; a URL\n"
	    "                      with a password belongs in REDIS_URL, not argv;\n"
	    "                      rediss:// reads CERTFLEET_REDIS_CA_FILE,\n"
	    "                      CERTFLEET_REDIS_CERT_FILE, CERTFLEET_REDIS_KEY_FILE)\n"
	    "  --threads N         server threads, each with its own Redis connection\n"
	    "                      (env " THREADS_ENV ", default: number of CPUs)\n"
	    "  --redis-timeout MS  Redis connect and command timeout\n"
	    "                      (env " TIMEOUT_ENV ", default %d)\n"
	    "  --cache-ms MS       keep each found answer in memory this long, so the\n"
	    "                      CA's repeated validations cost one Redis GET; 0: off.\n"
	    "                      Misses are never cached. (env " CACHE_ENV ", default %d)\n"
	    "  --pidfile FILE      write the process id to FILE, removed on exit\n"
	    "  -h, --help          this text\n"
	    "\n"
	    "environment:\n"
	    "  " REDISKEYS_CHALLENGE_DB_ENV "  Redis database of the answers (default: the\n"
	    "                      URL's database, else %d)\n"
	    "  CERTFLEET_METRICS_LISTEN  ADDR:PORT of /metrics, /healthz and /readyz\n"
	    "                      (Redis), or off (default " RMETRICS_LISTEN_DEFAULT ")\n"
	    "  CERTFLEET_LOG_LEVEL debug|info|warn|error\n"
	    "  CERTFLEET_LOG_FORMAT text (default) or json: one JSON object per line\n"
	    "\n"
	    "commands:\n"
	    "  check     check that Redis (REDIS_URL) answers; exit 0 when it does\n"
	    "  version   print the version\n"
	    "\n"
	    "SIGTERM or SIGINT stops the responder cleanly.\n",
	    TIMEOUT_DEFAULT, CACHE_DEFAULT, REDISKEYS_CHALLENGE_DB_DEFAULT);
}

/* Parses a decimal flag value in [min, max]; returns -1 with err. */
static int
parse_long(const char *name, const char *s, long min, long max, long *out,
    char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < min || n > max) {
		snprintf(err, errlen, "%s %s: expected an integer in [%ld, %ld]",
		    name, s, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

/* Parses "a.b.c.d:port" or "[v6]:port" (numeric only) into ss. Returns 0,
 * or -1 with err. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen)
{
	char host[LISTEN_MAX];
	const char *colon;
	struct addrinfo hints, *ai = NULL;
	size_t hlen;
	int rc = -1, gai;

	if (strlen(s) >= sizeof(host) || (colon = strrchr(s, ':')) == NULL) {
		snprintf(err, errlen, "--listen %s: expected ADDR:PORT", s);
		goto out;
	}
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = '\0';
	} else {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (host[0] == '\0' || colon[1] == '\0' ||
	    (gai = getaddrinfo(host, colon + 1, &hints, &ai)) != 0) {
		snprintf(err, errlen, "--listen %s: expected a numeric ADDR:PORT",
		    s);
		goto out;
	}
	if (ai->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errlen, "--listen %s: address too long", s);
		goto out;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	rc = 0;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}

/* Fills o from the environment, then from the command line. Returns 0, 1
 * when --help was asked, or -1 with err. */
static int
parse_opts(int argc, char *argv[], struct opts *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "redis", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "redis-timeout", required_argument, NULL, 'T' },
		{ "cache-ms", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long ncpu;
	int ch;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	if (ncpu > SERVER_THREADS_MAX)
		ncpu = SERVER_THREADS_MAX;
	o->listen = config_str(LISTEN_ENV, LISTEN_DEFAULT);
	o->redis = config_str("REDIS_URL", REDIS_DEFAULT);
	o->pidfile = NULL;
	if (config_long(THREADS_ENV, ncpu, 1, SERVER_THREADS_MAX, &o->threads,
	    err, errlen) < 0 ||
	    config_long(TIMEOUT_ENV, TIMEOUT_DEFAULT, 1, TIMEOUT_MAX,
	    &o->timeout_ms, err, errlen) < 0 ||
	    config_long(CACHE_ENV, CACHE_DEFAULT, 0, CACHE_MAX, &o->cache_ms,
	    err, errlen) < 0 ||
	    config_long(REDISKEYS_CHALLENGE_DB_ENV, -1, 0, 1000, &o->db, err,
	    errlen) < 0)
		return -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o->listen = optarg;
			break;
		case 'r':
			o->redis = optarg;
			break;
		case 't':
			if (parse_long("--threads", optarg, 1, SERVER_THREADS_MAX,
			    &o->threads, err, errlen) < 0)
				return -1;
			break;
		case 'T':
			if (parse_long("--redis-timeout", optarg, 1, TIMEOUT_MAX,
			    &o->timeout_ms, err, errlen) < 0)
				return -1;
			break;
		case 'c':
			if (parse_long("--cache-ms", optarg, 0, CACHE_MAX,
			    &o->cache_ms, err, errlen) < 0)
				return -1;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'h':
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option %s",
			    argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return -1;
	}
	return 0;
}

static int
write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Serves until SIGTERM or SIGINT. Returns the exit status. */
static int
serve(const struct opts *o)
{
	char err[ERR_MAX];
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct store *st = NULL;
	struct server *srv = NULL;
	struct ops *ops = NULL;
	sigset_t stop;
	int sig, rc = 1, pidfile_written = 0;

	if (parse_listen(o->listen, &ss, &sslen, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	/* every thread started from here on inherits the blocked set; the main
	 * thread alone takes the stop signals, with sigwait */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
		log_err("pthread_sigmask failed");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((st = store_open(o->redis, (int)o->db, (int)o->timeout_ms,
	    (unsigned)o->cache_ms, (size_t)o->threads, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		goto out;
	}
	if ((srv = server_start((struct sockaddr *)&ss, sslen,
	    (unsigned)o->threads, st, err, sizeof(err))) == NULL) {
		log_err("%s on %s", err, o->listen);
		goto out;
	}
	if (rmetrics_ops_start(&ops, o->redis, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (o->pidfile != NULL) {
		if (write_pidfile(o->pidfile, err, sizeof(err)) < 0) {
			log_err("pidfile: %s", err);
			goto out;
		}
		pidfile_written = 1;
	}
	log_info("listening on %s, %ld threads", o->listen, o->threads);
	if (sigwait(&stop, &sig) != 0) {
		log_err("sigwait failed");
		goto out;
	}
	log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rc = 0;
out:
	ops_stop(ops);
	server_stop(srv);
	store_close(st);
	if (pidfile_written)
		unlink(o->pidfile);
	return rc;
}

int
main(int argc, char *argv[])
{
	char err[ERR_MAX];
	struct opts o;
	int rc;

	log_init("certfleet-responder", LOGL_INFO);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return health_check(responder_deps, sizeof(responder_deps) /
		    sizeof(responder_deps[0]), stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleet-responder %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if ((rc = parse_opts(argc, argv, &o, err, sizeof(err))) < 0) {
		log_err("%s", err);
		usage(stderr);
		return 2;
	}
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rmetrics_init(err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 1;
	}
	rc = serve(&o);
	rmetrics_free();
	return rc;
}

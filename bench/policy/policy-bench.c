/*
 * policy-bench.c - load generator for casier-policyd (bench/policy/run).
 *
 * Opens C connections to a policy socket, one thread each, and sends for
 * S seconds the requests of a submission message: R RCPT requests for
 * outside recipients, then one END-OF-MESSAGE, each waiting for its
 * answer (as Postfix does).  Connection i uses SASL login PREFIX + i
 * (accounts created by the run script).  Prints decisions per second and
 * latency percentiles; counts answers that are not DUNNO as errors.
 *
 * usage: policy-bench SOCKET SECONDS CONNECTIONS LOGIN_FMT RCPTS [RATE]
 *   LOGIN_FMT is a printf format with one %d (the connection number).
 *   RATE (decisions per second, all connections together): open loop,
 *   each connection sends on a fixed schedule and latency is measured
 *   from the scheduled time (no coordinated omission).  Without RATE,
 *   closed loop: each connection sends as fast as answers come.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 4000000

struct worker {
	int id;
	pthread_t tid;
	long long done, errors;
	double *lat; /* microseconds */
	long long nlat;
};

static const char *sock_path, *login_fmt;
static double seconds;
static int rcpts;
static double rate; /* 0: closed loop */
static int nconns;
static volatile int stop_flag;

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
ask(int fd, const char *req, size_t len, char *reply, size_t size)
{
	size_t got = 0;
	if (write(fd, req, len) != (ssize_t)len)
		return -1;
	while (got < 2 || reply[got - 1] != '\n' || reply[got - 2] != '\n') {
		ssize_t n = read(fd, reply + got, size - 1 - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got >= size - 1)
			return -1;
	}
	reply[got] = '\0';
	return 0;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char login[64], req[1024], reply[1024];
	long long msg = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	/* Open loop: this connection's share of the rate, staggered. */
	double interval = rate > 0 ? 1e6 * nconns / rate : 0;
	double next = now_us() + interval * w->id / nconns;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	snprintf(login, sizeof(login), login_fmt, w->id);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("connect");
		w->errors++;
		return NULL;
	}
	while (!stop_flag) {
		msg++;
		for (int r = 0; r <= rcpts && !stop_flag; r++) {
			int len;
			double t0, t1;
			if (r < rcpts)
				len = snprintf(
				    req, sizeof(req),
				    "request=smtpd_access_policy\n"
				    "protocol_state=RCPT\n"
				    "protocol_name=ESMTP\n"
				    "client_address=192.0.2.10\n"
				    "sasl_username=%s\n"
				    "sender=%s@bench.example\n"
				    "recipient=r%d@remote%d.example\n"
				    "instance=b%d.%lld\n"
				    "recipient_count=0\n\n",
				    login, login, r, w->id, w->id, msg);
			else
				len = snprintf(req, sizeof(req),
					       "request=smtpd_access_policy\n"
					       "protocol_state=END-OF-MESSAGE\n"
					       "protocol_name=ESMTP\n"
					       "client_address=192.0.2.10\n"
					       "sasl_username=%s\n"
					       "sender=%s@bench.example\n"
					       "recipient=\n"
					       "instance=b%d.%lld\n"
					       "recipient_count=%d\n\n",
					       login, login, w->id, msg, rcpts);
			if (interval > 0) {
				double wait = next - now_us();
				if (wait > 0)
					usleep((useconds_t)wait);
				t0 = next;
				next += interval;
			} else {
				t0 = now_us();
			}
			if (ask(fd, req, (size_t)len, reply, sizeof(reply)) <
			    0) {
				w->errors++;
				close(fd);
				return NULL;
			}
			t1 = now_us();
			if (strncmp(reply, "action=DUNNO", 12) != 0)
				w->errors++;
			w->done++;
			if (w->nlat < MAX_SAMPLES / 64)
				w->lat[w->nlat++] = t1 - t0;
		}
	}
	close(fd);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int n;
	struct worker *ws;
	double t0, t1, *all;
	long long total = 0, errors = 0, nall = 0;

	if (argc != 6 && argc != 7) {
		fprintf(stderr,
			"usage: policy-bench SOCKET SECONDS CONNECTIONS "
			"LOGIN_FMT RCPTS [RATE]\n");
		return 2;
	}
	rate = argc == 7 ? atof(argv[6]) : 0;
	sock_path = argv[1];
	seconds = atof(argv[2]);
	n = atoi(argv[3]);
	nconns = n;
	login_fmt = argv[4];
	rcpts = atoi(argv[5]);
	ws = calloc((size_t)n, sizeof(*ws));
	for (int i = 0; i < n; i++) {
		ws[i].id = i + 1;
		ws[i].lat = malloc(sizeof(double) * (MAX_SAMPLES / 64));
	}
	t0 = now_us();
	for (int i = 0; i < n; i++)
		pthread_create(&ws[i].tid, NULL, run, &ws[i]);
	usleep((useconds_t)(seconds * 1e6));
	stop_flag = 1;
	for (int i = 0; i < n; i++)
		pthread_join(ws[i].tid, NULL);
	t1 = now_us();
	all = malloc(sizeof(double) * (size_t)n * (MAX_SAMPLES / 64));
	for (int i = 0; i < n; i++) {
		total += ws[i].done;
		errors += ws[i].errors;
		memcpy(all + nall, ws[i].lat,
		       sizeof(double) * (size_t)ws[i].nlat);
		nall += ws[i].nlat;
	}
	qsort(all, (size_t)nall, sizeof(double), cmp);
	printf("mode=%s connections=%d seconds=%.1f decisions=%lld "
	       "errors=%lld\n",
	       rate > 0 ? "open-loop" : "closed-loop", n, (t1 - t0) / 1e6,
	       total, errors);
	printf("decisions_per_second=%.0f\n", total / ((t1 - t0) / 1e6));
	if (nall > 0)
		printf("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n",
		       all[nall / 2] / 1e3, all[nall * 9 / 10] / 1e3,
		       all[nall * 99 / 100] / 1e3, all[nall - 1] / 1e3);
	return errors > 0 ? 1 : 0;
}

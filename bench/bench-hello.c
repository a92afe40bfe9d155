/*
 * connect -> hello-ok latency over sequential connections, with the
 * project's own client code: prints p50/p90/p99 and the mean.
 *
 *	bench-hello URL TOKEN [N]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ws-client.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One full handshake; returns its duration in microseconds, or -1. */
static double
one(const char *url, const char *connect)
{
	struct ws_client *c;
	const char       *data;
	size_t            len;
	int               op, ok = 0;
	char              err[256];
	double            t0 = now_us(), t;

	if ((c = ws_client_connect(url, 5000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (ws_client_recv(c, 5000, &op, &data, &len) == 0 &&
	    strstr(data, "connect.challenge") != NULL &&
	    ws_client_send_text(c, connect, strlen(connect)) == 0 &&
	    ws_client_recv(c, 5000, &op, &data, &len) == 0)
		ok = strstr(data, "\"hello-ok\"") != NULL;
	t = now_us() - t0;
	ws_client_free(c);
	return ok ? t : -1;
}

int
main(int argc, char **argv)
{
	char    connect[1024];
	double *lat, sum = 0;
	int     n, i, good = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-hello URL TOKEN [N]\n");
		return 2;
	}
	n = argc > 3 ? atoi(argv[3]) : 1000;
	snprintf(connect, sizeof(connect),
	    "{\"type\":\"req\",\"id\":\"1\","
	    "\"method\":\"connect\",\"params\":{\"minProtocol\":4,"
	    "\"maxProtocol\":4,\"client\":{\"id\":\"cli\",\"version\":\"bench\","
	    "\"platform\":\"linux\",\"mode\":\"cli\"},\"role\":\"operator\","
	    "\"scopes\":[\"operator.read\"],\"auth\":{\"token\":\"%s\"}}}",
	    argv[2]);
	lat = calloc((size_t)n, sizeof(*lat));
	for (i = 0; i < n; i++)
		if ((lat[good] = one(argv[1], connect)) >= 0)
			sum += lat[good++];
	if (good == 0) {
		fprintf(stderr, "no handshake succeeded\n");
		return 1;
	}
	qsort(lat, (size_t)good, sizeof(*lat), cmp);
	printf("connect->hello-ok over %d sequential connections (%d failed): "
	       "p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  mean %.3f ms\n",
	    good, n - good, lat[good / 2] / 1e3, lat[good * 9 / 10] / 1e3,
	    lat[good * 99 / 100] / 1e3, sum / good / 1e3);
	free(lat);
	return 0;
}

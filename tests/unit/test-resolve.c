/* Unit tests for resolve.c: lookups off the loop, reported on a descriptor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "resolve.h"

#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

/* Waits for the request's descriptor; fails the test after five seconds. */
static void await(struct resolve_request *request)
{
	struct pollfd fd = {.fd = resolve_fd(request), .events = POLLIN};

	assert_int_equal(poll(&fd, 1, 5000), 1);
}

static void test_numeric_ipv4(void **state)
{
	struct resolve_request *request = resolve_start("127.0.0.1", "5432");
	const struct addrinfo *addresses;
	const char *error;
	char text[64];

	(void)state;
	assert_non_null(request);
	await(request);
	assert_int_equal(resolve_result(request, &addresses, &error), 0);
	assert_int_equal(addresses->ai_family, AF_INET);
	assert_string_equal(resolve_numeric(addresses, text, sizeof(text)), "127.0.0.1");
	assert_int_equal(ntohs(((const struct sockaddr_in *)addresses->ai_addr)->sin_port), 5432);
	resolve_release(request);
}

static void test_numeric_ipv6(void **state)
{
	struct resolve_request *request = resolve_start("::1", "80");
	const struct addrinfo *addresses;
	const char *error;
	char text[64];

	(void)state;
	assert_non_null(request);
	await(request);
	assert_int_equal(resolve_result(request, &addresses, &error), 0);
	assert_int_equal(addresses->ai_family, AF_INET6);
	assert_string_equal(resolve_numeric(addresses, text, sizeof(text)), "::1");
	resolve_release(request);
}

/* localhost comes from /etc/hosts through the lookup thread. */
static void test_name_through_thread(void **state)
{
	struct resolve_request *request = resolve_start("localhost", "80");
	const struct addrinfo *addresses;
	const char *error;

	(void)state;
	assert_non_null(request);
	await(request);
	assert_int_equal(resolve_result(request, &addresses, &error), 0);
	assert_non_null(addresses);
	resolve_release(request);
}

/* Releasing before the lookup is over leaves the thread to clean up. */
static void test_release_while_running(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++)
		resolve_release(resolve_start("localhost", "80"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_numeric_ipv4),
	    cmocka_unit_test(test_numeric_ipv6),
	    cmocka_unit_test(test_name_through_thread),
	    cmocka_unit_test(test_release_while_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

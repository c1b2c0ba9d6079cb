/* Unit tests for control.c: a restart request from connect to answer, the
 * answers a requester can get (ok, failed with a code, denied), requests that
 * join one another, a requester that hangs up, a second listener, a user who
 * may not ask. The tests run in a network namespace of their own when they
 * can (root), so that a supervisor running on this machine, which listens on
 * the same abstract name, is not in the way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "control.h"
#include "loop.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	struct loop loop;
	sigset_t signals;
	sigset_t old_mask;
	struct control_server server;
	unsigned requests;
	uid_t last_uid;
};

static void on_request(uid_t uid, void *arg)
{
	struct fixture *fx = arg;

	fx->requests++;
	fx->last_uid = uid;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	if (test_loop_open(&fx->loop, &fx->signals, &fx->old_mask) < 0) {
		free(fx);
		return -1;
	}
	if (control_listen(&fx->server, &fx->loop, on_request, fx) < 0) {
		print_error("cannot listen: %s\n", strerror(errno));
		test_loop_close(&fx->loop, &fx->signals, &fx->old_mask);
		free(fx);
		return -1;
	}
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	control_close(&fx->server);
	test_loop_close(&fx->loop, &fx->signals, &fx->old_mask);
	free(fx);
	return 0;
}

static void serve(struct fixture *fx, int ms)
{
	test_loop_serve(&fx->loop, ms);
}

/* Everything the server sent on fd until it closed. */
static void read_answer(int fd, char *out, size_t size)
{
	size_t length = 0;
	ssize_t got;

	while (length < size - 1 && (got = read(fd, out + length, size - 1 - length)) > 0)
		length += (size_t)got;
	out[length] = '\0';
}

static int asking(void)
{
	int fd = control_connect();

	assert_true(fd >= 0);
	assert_int_equal(control_send_request(fd), 0);
	return fd;
}

static void test_request_then_ok(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX];
	int fd = asking();

	serve(fx, 50);
	assert_int_equal(fx->requests, 1);
	assert_int_equal(fx->last_uid, geteuid());
	control_answer(&fx->server, 0, "node restarted (pid 41)");
	read_answer(fd, answer, sizeof(answer));
	assert_string_equal(answer, "ok node restarted (pid 41)\n");
	close(fd);
}

static void test_failed_carries_the_exit_code(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX];
	int fd = asking();

	serve(fx, 50);
	control_answer(&fx->server, 80, "prisma generate failed");
	read_answer(fd, answer, sizeof(answer));
	assert_string_equal(answer, "failed 80 prisma generate failed\n");
	close(fd);
}

static void test_requests_during_one_restart_share_its_answer(void **state)
{
	struct fixture *fx = *state;
	char first[CONTROL_LINE_MAX], second[CONTROL_LINE_MAX];
	int a = asking(), b = asking();

	serve(fx, 50);
	assert_int_equal(fx->requests, 2); /* the caller decides that the second one joins */
	control_answer(&fx->server, 0, "restarted");
	read_answer(a, first, sizeof(first));
	read_answer(b, second, sizeof(second));
	assert_string_equal(first, "ok restarted\n");
	assert_string_equal(second, "ok restarted\n");
	close(a);
	close(b);
}

static void test_connected_but_not_asking_gets_no_answer_yet(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX];
	int quiet = control_connect(), asker;

	assert_true(quiet >= 0);
	serve(fx, 30);
	control_answer(&fx->server, 0, "restarted"); /* nobody has asked */
	asker = asking();
	serve(fx, 30);
	assert_int_equal(fx->requests, 1);
	control_answer(&fx->server, 0, "restarted");
	read_answer(asker, answer, sizeof(answer));
	assert_string_equal(answer, "ok restarted\n");
	close(asker);
	close(quiet);
}

static void test_unknown_request_is_denied(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX];
	int fd = control_connect();

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "reload\n", 7), 7);
	serve(fx, 50);
	assert_int_equal(fx->requests, 0);
	read_answer(fd, answer, sizeof(answer));
	assert_non_null(strstr(answer, "denied unknown request"));
	close(fd);
}

static void test_a_requester_that_hangs_up_frees_its_place(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX];

	for (int i = 0; i < 2 * CONTROL_MAX_WAITERS; i++) {
		int fd = asking();

		serve(fx, 5);
		close(fd);
		serve(fx, 5);
	}
	assert_int_equal(fx->requests, 2 * CONTROL_MAX_WAITERS);
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++)
		assert_int_equal(fx->server.waiters[i].fd, -1);
	/* and a new one is still served */
	{
		int fd = asking();

		serve(fx, 20);
		control_answer(&fx->server, 0, "restarted");
		read_answer(fd, answer, sizeof(answer));
		assert_string_equal(answer, "ok restarted\n");
		close(fd);
	}
}

static void test_a_second_listener_is_told_the_address_is_taken(void **state)
{
	struct fixture *fx = *state;
	struct control_server other;

	assert_int_equal(control_listen(&other, &fx->loop, on_request, fx), -1);
	assert_int_equal(errno, EADDRINUSE);
}

static void test_nobody_listening_is_refused(void **state)
{
	struct fixture *fx = *state;

	control_close(&fx->server);
	assert_int_equal(control_connect(), -1);
	assert_int_equal(errno, ECONNREFUSED);
}

static void test_another_user_is_denied(void **state)
{
	struct fixture *fx = *state;
	char answer[CONTROL_LINE_MAX] = "";
	int pipe_fds[2];
	pid_t child;
	int status;

	if (geteuid() != 0)
		skip(); /* needs to become another user */
	assert_int_equal(pipe(pipe_fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd;

		close(pipe_fds[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		fd = control_connect();
		if (fd < 0 || control_send_request(fd) < 0)
			_exit(3);
		read_answer(fd, answer, sizeof(answer));
		if (write(pipe_fds[1], answer, strlen(answer)) < 0)
			_exit(4);
		_exit(0);
	}
	close(pipe_fds[1]);
	serve(fx, 200);
	read_answer(pipe_fds[0], answer, sizeof(answer));
	close(pipe_fds[0]);
	assert_int_equal(waitpid(child, &status, 0), child);
	EXPECT_SHOWING(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	               "the other user's process ended with wait status %#x\n", status);
	assert_int_equal(fx->requests, 0);
	assert_string_equal(answer, "denied only root and uid 0 (the supervisor's user) may ask for a restart\n");
}

static void test_the_name_is_the_pid_namespace(void **state)
{
	char name[128];
	char link[64];
	ssize_t length;

	(void)state;
	control_name(name, sizeof(name));
	length = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
	assert_true(length > 0);
	link[length] = '\0';
	/* "pid:[4026531836]" */
	assert_non_null(strstr(link, strrchr(name, '/') + 1));
	assert_true(strncmp(name, "@prisma-entrypoint/pidns/", 25) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_request_then_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_carries_the_exit_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_requests_during_one_restart_share_its_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connected_but_not_asking_gets_no_answer_yet, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_request_is_denied, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_requester_that_hangs_up_frees_its_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_second_listener_is_told_the_address_is_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nobody_listening_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_another_user_is_denied, setup, teardown),
	    cmocka_unit_test(test_the_name_is_the_pid_namespace),
	};

	/* Abstract socket names belong to the network namespace: a private
	 * one keeps a supervisor on this machine out of the way. */
	if (unshare(CLONE_NEWNET) < 0)
		fprintf(stderr,
		        "test-control: no private network namespace (%s): a supervisor running here would "
		        "be in the way\n",
		        strerror(errno));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

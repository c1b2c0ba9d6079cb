#include "control.h"

#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CONTROL_REQUEST "restart\n"

void control_name(char *out, size_t size)
{
	struct stat ns;

	/* The PID namespace tells one container's supervisor from another's
	 * when they share a network namespace (a Kubernetes pod, --network
	 * host, a host without containers). */
	if (stat("/proc/self/ns/pid", &ns) == 0)
		snprintf(out, size, "@prisma-entrypoint/pidns/%llu", (unsigned long long)ns.st_ino);
	else
		snprintf(out, size, "@prisma-entrypoint/pidns/unknown");
}

static socklen_t control_address(struct sockaddr_un *address)
{
	char name[sizeof(address->sun_path)];
	size_t length;

	control_name(name, sizeof(name));
	length = strlen(name);
	memset(address, 0, sizeof(*address));
	address->sun_family = AF_UNIX;
	/* The abstract namespace: a leading NUL instead of the '@'. */
	memcpy(address->sun_path + 1, name + 1, length - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length);
}

static void drop_waiter(struct control_server *server, struct control_waiter *waiter)
{
	loop_unwatch_fd(server->loop, waiter->fd);
	close(waiter->fd);
	*waiter = (struct control_waiter){.fd = -1};
}

static void say(int fd, const char *line)
{
	/* A short answer to a local socket: it fits the buffer, and a requester
	 * that has gone away only makes this fail (MSG_NOSIGNAL: no SIGPIPE). */
	(void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void on_waiter(struct loop *loop, int fd, short revents, void *arg)
{
	struct control_server *server = arg;
	struct control_waiter *waiter = NULL;
	ssize_t got;

	(void)loop;
	(void)revents;
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++)
		if (server->waiters[i].fd == fd)
			waiter = &server->waiters[i];
	if (!waiter)
		return;
	if (waiter->asked) {
		char ignored[64];

		/* Only the end of the connection is expected now: the requester
		 * gave up (Ctrl-C); the restart goes on without it. */
		got = recv(fd, ignored, sizeof(ignored), MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
			drop_waiter(server, waiter);
		return;
	}
	got = recv(fd, waiter->line + waiter->received, sizeof(waiter->line) - 1 - waiter->received, MSG_DONTWAIT);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		drop_waiter(server, waiter);
		return;
	}
	waiter->received += (size_t)got;
	waiter->line[waiter->received] = '\0';
	if (strcmp(waiter->line, CONTROL_REQUEST) == 0) {
		waiter->asked = true;
		server->on_request(waiter->uid, server->arg);
		return;
	}
	if (strchr(waiter->line, '\n') || waiter->received == sizeof(waiter->line) - 1) {
		say(fd, "denied unknown request (this prisma-entrypoint understands \"restart\")\n");
		drop_waiter(server, waiter);
	}
}

static void take_connection(struct control_server *server, int fd)
{
	struct ucred peer;
	socklen_t peer_size = sizeof(peer);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &peer_size) < 0) {
		close(fd);
		return;
	}
	if (peer.uid != 0 && peer.uid != geteuid() && peer.uid != server->app_uid) {
		char line[CONTROL_LINE_MAX];
		char who[128];

		if (server->app_uid == (uid_t)-1)
			snprintf(who, sizeof(who), "root and uid %u (the supervisor's user)", (unsigned)geteuid());
		else
			snprintf(who, sizeof(who), "root, uid %u (the supervisor's user) and uid %u (the app's user)",
			         (unsigned)geteuid(), (unsigned)server->app_uid);
		log_warning("refused a restart request from uid %u (pid %d): only %s may ask", (unsigned)peer.uid,
		            (int)peer.pid, who);
		snprintf(line, sizeof(line), "denied only %s may ask for a restart\n", who);
		say(fd, line);
		close(fd);
		return;
	}
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++) {
		struct control_waiter *waiter = &server->waiters[i];

		if (waiter->fd >= 0)
			continue;
		if (loop_watch_fd(server->loop, fd, POLLIN, on_waiter, server) < 0)
			break;
		*waiter = (struct control_waiter){.fd = fd, .uid = peer.uid};
		return;
	}
	say(fd, "denied too many requests at once: try again\n");
	close(fd);
}

static void on_listen(struct loop *loop, int fd, short revents, void *arg)
{
	struct control_server *server = arg;
	int connection;

	(void)loop;
	(void)revents;
	while ((connection = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		take_connection(server, connection);
}

int control_listen(struct control_server *server, struct loop *loop, control_request_fn *on_request, void *arg)
{
	struct sockaddr_un address;
	socklen_t address_size = control_address(&address);
	int fd;

	*server = (struct control_server){
	    .listen_fd = -1, .loop = loop, .on_request = on_request, .arg = arg, .app_uid = (uid_t)-1};
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++)
		server->waiters[i].fd = -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&address, address_size) < 0 || listen(fd, CONTROL_MAX_WAITERS) < 0 ||
	    loop_watch_fd(loop, fd, POLLIN, on_listen, server) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	server->listen_fd = fd;
	return 0;
}

void control_allow(struct control_server *server, uid_t uid)
{
	server->app_uid = uid;
}

void control_answer(struct control_server *server, int exit_code, const char *message)
{
	char line[CONTROL_LINE_MAX];

	if (exit_code == 0)
		snprintf(line, sizeof(line), "ok %s\n", message);
	else
		snprintf(line, sizeof(line), "failed %d %s\n", exit_code, message);
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++) {
		struct control_waiter *waiter = &server->waiters[i];

		if (waiter->fd < 0 || !waiter->asked)
			continue;
		say(waiter->fd, line);
		drop_waiter(server, waiter);
	}
}

void control_close(struct control_server *server)
{
	for (size_t i = 0; i < CONTROL_MAX_WAITERS; i++)
		if (server->waiters[i].fd >= 0)
			drop_waiter(server, &server->waiters[i]);
	if (server->listen_fd >= 0) {
		loop_unwatch_fd(server->loop, server->listen_fd);
		close(server->listen_fd);
		server->listen_fd = -1;
	}
}

int control_connect(void)
{
	struct sockaddr_un address;
	socklen_t address_size = control_address(&address);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, address_size) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int control_send_request(int fd)
{
	ssize_t sent;

	do
		sent = send(fd, CONTROL_REQUEST, strlen(CONTROL_REQUEST), MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	/* A server that denies answers at once and closes, perhaps before the
	 * request is sent: its answer is waiting, and says why. */
	if (sent < 0 && (errno == EPIPE || errno == ECONNRESET))
		return 0;
	return sent == (ssize_t)strlen(CONTROL_REQUEST) ? 0 : -1;
}

/* The control socket: how `prisma-entrypoint restart`, run inside the
 * container (docker exec), asks the prisma-entrypoint that supervises the app
 * there to restart it.
 *
 * A Unix socket in the abstract namespace, named after the PID namespace
 * (prisma-entrypoint/pidns/INODE): it needs no file, so it works on a
 * read-only root filesystem, and `docker exec` joins both namespaces it
 * depends on (network for the abstract name, PID for the inode). No signal is
 * taken over: every signal still reaches the app. The kernel says who
 * connects (SO_PEERCRED); only root, the supervisor's own user and the
 * app's user (control_allow(), with the user setting) are served.
 *
 * The protocol is lines of text. The requester sends "restart\n"; the server
 * answers with one line, "ok MESSAGE", "failed CODE MESSAGE" (CODE: the exit
 * code the requester should end with) or "denied MESSAGE" (not allowed to
 * ask), then closes. Requests that come while a restart is under way join it
 * and get its answer. */
#ifndef PE_CONTROL_H
#define PE_CONTROL_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_MAX_WAITERS 16
#define CONTROL_LINE_MAX    1024

/* Called when an allowed requester asked for a restart; uid: who. */
typedef void control_request_fn(uid_t uid, void *arg);

struct control_waiter {
	int fd; /* -1: a free slot */
	uid_t uid;
	size_t received;
	char line[32];
	bool asked; /* the request line has come */
};

struct control_server {
	int listen_fd; /* -1: not listening */
	struct loop *loop;
	control_request_fn *on_request;
	void *arg;
	uid_t app_uid; /* served too; (uid_t)-1: nobody but root and this process's user */
	struct control_waiter waiters[CONTROL_MAX_WAITERS];
};

/* Starts listening for this PID namespace and watches the socket on loop.
 * Returns 0; -1 with errno when another process already listens here
 * (EADDRINUSE: another supervisor in the same PID namespace) or the socket
 * cannot be made. */
int control_listen(struct control_server *server, struct loop *loop, control_request_fn *on_request, void *arg);

/* Serves uid as well: the user the app runs as (the user setting), so that
 * `docker exec -u` as that user may ask too. */
void control_allow(struct control_server *server, uid_t uid);

/* Answers every requester that has asked (and not hung up) with "ok MESSAGE"
 * (exit_code 0) or "failed EXIT_CODE MESSAGE", then closes their connections. */
void control_answer(struct control_server *server, int exit_code, const char *message);

/* Stops listening and closes every connection, answered or not. */
void control_close(struct control_server *server);

/* For the requester: connects to this PID namespace's supervisor. Returns a
 * blocking, close-on-exec socket, or -1 with errno (ECONNREFUSED: nobody
 * listens). */
int control_connect(void);

/* Sends the restart request on a connected socket (without SIGPIPE: a server
 * that denied and closed has its answer waiting to be read). Returns 0, or
 * -1 with errno. */
int control_send_request(int fd);

/* The socket's name, for messages: "@prisma-entrypoint/pidns/4026531836". */
void control_name(char *out, size_t size);

#endif

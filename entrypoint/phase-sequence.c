/* The phases in order, each on the same loop: what run does before the app,
 * sync does alone, and a restart does again between two runs of the app. */
#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "proc.h"

/* 0, or 128+N when stop signal N is pending. */
static int stopped_before(const char *next)
{
	int stop = proc_pending_stop_signal();
	char name[32];

	if (!stop)
		return 0;
	log_info("stopped by %s before %s", proc_signal_name(stop, name, sizeof(name)), next);
	return EXIT_SIGNAL_BASE + stop;
}

int phase_sequence(const struct invocation *invocation, struct loop *loop, bool wait, const char *next)
{
	struct phase_schema schema = {0};
	struct phase_connection connection = {0};
	int status = 0;

	/* A seed that cannot run is named before anything runs: not after a
	 * wait, a generate and a deploy that would each be done for nothing. */
	status = phase_seed_check(invocation);
	/* A stop request that came while no phase was reading signals ends the
	 * sequence before the next phase. */
	if (status == 0 && wait && !config_bool(&invocation->config, SETTING_NO_WAIT))
		status = phase_wait(invocation, loop, &connection);
	if (status == 0)
		status = stopped_before(next);
	if (status == 0)
		status = phase_generate(invocation, loop, &schema);
	if (status == 0)
		status = stopped_before(next);
	if (status == 0)
		status = phase_migrate(invocation, loop, &schema, &connection);
	phase_connection_release(&connection);
	phase_schema_release(&schema);
	if (status == 0)
		status = stopped_before(next);
	return status;
}
